// EventStore::Impl: the state behind EventStore and how it is locked.
//
// Locks, in the only order they may be taken:
//   1. seq_mu_       (std::mutex)  the sequencing lock. Held by an appender for the whole
//                    check-assign-index-submit step, so LSN order == WAL submit order and OCC /
//                    idempotency checks see every earlier (even pending) event. Also guards
//                    streams_, last_lsn_, last_timestamp_, closing_.
//   2. index_mu_     (writer-preferring rwlock) guards log_ and indexes_. Appenders take it
//                    exclusively only to insert an already-checked batch; readers take it
//                    shared. Appenders holding seq_mu_ may *read* log_/indexes_ without it,
//                    because every writer of those holds seq_mu_.
//   3. the VisibilityTracker's internal mutex (never held while calling out).
// close_mu_ is taken only by Close(), before seq_mu_.
//
// Visibility: readers load visibility_.visible() once, while holding index_mu_ shared, and
// ignore every LSN above it. All events <= visible are in log_/indexes_ because an event is
// indexed before its WAL batch is submitted.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>

#include "store/event_log.h"
#include "store/event_store.h"
#include "store/indexes.h"
#include "store/shared_mutex.h"
#include "store/visibility.h"
#include "wal/wal.h"

namespace annal::store {

class EventStore::Impl {
 public:
  explicit Impl(StoreOptions options) : options_(std::move(options)) {}

  // Open: rebuilds state from one recovered WAL record. Single-threaded (no locks needed).
  Status ReplayRecord(const wal::RecordView& record);
  // Open: the WAL is recovered; start serving.
  void StartServing(std::unique_ptr<wal::Wal> wal);

  void AppendAsync(std::vector<NewEvent> events, AppendCallback done);

  std::optional<const Event*> GetEvent(const Uuid& id) const;
  Result<QueryResult> QueryEvents(const Query& q) const;
  std::optional<EntityState> GetEntityState(const std::optional<std::string>& tenant_id,
                                            const std::string& entity_id,
                                            std::optional<TimestampMicros> as_of) const;
  Page<EntitySummary> ListEntities(const EntityListOptions& opts) const;
  Page<StreamSummary> ListStreams(size_t limit, size_t offset) const;
  Page<EventTypeSummary> ListEventTypes(size_t limit, size_t offset) const;
  Stats GetStats() const;

  Lsn visible_lsn() const { return visibility_.visible(); }
  Lsn durable_lsn() const { return visibility_.durable(); }
  Status health() const { return visibility_.health(); }
  Status Close();

 private:
  // Everything AppendAsync decided about one requested event while holding seq_mu_.
  struct PlannedEvent;
  // The checked, not-yet-indexed batch: fills `outcome` or sets its error.
  bool CheckBatch(std::vector<NewEvent>& events, std::vector<PlannedEvent>& plan,
                  AppendOutcome& outcome, Lsn& newest_duplicate);
  // Visible events of an entity, optionally of one tenant, with timestamp <= as_of.
  // REQUIRES: index_mu_ held (shared).
  std::vector<const Event*> EntityHistory(const EntityEntry& entry, Lsn visible,
                                          const std::optional<std::string>& tenant_id,
                                          std::optional<TimestampMicros> as_of) const;
  // Summary of an entity's visible events. REQUIRES: index_mu_ held, entry has one.
  EntitySummary Summarize(const std::string& entity_id, const EntityEntry& entry,
                          Lsn visible) const;

  const StoreOptions options_;
  std::unique_ptr<wal::Wal> wal_;  // set once by StartServing, reset only by Close

  std::mutex seq_mu_;
  StreamTable streams_;             // guarded by seq_mu_
  Lsn last_lsn_;                    // guarded by seq_mu_: last LSN assigned
  TimestampMicros last_timestamp_ = 0;  // guarded by seq_mu_: last timestamp assigned
  Epoch epoch_{1};                  // guarded by seq_mu_: epoch stamped on new events
  uint64_t batch_counter_ = 0;      // guarded by seq_mu_: ids for StreamState scratch
  bool closing_ = false;            // guarded by seq_mu_

  mutable WriterPreferringSharedMutex index_mu_;
  EventLog log_;                    // guarded by index_mu_ (see above)
  Indexes indexes_;                 // guarded by index_mu_ (see above)

  VisibilityTracker visibility_;
  std::atomic<uint64_t> total_ingested_{0};

  std::mutex close_mu_;
  bool closed_ = false;             // guarded by close_mu_
  Status close_status_;             // guarded by close_mu_
};

}  // namespace annal::store
