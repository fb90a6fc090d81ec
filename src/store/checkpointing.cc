// Checkpoints and compaction of the store (DESIGN §4): the store is the EventSource (its
// in-memory log holds every event), storage/ does the files and the manifest.
//
// Why appends are not blocked: a checkpoint takes its upper bound from the visible watermark
// and collects pointers to those events under index_mu_ shared, in short stretches. Events at
// or below the visible watermark never change, so the Parquet writing and fsyncs that follow
// hold no store lock at all.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <shared_mutex>

#include "storage/checkpointer.h"
#include "storage/compactor.h"
#include "store/store_impl.h"

namespace annal::store {
namespace {

// Pointers collected per hold of index_mu_: appenders wait for at most this many.
constexpr uint64_t kEventsPerLockHold = 64 * 1024;

}  // namespace

Status EventStore::Impl::CollectEvents(Lsn first, Lsn last, std::vector<const Event*>* out) const {
  if (last > visibility_.visible())
    return Internal("storage asked for LSN " + std::to_string(last.value()) +
                    ", above the visible watermark");
  out->reserve(out->size() + (last.value() - first.value() + 1));
  for (uint64_t lsn = first.value(); lsn <= last.value();) {
    // log_'s chunk table may be reallocated by an append, so look events up under the lock;
    // the events themselves never move.
    std::shared_lock lock(index_mu_);
    const uint64_t end = std::min(last.value(), lsn + kEventsPerLockHold - 1);
    if (!log_.Contains(Lsn(lsn)) || !log_.Contains(Lsn(end)))
      return Internal("storage asked for LSNs the in-memory log does not hold");
    for (; lsn <= end; ++lsn) out->push_back(&log_.At(Lsn(lsn)));
  }
  return Status::Ok();
}

Result<storage::CheckpointResult> EventStore::Impl::Checkpoint() {
  std::lock_guard lock(maintenance_mu_);
  return CheckpointLocked();
}

Result<storage::CheckpointResult> EventStore::Impl::CheckpointLocked() {
  // Visible, not just durable: replication (semi-sync) may hold durable events back from
  // readers, and an event no reader could see must not become immutable history yet.
  const Lsn upto = visibility_.visible();
  storage::CheckpointOptions options;
  options.parquet = options_.parquet;
  options.max_file_events = options_.checkpoint_max_file_events;
  storage::Checkpointer checkpointer(catalog_.get(), options);
  auto result = checkpointer.Run(
      upto, [this](Lsn a, Lsn b, std::vector<const Event*>* out) { return CollectEvents(a, b, out); },
      wal_.get(), options_.wal_retention_bytes, options_.storage_crash_hook);
  if (result.ok()) {
    checkpoint_files_written_.fetch_add(result->files_written, std::memory_order_relaxed);
    wal_segments_removed_.fetch_add(result->wal_segments_removed.size(), std::memory_order_relaxed);
  }
  return result;
}

Result<storage::CompactionResult> EventStore::Impl::Compact() {
  std::lock_guard lock(maintenance_mu_);
  storage::Compactor compactor(catalog_.get(), options_.compaction, options_.parquet);
  auto result = compactor.Run(
      [this](Lsn a, Lsn b, std::vector<const Event*>* out) { return CollectEvents(a, b, out); },
      options_.storage_crash_hook);
  if (result.ok()) compaction_merges_.fetch_add(result->merges, std::memory_order_relaxed);
  return result;
}

StorageStats EventStore::Impl::storage_stats() const {
  storage::CatalogStats c = catalog_->stats();
  StorageStats s;
  s.checkpoint_lsn = c.checkpoint_lsn;
  s.files = c.files;
  s.bytes = c.bytes;
  s.pinned_files = c.pinned_files;
  s.checkpoint_files_written = checkpoint_files_written_.load(std::memory_order_relaxed);
  s.compaction_merges = compaction_merges_.load(std::memory_order_relaxed);
  s.wal_segments_removed = wal_segments_removed_.load(std::memory_order_relaxed);
  std::lock_guard lock(error_mu_);
  s.last_error = last_maintenance_error_;
  return s;
}

void EventStore::Impl::RecordMaintenanceError(const Status& st, std::string_view what) {
  // Not fatal: the WAL keeps every event a failed checkpoint did not commit; the next attempt
  // retries from the committed checkpoint LSN.
  spdlog::error("store: background {} failed: {}", what, st.ToString());
  std::lock_guard lock(error_mu_);
  last_maintenance_error_ = std::string(what) + ": " + st.ToString();
}

void EventStore::Impl::MaintenanceLoop() {
  std::unique_lock wake(maintenance_wake_mu_);
  for (;;) {
    if (maintenance_wake_.wait_for(wake, options_.checkpoint_interval,
                                   [this] { return stop_maintenance_; }))
      return;
    wake.unlock();
    {
      std::lock_guard lock(maintenance_mu_);
      const Lsn visible = visibility_.visible();
      const Lsn checkpoint = catalog_->checkpoint_lsn();
      if (visible.value() - checkpoint.value() >= std::max<uint64_t>(options_.checkpoint_min_events, 1)) {
        auto r = CheckpointLocked();
        if (!r.ok()) RecordMaintenanceError(r.status(), "checkpoint");
      }
    }
    if (options_.compaction.enabled) {
      auto r = Compact();
      if (!r.ok()) RecordMaintenanceError(r.status(), "compaction");
    }
    wake.lock();
  }
}

void EventStore::Impl::StopMaintenance() {
  {
    std::lock_guard wake(maintenance_wake_mu_);
    stop_maintenance_ = true;
  }
  maintenance_wake_.notify_all();
  if (maintenance_thread_.joinable()) maintenance_thread_.join();
}

}  // namespace annal::store
