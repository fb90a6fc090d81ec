// GET /health and GET /metrics.
#include "http/handlers.h"
#include "http/json_writer.h"
#include "http/query_params.h"
#include "metrics/metrics.h"
#include "store/event_store.h"

namespace annal::http::handlers {

// {"status":"healthy","service":"annal","version","role","replication":null}; when the store
// is poisoned (WAL I/O error): "unhealthy" + "reason", 503 (load balancers stop routing).
HttpResponse Health(const Context& ctx) {
  Status health = ctx.store.health();
  JsonWriter w;
  w.BeginObject();
  w.Field("status", health.ok() ? "healthy" : "unhealthy");
  w.Field("service", "annal");
  w.Field("version", ctx.options.version);
  w.Field("role", ctx.cluster.role());
  w.Key("replication");
  ctx.cluster.WriteHealth(w);
  if (!health.ok()) w.Field("reason", health.ToString());
  w.EndObject();
  return JsonResponse(health.ok() ? 200 : 503, w.Take());
}

HttpResponse Metrics(const Context& ctx) {
  ctx.metrics.StorageEvents(ctx.store.GetStats().total_events);
  ctx.cluster.SampleMetrics(ctx.metrics);
  HttpResponse r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = ctx.metrics.Serialize();
  return r;
}

HttpResponse Promote(const Context& ctx) {
  auto r = ctx.cluster.Promote();
  if (!r.ok()) return ErrorResponse(r.status());
  return JsonResponse(200, std::move(r).value());
}

HttpResponse Repoint(const Context& ctx, std::string_view query) {
  auto params = QueryString::Parse(query);
  if (!params.ok()) return ErrorResponse(params.status());
  std::optional<std::string_view> leader = params->Get("leader");
  if (!leader)
    return ErrorResponse(400, "invalid_argument", "repoint needs ?leader=host:port");
  if (ctx.cluster.role() != "follower")
    return ErrorResponse(409, "not_follower", "only a follower can be repointed");
  auto r = ctx.cluster.Repoint(*leader);
  if (!r.ok()) return ErrorResponse(r.status());
  return JsonResponse(200, std::move(r).value());
}

}  // namespace annal::http::handlers
