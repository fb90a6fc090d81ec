// EventStore::Impl: the state behind EventStore and how it is locked.
//
// Locks, in the only order they may be taken:
//   1. seq_mu_       (std::mutex)  the sequencing lock. Held by an appender for the whole
//                    check-assign-index step, so OCC / idempotency checks see every earlier
//                    (even pending) event. The appender then encodes its WAL batch without it;
//                    submit_ hands the batches to the WAL in the LSN order decided here. Also
//                    guards streams_, last_lsn_, last_timestamp_, closing_.
//   2. index_mu_     (writer-preferring rwlock) guards log_ and indexes_. Appenders take it
//                    exclusively only to insert an already-checked batch; readers take it
//                    shared. Appenders holding seq_mu_ may *read* log_/indexes_ without it,
//                    because every writer of those holds seq_mu_.
//   3. the VisibilityTracker's internal mutex (never held while calling out).
// close_mu_ is taken only by Close(), before seq_mu_.
//
// Checkpoints and compactions: maintenance_mu_ serializes them (explicit calls, the background
// thread and Close's final checkpoint). It is never held together with seq_mu_; under it,
// index_mu_ is taken shared only briefly to collect event pointers, and then the storage
// catalog's and the WAL's retention locks, which are leaves. Order: close_mu_ ->
// maintenance_mu_ -> index_mu_. maintenance_wake_mu_ only guards the background thread's
// sleep and is never held while calling out.
//
// Visibility: readers load visibility_.visible() once, while holding index_mu_ shared, and
// ignore every LSN above it. All events <= visible are in log_/indexes_ because an event is
// indexed before its WAL batch is submitted.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>

#include "store/event_log.h"
#include "store/event_store.h"
#include "store/indexes.h"
#include "store/ordered_submit.h"
#include "store/shared_mutex.h"
#include "store/visibility.h"
#include "storage/catalog.h"
#include "storage/epoch_history.h"
#include "wal/wal.h"

namespace annal::store {

class EventStore::Impl {
 public:
  explicit Impl(StoreOptions options)
      : options_(std::move(options)),
        read_only_(options_.read_only),
        gate_(options_.gate_visibility) {}

  // Open: rebuilds state from one event of a Parquet file or the WAL, in LSN order, checking
  // every invariant. `origin` names the source in errors. Single-threaded (no locks needed).
  Status ReplayEvent(Event e, std::string_view origin);
  // Open: ReplayEvent for one recovered WAL record.
  Status ReplayRecord(const wal::RecordView& record);
  Lsn replayed_lsn() const { return last_lsn_; }  // Open only
  // Open, after replay: loads <data>/EPOCHS (or derives it from the replayed events), reconciles
  // it with the log, saves it if it changed, and sets the epoch for new appends.
  Status LoadEpochHistory();
  // Open: storage loaded and the WAL recovered; start serving (and the maintenance thread).
  void StartServing(std::unique_ptr<storage::Catalog> catalog, std::unique_ptr<wal::Wal> wal);

  Result<storage::CheckpointResult> Checkpoint();
  Result<storage::CompactionResult> Compact();
  Lsn checkpoint_lsn() const { return catalog_->checkpoint_lsn(); }
  StorageStats storage_stats() const;
  storage::Catalog::PinnedSnapshot PinStorageSnapshot() { return catalog_->PinAll(); }

  void AppendAsync(std::vector<NewEvent> events, AppendCallback done);
  void ApplyReplicatedAsync(std::vector<Event> events, std::function<void(Status)> done);
  void Publish(Lsn lsn) { visibility_.Publish(lsn); }
  Lsn last_lsn();
  Epoch epoch();
  Status SetEpoch(Epoch epoch);
  storage::EpochHistory epoch_history();
  void SetReadOnly(bool read_only);
  bool read_only() const { return read_only_.load(std::memory_order_acquire); }
  void SetVisibilityGate(bool on) {
    gate_.store(on, std::memory_order_release);
    if (!on) visibility_.Publish(visibility_.durable());
  }
  const std::filesystem::path& data_dir() const { return options_.data_dir; }

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
  Status Close(bool final_checkpoint);

