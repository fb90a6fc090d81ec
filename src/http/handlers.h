// Route handlers (internal to src/http). Each answers one route of DESIGN.md §6 with the
// exact shapes of shared API.md. Synchronous handlers return the response; the append
// handlers answer through the Exchange once the store completes the write.
#pragma once

#include <memory>
#include <string_view>

#include "http/cluster.h"
#include "http/http_types.h"
#include "http/router.h"

namespace annal::http::handlers {

struct Context {
  const RouterOptions& options;
  store::EventStore& store;  // the cluster's current store, kept alive by the router
  metrics::Metrics& metrics;
  ClusterView& cluster;
};

// handlers_events.cc: writes.
void Append(const Context& ctx, const std::shared_ptr<Exchange>& ex);
void AppendBatch(const Context& ctx, const std::shared_ptr<Exchange>& ex);

// handlers_reads.cc. `query` is the raw query string; ids are already percent-decoded.
HttpResponse QueryEvents(const Context& ctx, std::string_view query);
HttpResponse GetEvent(const Context& ctx, std::string_view id);
HttpResponse EntityState(const Context& ctx, std::string_view entity_id, std::string_view query);
HttpResponse ListEntities(const Context& ctx, std::string_view query);
HttpResponse ListStreams(const Context& ctx, std::string_view query);
HttpResponse ListEventTypes(const Context& ctx, std::string_view query);
HttpResponse Stats(const Context& ctx);

// handlers_ops.cc.
HttpResponse Health(const Context& ctx);
HttpResponse Metrics(const Context& ctx);
// POST /internal/promote and /internal/repoint?leader=host:port (cluster token checked by
// the router).
HttpResponse Promote(const Context& ctx);
HttpResponse Repoint(const Context& ctx, std::string_view query);

}  // namespace annal::http::handlers
