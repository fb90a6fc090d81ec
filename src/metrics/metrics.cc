#include "metrics/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <map>
#include <mutex>
#include <shared_mutex>
#include <utility>

namespace annal::metrics {
namespace {

using prometheus::Counter;
using prometheus::Gauge;
using prometheus::Histogram;

// Latency buckets from 100 µs to 10 s.
Histogram::BucketBoundaries LatencyBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,     0.25,   0.5,   1.0,    2.5,   5.0,  10.0};
}

// fdatasync takes tens of µs on NVMe and ms on spinning disks or cloud volumes.
Histogram::BucketBoundaries FsyncBuckets() {
  return {0.00005, 0.0001, 0.00025, 0.0005, 0.00075, 0.001, 0.0025, 0.005,
          0.01,    0.025,  0.05,    0.1,    0.25,    0.5,   1.0,    2.5};
}

Histogram::BucketBoundaries GroupSizeBuckets() {
  return {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096};
}

// More (route, status) series than this is a bug in the caller; the excess is folded into
// route="other" so a mistake can never blow up the scrape.
constexpr size_t kMaxHttpSeries = 256;

}  // namespace

struct Metrics::State {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();

  Counter& ingested = prometheus::BuildCounter()
                          .Name("allsource_events_ingested_total")
                          .Help("Events appended (idempotent retries are not counted)")
                          .Register(*registry)
                          .Add({});
  Histogram& ingestion_duration = prometheus::BuildHistogram()
                                      .Name("allsource_ingestion_duration_seconds")
                                      .Help("Time to durably append a request's events")
                                      .Register(*registry)
                                      .Add({}, LatencyBuckets());
  Counter& queries = prometheus::BuildCounter()
                         .Name("allsource_queries_total")
                         .Help("Event queries served")
                         .Register(*registry)
                         .Add({});
  Histogram& query_duration = prometheus::BuildHistogram()
                                  .Name("allsource_query_duration_seconds")
                                  .Help("Time to answer an event query")
                                  .Register(*registry)
                                  .Add({}, LatencyBuckets());
  // A counter, not a gauge: events are never deleted, and promtool rejects a gauge whose name
  // ends in _total. StorageEvents() advances it to the store's total.
  Counter& storage_events = prometheus::BuildCounter()
                                .Name("allsource_storage_events_total")
                                .Help("Events in the store")
                                .Register(*registry)
                                .Add({});
  Histogram& wal_fsync = prometheus::BuildHistogram()
                             .Name("annal_wal_fsync_seconds")
                             .Help("Duration of one WAL group commit's fdatasync")
                             .Register(*registry)
                             .Add({}, FsyncBuckets());
  Histogram& wal_group_size = prometheus::BuildHistogram()
                                  .Name("annal_wal_group_size")
                                  .Help("WAL records written per group commit")
                                  .Register(*registry)
                                  .Add({}, GroupSizeBuckets());
  prometheus::Family<Counter>& http_requests = prometheus::BuildCounter()
                                                   .Name("annal_http_requests_total")
                                                   .Help("HTTP requests by route pattern and status")
                                                   .Register(*registry);
  prometheus::Family<Histogram>& http_duration =
      prometheus::BuildHistogram()
          .Name("annal_http_request_duration_seconds")
          .Help("HTTP request duration by route pattern, from the end of the header to the response")
          .Register(*registry);

  std::mutex storage_mu;
  uint64_t storage_seen = 0;

  // Replication (sampled at scrape time). No per-follower labels: the set would be unbounded.
  Gauge& G(const char* name, const char* help) {
    return prometheus::BuildGauge().Name(name).Help(help).Register(*registry).Add({});
  }
  Counter& C(const char* name, const char* help) {
    return prometheus::BuildCounter().Name(name).Help(help).Register(*registry).Add({});
  }
  Gauge& repl_followers = G("allsource_replication_followers_connected", "Followers connected to this leader");
  Gauge& repl_in_sync = G("annal_replication_followers_in_sync", "Followers streaming live entries");
  Gauge& repl_lag_entries = G("allsource_replication_lag_entries",
                              "Leader: largest follower lag in entries (durable - acked); follower: leader offset - replayed");
  Gauge& repl_lag_s = G("allsource_replication_lag_seconds",
                         "Leader: age of the oldest unacked entry of the slowest follower; follower: leader write to receipt");
  Gauge& repl_connected = G("allsource_replication_connected", "Follower: 1 while connected to its leader");
  Counter& repl_sent = C("allsource_replication_entries_sent_total", "WAL entries shipped to followers");
  Counter& repl_bytes = C("allsource_replication_bytes_sent_total", "Bytes shipped to followers");
  Counter& repl_snap_sent = C("annal_replication_snapshots_sent_total", "Snapshots sent to followers");
  Counter& repl_timeouts = C("annal_replication_ack_timeouts_total", "Write batches published after their ack timeout");
  Counter& repl_replayed = C("allsource_replication_entries_replayed_total", "Entries applied from the leader");
  Counter& repl_reconnects = C("allsource_replication_reconnects_total", "Follower reconnections to the leader");
  Counter& repl_snap_recv = C("allsource_replication_snapshots_received_total", "Snapshots installed from the leader");
  std::mutex repl_mu;
  ReplicationSample repl_seen;  // guarded by repl_mu: totals already counted