 private:
  // Everything AppendAsync decided about one requested event while holding seq_mu_.
  struct PlannedEvent;
  // Marks every client id that an earlier event of the batch has too (PlannedEvent::dup_of).
  // It depends on the batch alone, so it runs before the sequencing lock.
  static void FindRepeatedIds(const std::vector<NewEvent>& events,
                              std::vector<PlannedEvent>& plan);
  // The checked, not-yet-indexed batch: fills `outcome` or sets its error.
  bool CheckBatch(std::vector<NewEvent>& events, std::vector<PlannedEvent>& plan,
                  AppendOutcome& outcome, Lsn& newest_duplicate);
  // The WAL completion of a batch ending at `lsn`: durable, then visible unless gated.
  void OnBatchDurable(Lsn lsn, const Status& st);
  // Visible events of an entity, optionally of one tenant, with timestamp <= as_of.
  // REQUIRES: index_mu_ held (shared).
  std::vector<const Event*> EntityHistory(const EntityEntry& entry, Lsn visible,
                                          const std::optional<std::string>& tenant_id,
                                          std::optional<TimestampMicros> as_of) const;
  // Summary of an entity's visible events. REQUIRES: index_mu_ held, entry has one.
  EntitySummary Summarize(const std::string& entity_id, const EntityEntry& entry,
                          Lsn visible) const;

  // storage::EventSource over log_: pointers to first..last. REQUIRES: last <= visible (so the
  // events are immutable). Takes index_mu_ shared in short stretches.
  Status CollectEvents(Lsn first, Lsn last, std::vector<const Event*>* out) const;
  // REQUIRES: maintenance_mu_ held.
  Result<storage::CheckpointResult> CheckpointLocked();
  // The background thread: sleep checkpoint_interval, checkpoint if enough is new, compact.
  void MaintenanceLoop();
  void StopMaintenance();
  void RecordMaintenanceError(const Status& st, std::string_view what);

  const StoreOptions options_;
  std::unique_ptr<wal::Wal> wal_;  // set once by StartServing, reset only by Close
  OrderedSubmit submit_;           // every batch reaches wal_ through here
  // Encodes the events (contiguous LSNs, immutable in log_) and submits them through submit_.
  // Called after seq_mu_ was released, for every LSN range assigned under it.
  void SubmitToWal(const std::vector<const Event*>& events);

  std::mutex seq_mu_;
  StreamTable streams_;             // guarded by seq_mu_
  Lsn last_lsn_;                    // guarded by seq_mu_: last LSN assigned
  TimestampMicros last_timestamp_ = 0;  // guarded by seq_mu_: last timestamp assigned
  Epoch epoch_{1};                  // guarded by seq_mu_: epoch stamped on new events
  // Which epoch wrote which LSNs (<data>/EPOCHS). Guarded by seq_mu_; saved before the first
  // WAL record of a new epoch is submitted, so the file never misses an epoch of the log.
  storage::EpochHistory epochs_;
  storage::EpochHistory derived_epochs_;  // Open only: the epochs seen while replaying
  // Records that `epoch` writes from `start` on, if it is new, and saves the history.
  // REQUIRES: seq_mu_ held (or Open).
  Status RecordEpochLocked(Epoch epoch, Lsn start);
  uint64_t batch_counter_ = 0;      // guarded by seq_mu_: ids for StreamState scratch
  bool closing_ = false;            // guarded by seq_mu_
  std::atomic<bool> read_only_{false};  // written under seq_mu_, read anywhere
  std::atomic<bool> gate_{false};       // visibility waits for Publish (semi-sync/sync leader)

  mutable WriterPreferringSharedMutex index_mu_;
  EventLog log_;                    // guarded by index_mu_ (see above), but for PrepareNextChunk
  Indexes indexes_{log_};           // guarded by index_mu_ (see above)

  VisibilityTracker visibility_;
  std::atomic<uint64_t> total_ingested_{0};

  std::unique_ptr<storage::Catalog> catalog_;  // set once by StartServing

  std::mutex maintenance_mu_;       // serializes checkpoints and compactions
  // Counters for storage_stats(), which must not wait for a running checkpoint.
  std::atomic<uint64_t> checkpoint_files_written_{0};
  std::atomic<uint64_t> compaction_merges_{0};
  std::atomic<uint64_t> wal_segments_removed_{0};
  mutable std::mutex error_mu_;
  std::string last_maintenance_error_;     // guarded by error_mu_

  std::thread maintenance_thread_;
  std::mutex maintenance_wake_mu_;
  std::condition_variable maintenance_wake_;
  bool stop_maintenance_ = false;   // guarded by maintenance_wake_mu_

  std::mutex close_mu_;
  bool closed_ = false;             // guarded by close_mu_
  Status close_status_;             // guarded by close_mu_
};

}  // namespace annal::store
