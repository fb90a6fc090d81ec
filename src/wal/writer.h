// Wal::Impl: the group-commit writer. Submit() queues; one writer thread drains the queue,
// writes each group with writev, syncs per the policy, rotates segments, completes callbacks.
//
// Threads and locks: mu_ guards queue_, closing_ and last_submitted_. Everything under
// "writer thread only" is touched by the writer thread alone (and by Close() after join).
// Callbacks and on_group_commit run on the writer thread without mu_ held.
#pragma once

#include <sys/uio.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "wal/file.h"
#include "wal/recovery.h"
#include "wal/spare_segment.h"
#include "wal/wal.h"

namespace annal::wal {

class Wal::Impl {
 public:
  Impl(WalOptions options, RecoveredLog log);
  ~Impl();  // REQUIRES: Close() was called

  void Start();
  // REQUIRES: batch finalized, not empty.
  void Submit(Batch batch, DoneFn done);
  Lsn last_submitted_lsn() const { return Lsn(last_submitted_atomic_.load(std::memory_order_acquire)); }
  Lsn durable_lsn() const { return Lsn(durable_.load(std::memory_order_acquire)); }
  Status Close();
  Status RemoveSegmentsBefore(Lsn checkpoint_lsn, uint64_t retain_bytes,
                              std::vector<std::string>* removed);

 private:
  using Clock = std::chrono::steady_clock;
  struct Pending {
    Batch batch;
    DoneFn done;
  };

  void Run();
  void CommitGroup(std::vector<Pending>& group);
  // Writes the iovecs gathered so far into the current segment.
  Status FlushIov();
  // fdatasync of the current segment; adds the time spent to *seconds.
  Status SyncCurrent(double* seconds);
  // Syncs the full segment (cut to its records first, if it was preallocated) and starts a new
  // one whose first LSN is `next`: the spare if one is ready, else a plain new file.
  Status Rotate(Lsn next, double* fsync_seconds, std::optional<UniqueFd> spare = std::nullopt);
  // Makes the spare file the segment starting at `next`: header, sync, rename, sync dir.
  Status InstallSpare(Lsn next, const UniqueFd& spare);
  void Poison(const Status& st, std::string_view when);

  const WalOptions options_;

  // Writer thread only.
  std::filesystem::path segment_path_;
  UniqueFd fd_;
  uint64_t segment_bytes_ = 0;  // bytes of the active segment's header and records, incl. iov_
  uint64_t write_offset_ = 0;   // where FlushIov writes: segment_bytes_ minus what iov_ holds
  uint64_t file_bytes_ = 0;     // the active segment's file size (> write_offset_: preallocated)
  Epoch writer_epoch_;       // highest epoch written; goes into new segment headers
  bool unsynced_ = false;    // bytes written since the last fdatasync
  Clock::time_point last_sync_;
  Status poison_;            // first I/O error; once set, nothing is written any more
  std::vector<iovec> iov_;   // reused across groups

  // The helper thread: zero-fills spares when preallocate_, and drops closed segments from the
  // page cache. Null for segments under kMinPreallocatedSegment. Used by the writer thread only.
  std::unique_ptr<SpareSegment> spare_;
  bool preallocate_ = false;  // WalOptions::preallocate, for segments the helper handles

  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Pending> queue_;        // guarded by mu_
  bool closing_ = false;              // guarded by mu_
  Lsn last_submitted_;                // guarded by mu_
  std::atomic<uint64_t> last_submitted_atomic_{0};
  std::atomic<uint64_t> durable_{0};
  // First LSN of the segment the writer appends to. Published (release) only after the new
  // segment file exists, so a segment with a smaller first LSN is closed and its successor is
  // on disk.
  std::atomic<uint64_t> active_first_lsn_{0};

  std::mutex retention_mu_;  // serializes RemoveSegmentsBefore; never held with mu_

  std::mutex close_mu_;  // serializes Close(); never held together with mu_ by the writer
  bool closed_ = false;
  Status close_status_;
};

}  // namespace annal::wal