  // Series cache: Family::Add builds label maps, which is too slow for every request.
  std::shared_mutex http_mu;
  std::map<std::pair<std::string, int>, Counter*, std::less<>> http_counters;
  std::map<std::string, Histogram*, std::less<>> http_histograms;

  Counter& HttpCounter(std::string_view route, int status) {
    {
      std::shared_lock lock(http_mu);
      auto it = http_counters.find(std::pair<std::string, int>(route, status));
      if (it != http_counters.end()) return *it->second;
    }
    std::unique_lock lock(http_mu);
    std::string r(http_counters.size() >= kMaxHttpSeries ? std::string_view("other") : route);
    auto [it, inserted] = http_counters.try_emplace({r, status}, nullptr);
    if (inserted)
      it->second = &http_requests.Add({{"route", r}, {"status", std::to_string(status)}});
    return *it->second;
  }

  Histogram& HttpHistogram(std::string_view route) {
    {
      std::shared_lock lock(http_mu);
      auto it = http_histograms.find(route);
      if (it != http_histograms.end()) return *it->second;
    }
    std::unique_lock lock(http_mu);
    std::string r(http_histograms.size() >= kMaxHttpSeries ? std::string_view("other") : route);
    auto [it, inserted] = http_histograms.try_emplace(r, nullptr);
    if (inserted) it->second = &http_duration.Add({{"route", r}}, LatencyBuckets());
    return *it->second;
  }
};

Metrics::Metrics() : s_(std::make_unique<State>()) {}
Metrics::~Metrics() = default;

void Metrics::EventsIngested(size_t n) { s_->ingested.Increment(static_cast<double>(n)); }
void Metrics::IngestionDuration(double seconds) { s_->ingestion_duration.Observe(seconds); }

void Metrics::QueryServed(double seconds) {
  s_->queries.Increment();
  s_->query_duration.Observe(seconds);
}

void Metrics::Replication(const ReplicationSample& r) {
  std::lock_guard lock(s_->repl_mu);
  ReplicationSample& seen = s_->repl_seen;
  auto advance = [](Counter& c, uint64_t total, uint64_t& counted) {
    if (total > counted) c.Increment(static_cast<double>(total - counted));
    counted = std::max(counted, total);
  };
  // A role change starts new per-role totals; keep counting from where they restart.
  if (r.leader != seen.leader) {
    seen.entries_sent_total = seen.bytes_sent_total = seen.snapshots_sent_total = 0;
    seen.ack_timeouts_total = seen.entries_replayed_total = 0;
    seen.reconnects_total = seen.snapshots_received_total = 0;
    seen.leader = r.leader;
  }
  s_->repl_followers.Set(static_cast<double>(r.followers_connected));
  s_->repl_in_sync.Set(static_cast<double>(r.followers_in_sync));
  s_->repl_lag_entries.Set(static_cast<double>(r.leader ? r.max_lag_entries : r.lag_entries));
  s_->repl_lag_s.Set(static_cast<double>(r.leader ? r.max_lag_ms : r.lag_ms) / 1000.0);
  s_->repl_connected.Set(r.connected ? 1 : 0);
  advance(s_->repl_sent, r.entries_sent_total, seen.entries_sent_total);
  advance(s_->repl_bytes, r.bytes_sent_total, seen.bytes_sent_total);
  advance(s_->repl_snap_sent, r.snapshots_sent_total, seen.snapshots_sent_total);
  advance(s_->repl_timeouts, r.ack_timeouts_total, seen.ack_timeouts_total);
  advance(s_->repl_replayed, r.entries_replayed_total, seen.entries_replayed_total);
  advance(s_->repl_reconnects, r.reconnects_total, seen.reconnects_total);
  advance(s_->repl_snap_recv, r.snapshots_received_total, seen.snapshots_received_total);
}

void Metrics::StorageEvents(uint64_t total) {
  std::lock_guard lock(s_->storage_mu);
  if (total > s_->storage_seen) {
    s_->storage_events.Increment(static_cast<double>(total - s_->storage_seen));
    s_->storage_seen = total;
  }
}

void Metrics::WalGroupCommit(double fsync_seconds, size_t group_records) {
  if (fsync_seconds > 0) s_->wal_fsync.Observe(fsync_seconds);
  s_->wal_group_size.Observe(static_cast<double>(group_records));
}

void Metrics::HttpRequest(std::string_view route, int status, double seconds) {
  s_->HttpCounter(route, status).Increment();
  s_->HttpHistogram(route).Observe(seconds);
}

std::string Metrics::Serialize() const {
  return prometheus::TextSerializer().Serialize(s_->registry->Collect());
}

}  // namespace annal::metrics
