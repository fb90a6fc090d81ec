// Read routes: query, single event, entity state, listings, stats.
#include <algorithm>
#include <chrono>

#include "http/event_json.h"
#include "http/handlers.h"
#include "http/query_params.h"
#include "metrics/metrics.h"
#include "store/event_store.h"

namespace annal::http::handlers {
namespace {

void WriteOptionalTimestamp(JsonWriter& w, std::optional<TimestampMicros> t) {
  if (t) {
    w.Timestamp(*t);
  } else {
    w.Null();
  }
}

}  // namespace

HttpResponse QueryEvents(const Context& ctx, std::string_view query) {
  auto start = std::chrono::steady_clock::now();
  auto q = ParseEventQuery(query);
  if (!q.ok()) return ErrorResponse(q.status());
  auto result = ctx.store.QueryEvents(*q);
  if (!result.ok()) return ErrorResponse(result.status());
  JsonWriter w;
  w.BeginObject();
  w.Key("events");
  w.BeginArray();
  WriteEventsJson(w, result->events);
  w.EndArray();
  w.Field("count", result->events.size());
  w.Field("total_count", result->total_count);
  w.Field("has_more", result->has_more);
  if (result->has_more && result->next_after) w.Field("next_after", result->next_after->value());
  w.EndObject();
  ctx.metrics.QueryServed(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return JsonResponse(200, w.Take());
}

// A malformed id is a client bug, so it gets 400 (as AllSource's Path<Uuid> extractor), not 404.
HttpResponse GetEvent(const Context& ctx, std::string_view id_text) {
  auto id = Uuid::Parse(id_text);
  if (!id) return ErrorResponse(400, "invalid_argument", "event id must be a UUID");
  auto event = ctx.store.GetEvent(*id);
  if (!event) return ErrorResponse(404, "not_found", "event " + id->ToString() + " not found");
  JsonWriter w;
  w.BeginObject();
  w.Key("event");
  WriteEventJson(w, **event);
  w.Field("found", true);
  w.EndObject();
  return JsonResponse(200, w.Take());
}

// {"entity_id","last_updated","event_count","as_of","current_state","history":[...]}
HttpResponse EntityState(const Context& ctx, std::string_view entity_id, std::string_view query) {
  auto qs = QueryString::Parse(query);
  if (!qs.ok()) return ErrorResponse(qs.status());
  auto as_of = qs->GetTimestamp("as_of");
  if (!as_of.ok()) return ErrorResponse(as_of.status());
  std::optional<std::string> tenant;
  if (auto t = qs->Get("tenant_id")) tenant = std::string(*t);
  auto state = ctx.store.GetEntityState(tenant, std::string(entity_id), *as_of);
  if (!state) {
    return ErrorResponse(404, "not_found",
                         "entity " + std::string(entity_id) + " has no events");
  }
  JsonWriter w;
  w.BeginObject();
  w.Field("entity_id", state->entity_id);
  w.Key("last_updated");
  w.Timestamp(state->last_updated);
  w.Field("event_count", state->event_count);
  w.Key("as_of");
  WriteOptionalTimestamp(w, state->as_of);
  w.Key("current_state");
  w.Raw(state->current_state.empty() ? std::string_view("{}") : std::string_view(state->current_state));
  w.Key("history");
  w.BeginArray();
  for (const Event* e : state->history) {
    w.BeginObject();
    w.Key("event_id");
    w.Uuid(e->id);
    w.Field("type", e->event_type);
    w.Key("timestamp");
    w.Timestamp(e->timestamp);
    w.Key("payload");
    w.Raw(e->payload);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return JsonResponse(200, w.Take());
}

HttpResponse ListEntities(const Context& ctx, std::string_view query) {
  auto p = ParseListParams(query);
  if (!p.ok()) return ErrorResponse(p.status());
  if (p->as_of) {
    return ErrorResponse(400, "invalid_argument",
                         "query parameter `as_of` is not supported by /api/v1/entities yet");
  }
  store::EntityListOptions opts;
  opts.event_type_prefix = p->event_type_prefix;
  opts.payload_filter = p->payload_filter;
  opts.limit = std::min(p->limit, ctx.options.max_query_results);
  opts.offset = p->offset;
  auto page = ctx.store.ListEntities(opts);
  JsonWriter w;
  w.BeginObject();
  w.Key("entities");
  w.BeginArray();
  for (const auto& e : page.items) {
    w.BeginObject();
    w.Field("entity_id", e.entity_id);
    w.Field("event_count", e.event_count);
    w.Field("last_event_type", e.last_event_type);
    w.Key("last_event_at");
    w.Timestamp(e.last_event_at);
    w.EndObject();
  }
  w.EndArray();
  w.Field("total", page.total);
  w.Field("has_more", page.has_more);
  w.EndObject();
  return JsonResponse(200, w.Take());
}

namespace {

// {"<list_key>":[{"<name_key>","event_count","last_event_at"}],"total"}
template <typename Summary, typename NameOf>
HttpResponse SummaryPage(const store::Page<Summary>& page, std::string_view list_key,
                         std::string_view name_key, NameOf name_of) {
  JsonWriter w;
  w.BeginObject();
  w.Key(list_key);
  w.BeginArray();
  for (const auto& s : page.items) {
    w.BeginObject();
    w.Field(name_key, name_of(s));
    w.Field("event_count", s.event_count);
    w.Key("last_event_at");
    w.Timestamp(s.last_event_at);
    w.EndObject();
  }
  w.EndArray();
  w.Field("total", page.total);
  w.EndObject();
  return JsonResponse(200, w.Take());
}

}  // namespace

HttpResponse ListStreams(const Context& ctx, std::string_view query) {
  auto p = ParseListParams(query);
  if (!p.ok()) return ErrorResponse(p.status());
  auto page = ctx.store.ListStreams(std::min(p->limit, ctx.options.max_query_results), p->offset);
  return SummaryPage(page, "streams", "stream_id",
                     [](const store::StreamSummary& s) -> const std::string& { return s.stream_id; });
}

HttpResponse ListEventTypes(const Context& ctx, std::string_view query) {
  auto p = ParseListParams(query);
  if (!p.ok()) return ErrorResponse(p.status());
  auto page =
      ctx.store.ListEventTypes(std::min(p->limit, ctx.options.max_query_results), p->offset);
  return SummaryPage(page, "event_types", "event_type",
                     [](const store::EventTypeSummary& s) -> const std::string& { return s.event_type; });
}

HttpResponse Stats(const Context& ctx) {
  store::Stats s = ctx.store.GetStats();
  JsonWriter w;
  w.BeginObject();
  w.Field("total_events", s.total_events);
  w.Field("total_entities", s.total_entities);
  w.Field("total_event_types", s.total_event_types);
  w.Field("total_ingested", s.total_ingested);
  w.EndObject();
  return JsonResponse(200, w.Take());
}

}  // namespace annal::http::handlers
