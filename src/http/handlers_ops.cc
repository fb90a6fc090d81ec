// GET /health and GET /metrics.
#include "http/handlers.h"
#include "http/json_writer.h"
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
  w.Field("role", ctx.options.role);
  w.Key("replication");
  w.Null();  // replication is a later issue
  if (!health.ok()) w.Field("reason", health.ToString());
  w.EndObject();
  return JsonResponse(health.ok() ? 200 : 503, w.Take());
}

HttpResponse Metrics(const Context& ctx) {
  ctx.metrics.StorageEvents(ctx.store.GetStats().total_events);
  HttpResponse r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = ctx.metrics.Serialize();
  return r;
}

}  // namespace annal::http::handlers
