// Router: maps a request to its handler (DESIGN.md §6 routes, shared API.md shapes) and
// applies the rules common to all routes: 404 for unknown paths, 405 (+ Allow) for a known
// path with the wrong method, 415 for a POST body that is not JSON. Beast-free.
//
// Route patterns double as metrics labels (bounded set): see RouteOf().
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "http/cluster.h"
#include "http/http_types.h"

namespace annal::store { class EventStore; }
namespace annal::metrics { class Metrics; }

namespace annal::http {

struct RouterOptions {
  size_t max_query_results = 100000;  // cap for listing limits (the store caps queries)
  std::string version = "0.1.0";
};

// Route patterns (static storage; used as metrics labels).
namespace route {
inline constexpr std::string_view kHealth = "/health";
inline constexpr std::string_view kMetrics = "/metrics";
inline constexpr std::string_view kEvents = "/api/v1/events";
inline constexpr std::string_view kBatch = "/api/v1/events/batch";
inline constexpr std::string_view kQuery = "/api/v1/events/query";
inline constexpr std::string_view kStream = "/api/v1/events/stream";
inline constexpr std::string_view kEvent = "/api/v1/events/{id}";
inline constexpr std::string_view kEntityState = "/api/v1/entities/{id}/state";
inline constexpr std::string_view kEntities = "/api/v1/entities";
inline constexpr std::string_view kStreams = "/api/v1/streams";
inline constexpr std::string_view kEventTypes = "/api/v1/event-types";
inline constexpr std::string_view kStats = "/api/v1/stats";
inline constexpr std::string_view kPromote = "/internal/promote";
inline constexpr std::string_view kRepoint = "/internal/repoint";
}  // namespace route

class Router {
 public:
  // The store and metrics must outlive the router and every request it dispatched.
  Router(RouterOptions options, store::EventStore& store, metrics::Metrics& metrics);
  // A replicating node: the store comes from `cluster` per request.
  Router(RouterOptions options, ClusterView& cluster, metrics::Metrics& metrics);

  // The route pattern for a request target, or kRouteUnmatched. Cheap; the server calls it on
  // the header alone to pick the body limit.
  static std::string_view RouteOf(std::string_view target);

  // Answers the request through ex->Respond exactly once (maybe later, on another thread).
  // Thread-safe.
  void Handle(const std::shared_ptr<Exchange>& ex) const;

 private:
  RouterOptions options_;
  std::unique_ptr<ClusterView> owned_cluster_;  // StandaloneCluster for the first constructor
  ClusterView& cluster_;
  metrics::Metrics& metrics_;
};

}  // namespace annal::http
