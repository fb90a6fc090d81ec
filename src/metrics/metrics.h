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

// Replication state sampled at scrape time (GET /metrics). Totals only grow while the process
// lives; a role change (promotion) keeps them.
struct ReplicationSample {
  bool leader = true;
  // leader
  uint64_t followers_connected = 0;
  uint64_t followers_in_sync = 0;
  uint64_t max_lag_entries = 0;
  uint64_t max_lag_ms = 0;
  uint64_t entries_sent_total = 0;
  uint64_t bytes_sent_total = 0;
  uint64_t snapshots_sent_total = 0;
  uint64_t ack_timeouts_total = 0;
  // follower
  bool connected = false;
  uint64_t lag_entries = 0;
  uint64_t lag_ms = 0;
  uint64_t entries_replayed_total = 0;
  uint64_t reconnects_total = 0;
  uint64_t snapshots_received_total = 0;
};

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

  // allsource_replication_*: see metrics.cc for the names.
  void Replication(const ReplicationSample& s);

  std::string Serialize() const;  // Prometheus text exposition format 0.0.4

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace annal::metrics
