#include "http/router.h"

#include "http/handlers.h"
#include "http/query_params.h"

namespace annal::http {
namespace {

constexpr std::string_view kEventsPrefix = "/api/v1/events/";
constexpr std::string_view kEntitiesPrefix = "/api/v1/entities/";
constexpr std::string_view kStateSuffix = "/state";

struct Match {
  std::string_view route = kRouteUnmatched;
  std::string_view param;  // raw (still percent-encoded) path parameter
};

Match MatchPath(std::string_view path) {
  for (std::string_view r : {route::kHealth, route::kMetrics, route::kEvents, route::kBatch,
                             route::kQuery, route::kStream, route::kEntities, route::kStreams,
                             route::kEventTypes, route::kStats}) {
    if (path == r) return {r, {}};
  }
  if (path.starts_with(kEventsPrefix)) {
    std::string_view id = path.substr(kEventsPrefix.size());
    if (!id.empty() && id.find('/') == std::string_view::npos) return {route::kEvent, id};
  }
  if (path.starts_with(kEntitiesPrefix) && path.ends_with(kStateSuffix) &&
      path.size() > kEntitiesPrefix.size() + kStateSuffix.size()) {
    return {route::kEntityState, path.substr(kEntitiesPrefix.size(),
                                             path.size() - kEntitiesPrefix.size() - kStateSuffix.size())};
  }
  return {};
}

bool IsPostRoute(std::string_view r) { return r == route::kEvents || r == route::kBatch; }

}  // namespace

Router::Router(RouterOptions options, store::EventStore& store, metrics::Metrics& metrics)
    : options_(std::move(options)), store_(store), metrics_(metrics) {}

std::string_view Router::RouteOf(std::string_view target) {
  return MatchPath(SplitTarget(target).first).route;
}

void Router::Handle(const std::shared_ptr<Exchange>& ex) const {
  const HttpRequest& req = ex->request();
  auto [path, query] = SplitTarget(req.target);
  Match m = MatchPath(path);
  ex->route = m.route;
  if (m.route == kRouteUnmatched) {
    ex->Respond(ErrorResponse(404, "not_found", "no route for " + std::string(path)));
    return;
  }
  Method want = IsPostRoute(m.route) ? Method::kPost : Method::kGet;
  // HEAD is GET without the body (the server drops it and keeps Content-Length).
  const bool method_ok = req.method == want || (want == Method::kGet && req.method == Method::kHead);
  if (!method_ok) {
    HttpResponse r = ErrorResponse(405, "method_not_allowed",
                                   std::string("use ") + (want == Method::kPost ? "POST" : "GET") +
                                       " for " + std::string(m.route));
    r.headers.emplace_back("Allow", want == Method::kPost ? "POST" : "GET");
    ex->Respond(std::move(r));
    return;
  }
  if (want == Method::kPost && !IsJsonContentType(req.content_type)) {
    ex->Respond(ErrorResponse(415, "unsupported_media_type",
                              "Content-Type must be application/json"));
    return;
  }

  handlers::Context ctx{options_, store_, metrics_};
  std::optional<std::string> param;
  if (!m.param.empty()) {
    // Path parameters: percent-decoded, '+' is a literal plus in a path.
    param = UrlDecode(m.param, /*plus_is_space=*/false);
    if (!param) {
      ex->Respond(ErrorResponse(400, "invalid_argument", "bad percent-escape in the path"));
      return;
    }
  }
  HttpResponse r;
  if (m.route == route::kEvents) return handlers::Append(ctx, ex);
  if (m.route == route::kBatch) return handlers::AppendBatch(ctx, ex);
  if (m.route == route::kHealth) {
    r = handlers::Health(ctx);
  } else if (m.route == route::kMetrics) {
    r = handlers::Metrics(ctx);
  } else if (m.route == route::kQuery) {
    r = handlers::QueryEvents(ctx, query);
  } else if (m.route == route::kEvent) {
    r = handlers::GetEvent(ctx, *param);
  } else if (m.route == route::kEntityState) {
    r = handlers::EntityState(ctx, *param, query);
  } else if (m.route == route::kEntities) {
    r = handlers::ListEntities(ctx, query);
  } else if (m.route == route::kStreams) {
    r = handlers::ListStreams(ctx, query);
  } else if (m.route == route::kEventTypes) {
    r = handlers::ListEventTypes(ctx, query);
  } else if (m.route == route::kStats) {
    r = handlers::Stats(ctx);
  } else {  // route::kStream: the WebSocket feed is a later issue.
    r = ErrorResponse(501, "not_implemented", "the WebSocket event stream is not available yet");
  }
  ex->Respond(std::move(r));
}

}  // namespace annal::http
