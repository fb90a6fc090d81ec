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
                             route::kEventTypes, route::kStats, route::kPromote,
                             route::kRepoint}) {
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

bool IsPostRoute(std::string_view r) {
  return r == route::kEvents || r == route::kBatch || r == route::kPromote || r == route::kRepoint;
}
bool IsInternalRoute(std::string_view r) { return r == route::kPromote || r == route::kRepoint; }

// Compares in time independent of where the first difference is, so the token cannot be
// guessed byte by byte from response timings (its length is not treated as secret).
bool SameToken(std::string_view given, std::string_view want) {
  if (given.size() != want.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < want.size(); ++i) diff |= static_cast<unsigned char>(given[i] ^ want[i]);
  return diff == 0;
}

}  // namespace

Router::Router(RouterOptions options, store::EventStore& store, metrics::Metrics& metrics)
    : options_(std::move(options)),
      owned_cluster_(std::make_unique<StandaloneCluster>(store)),
      cluster_(*owned_cluster_),
      metrics_(metrics) {}

Router::Router(RouterOptions options, ClusterView& cluster, metrics::Metrics& metrics)
    : options_(std::move(options)), cluster_(cluster), metrics_(metrics) {}

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
  if (IsInternalRoute(m.route)) {
    if (auto token = cluster_.cluster_token()) {
      if (!req.cluster_token || !SameToken(*req.cluster_token, *token)) {
        ex->Respond(ErrorResponse(401, "unauthorized",
                                  "internal endpoints need the cluster token (X-Cluster-Token "
                                  "or Authorization: Bearer)"));
        return;
      }
    }
  } else if (want == Method::kPost && !IsJsonContentType(req.content_type)) {
    ex->Respond(ErrorResponse(415, "unsupported_media_type",
                              "Content-Type must be application/json"));
    return;
  }

  std::shared_ptr<store::EventStore> store = cluster_.store();  // alive for this request
  handlers::Context ctx{options_, *store, metrics_, cluster_};
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
  } else if (m.route == route::kPromote) {
    r = handlers::Promote(ctx);
  } else if (m.route == route::kRepoint) {
    r = handlers::Repoint(ctx, query);
  } else {  // route::kStream: the WebSocket feed is a later issue.
    r = ErrorResponse(501, "not_implemented", "the WebSocket event stream is not available yet");
  }
  ex->Respond(std::move(r));
}

}  // namespace annal::http
