// POST /api/v1/events and /api/v1/events/batch.
//
// Threading: parsing runs on the IO thread; the store completes the append on the WAL writer
// thread, which only Posts back to the connection's executor; the response JSON is built
// there, so the writer thread is never slowed by response encoding.
#include <chrono>

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
HttpResponse AppendError(const store::AppendOutcome& out, bool batch) {
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
  w.Field("event_id", r.event_id.ToString());
  w.Key("timestamp");
  WriteTimestamp(w, r.timestamp);
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
  for (const auto& r : out.results) {
    w.BeginObject();
    w.Field("event_id", r.event_id.ToString());
    w.Key("timestamp");
    WriteTimestamp(w, r.timestamp);
    w.Field("sequence", r.sequence.value());
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return JsonResponse(200, w.Take());
}

// Submits `events` and answers `ex` when the store is done. `metrics` outlives the request.
void Submit(store::EventStore& store, metrics::Metrics* metrics, std::vector<NewEvent> events,
            const std::shared_ptr<Exchange>& ex, bool batch) {
  auto start = Clock::now();
  store.AppendAsync(std::move(events), [ex, metrics, start, batch](store::AppendOutcome out) {
    // On the WAL writer thread (or inline on a rejection): do nothing here but hand over.
    ex->Post([ex, metrics, start, batch, out = std::move(out)] {
      if (!out.status.ok()) {
        ex->Respond(AppendError(out, batch));
        return;
      }
      metrics->EventsIngested(CountWritten(out));
      metrics->IngestionDuration(std::chrono::duration<double>(Clock::now() - start).count());
      if (!batch && out.results.size() != 1) {
        ex->Respond(ErrorResponse(500, "internal", "append returned no result"));
        return;
      }
      ex->Respond(batch ? BatchResponse(out) : SingleResponse(out.results.front()));
    });
  });
}

}  // namespace

void Append(const Context& ctx, const std::shared_ptr<Exchange>& ex) {
  auto parsed = ParseAppendBody(ex->request().body);
  if (!parsed.ok()) return ex->Respond(ErrorResponse(parsed.status()));
  std::vector<NewEvent> events;
  events.push_back(std::move(parsed).value());
  Submit(ctx.store, &ctx.metrics, std::move(events), ex, /*batch=*/false);
}

void AppendBatch(const Context& ctx, const std::shared_ptr<Exchange>& ex) {
  std::optional<size_t> failed_index;
  auto parsed = ParseBatchBody(ex->request().body, &failed_index);
  if (!parsed.ok()) return ex->Respond(ParseError(parsed.status(), failed_index));
  Submit(ctx.store, &ctx.metrics, std::move(parsed).value(), ex, /*batch=*/true);
}

}  // namespace annal::http::handlers
