// Annal's Prometheus metrics: a prometheus-cpp registry with the families AllSource exposes
// (allsource_*) and Annal's own (annal_*), serialized as text format 0.0.4 by our HTTP server.
// prometheus-cpp types stay out of this header. All methods are thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace annal::metrics {

class Metrics {
 public:
  Metrics();
  ~Metrics();

  void EventsIngested(size_t n);                     // allsource_events_ingested_total
  void IngestionDuration(double seconds);            // allsource_ingestion_duration_seconds
  void QueryServed(double seconds);                  // allsource_queries_total, *_query_duration_seconds
  // allsource_storage_events_total: advanced to `total` (the store's event count). Exposed as a
  // counter, since events are never deleted and promtool rejects a gauge named *_total.
  void StorageEvents(uint64_t total);
  void WalGroupCommit(double fsync_seconds, size_t group_records);  // annal_wal_fsync_seconds, annal_wal_group_size
  // annal_http_requests_total{route,status}; `route` is a route pattern, never a raw path.
  void HttpRequest(std::string_view route, int status, double seconds);

  std::string Serialize() const;  // Prometheus text exposition format 0.0.4

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace annal::metrics
