// POST /api/v1/events and /api/v1/events/batch.
//
// Threading: parsing runs on the IO thread; the store completes the append on the WAL writer
// thread, which only Posts back to the connection's executor; the response JSON is built
// there, so the writer thread is never slowed by response encoding.
#include <chrono>
#include <string>

#include "core/clock.h"
#include "core/uuid.h"
#include "http/event_json.h"
#include "http/handlers.h"
#include "http/request_parser.h"
#include "metrics/metrics.h"
#include "store/event_store.h"

namespace annal::http::handlers {
namespace {

using Clock = std::chrono::steady_clock;

std::string IndexPrefix(const store::AppendOutcome& out) {
  if (!out.failed_index) return {};
  return "events[" + std::to_string(*out.failed_index) + "]: ";
}

// The error response for a failed append (nothing was written).
HttpResponse AppendError(const store::AppendOutcome& out, bool batch,
                         const std::optional<std::string>& leader) {
  const Status& st = out.status;
  std::string message = st.message();
  if (batch && !message.starts_with("events[")) message = IndexPrefix(out) + message;
  JsonWriter w;
  w.BeginObject();
  w.Field("error", ErrorCodeFor(st.code()));
  w.Field("message", message);
  if (st.code() == StatusCode::kVersionConflict) {
    w.Field("expected_version", out.expected_version.value());
    w.Field("current_version", out.current_version.value());
  } else if (st.code() == StatusCode::kDuplicateEventId && out.duplicate_event_id) {
    w.Field("event_id", out.duplicate_event_id->ToString());
  }
  if (st.code() == StatusCode::kReadOnly) {
    w.Key("leader");
    if (leader) {
      w.String(*leader);
    } else {
      w.Null();
    }
    w.Field("hint", leader ? "send writes to the leader at " + *leader
                           : std::string("this follower has no leader configured"));
  }
  if (batch && out.failed_index) w.Field("index", *out.failed_index);
  w.EndObject();
  return JsonResponse(HttpStatusFor(st.code()), w.Take());
}

HttpResponse ParseError(const Status& st, std::optional<size_t> index) {
  HttpResponse r = ErrorResponse(st);
  if (index) {
    JsonWriter w;
    w.BeginObject();
    w.Field("error", ErrorCodeFor(st.code()));
    w.Field("message", st.message());
    w.Field("index", *index);
    w.EndObject();
    r.body = w.Take();
  }
  return r;
}

size_t CountWritten(const store::AppendOutcome& out) {
  size_t n = 0;
  for (const auto& r : out.results) n += r.duplicate ? 0 : 1;
  return n;
}

// {"event_id","timestamp","version","sequence"}: version is the entity's version after it.
HttpResponse SingleResponse(const store::AppendResult& r) {
  JsonWriter w;
  w.BeginObject();
  w.Key("event_id");
  w.Uuid(r.event_id);
  w.Key("timestamp");
  w.Timestamp(r.timestamp);
  w.Field("version", r.entity_version.value());
  w.Field("sequence", r.sequence.value());
  w.EndObject();
  return JsonResponse(200, w.Take());
}

// {"total","ingested","events":[{"event_id","timestamp","sequence"}]}
HttpResponse BatchResponse(const store::AppendOutcome& out) {
  JsonWriter w;
  w.BeginObject();
  w.Field("total", out.results.size());
  w.Field("ingested", CountWritten(out));
  w.Key("events");
  w.BeginArray();
  // One run of appends per event, as WriteEventJson: a batch answer has 1000 of these.
  for (const auto& r : out.results) {
    w.Value([&r](std::string& o) {
      o.append(R"({"event_id":")");
      r.event_id.AppendTo(o);
      o.append(R"(","timestamp":")");
      AppendRfc3339(o, r.timestamp);
      o.append(R"(","sequence":)");
      JsonWriter::AppendUint(o, r.sequence.value());
      o.push_back('}');
    });
  }
  w.EndArray();
  w.EndObject();
  return JsonResponse(200, w.Take());
}

// "replication":{"mode","acked","acks","required"} on a replicating leader's write response;
// a write that did not reach its ack level answers 503 replication_timeout with
// --on-ack-timeout fail, else 200 with header X-Replication-Status: degraded (DESIGN §5.5).
void AddReplication(HttpResponse& r, const std::optional<WriteAckInfo>& ack) {
  if (!ack) return;
  JsonWriter w;
  w.BeginObject();
  w.Field("mode", ack->mode);
  w.Field("acked", ack->acked);
  w.Field("acks", ack->acks);
  w.Field("required", ack->required);
  w.EndObject();
  const std::string replication = w.Take();
  if (!ack->acked && ack->fail_on_timeout) {
    r = JsonResponse(503, R"({"error":"replication_timeout","message":"the write is durable on )"
                          R"(the leader but was not acknowledged by enough followers in time; )"
                          R"(retry with the same event_id","replication":)" +
                              replication + "}");
    return;
  }
  // Splice into the object: the body ends with '}'.
  r.body.pop_back();
  r.body += ",\"replication\":" + replication + "}";
  r.headers.emplace_back("X-Replication-Status", ack->acked ? "acked" : "degraded");
}

// Submits `events` and answers `ex` when the store is done. `metrics` and `cluster` outlive
// the request.
void Submit(store::EventStore& store, metrics::Metrics* metrics, ClusterView* cluster,
            std::vector<NewEvent> events, const std::shared_ptr<Exchange>& ex, bool batch) {
  auto start = Clock::now();
  store.AppendAsync(std::move(events), [ex, metrics, cluster, start, batch](store::AppendOutcome out) {
    // On the WAL writer thread (or inline on a rejection): do nothing here but hand over.
    ex->Post([ex, metrics, cluster, start, batch, out = std::move(out)] {
      if (!out.status.ok()) {
        ex->Respond(AppendError(out, batch,
                                out.status.code() == StatusCode::kReadOnly ? cluster->leader()
                                                                           : std::nullopt));
        return;
      }
      metrics->EventsIngested(CountWritten(out));
      metrics->IngestionDuration(std::chrono::duration<double>(Clock::now() - start).count());
      if (!batch && out.results.size() != 1) {
        ex->Respond(ErrorResponse(500, "internal", "append returned no result"));
        return;
      }
      HttpResponse r = batch ? BatchResponse(out) : SingleResponse(out.results.front());
      Lsn last;
      for (const auto& res : out.results) last = std::max(last, res.sequence);
      AddReplication(r, cluster->AckFor(last));
      ex->Respond(std::move(r));
    });
  });
}

}  // namespace

void Append(const Context& ctx, const std::shared_ptr<Exchange>& ex) {
  auto parsed = ParseAppendBody(ex->request().body);
  if (!parsed.ok()) return ex->Respond(ErrorResponse(parsed.status()));
  std::vector<NewEvent> events;
  events.push_back(std::move(parsed).value());
  Submit(ctx.store, &ctx.metrics, &ctx.cluster, std::move(events), ex, /*batch=*/false);
}

void AppendBatch(const Context& ctx, const std::shared_ptr<Exchange>& ex) {
  std::optional<size_t> failed_index;
  const std::string& body = ex->request().body;
  auto parsed = ParseBatchBody(body, &failed_index, body.capacity());
  if (!parsed.ok()) return ex->Respond(ParseError(parsed.status(), failed_index));
  Submit(ctx.store, &ctx.metrics, &ctx.cluster, std::move(parsed).value(), ex, /*batch=*/true);
}

}  // namespace annal::http::handlers
