// The write-ahead log: segment files under <data>/wal, one writer thread with group commit.
// Record and segment layout: docs/format/wal.md.
//
// Ordering contract: the caller assigns LSNs and calls Submit() in LSN order (the store assigns
// them under its sequencing lock and submits through store::OrderedSubmit), so the bytes on
// disk are in LSN order with no gaps. A Submit() is
// one atomic batch: after a crash either all of its records are recovered or none is.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/event.h"
#include "core/status.h"
#include "core/types.h"

namespace annal::wal {

enum class SyncMode { kAlways, kInterval, kNever };

struct SyncPolicy {
  SyncMode mode = SyncMode::kAlways;
  std::chrono::milliseconds interval{0};  // kInterval only

  // "always", "interval:<ms>" (ms >= 1), "never".
  static Result<SyncPolicy> Parse(std::string_view text);
  std::string ToString() const;
};

enum class RecordType : uint8_t { kEvent = 1 };

// One record as read back from disk. `body` points into the reader's buffer and is valid only
// during the callback that receives it.
struct RecordView {
  Lsn lsn;
  Epoch epoch;
  TimestampMicros timestamp = 0;
  RecordType type = RecordType::kEvent;
  bool end_of_batch = true;
  std::span<const std::byte> body;
};

// The encoded bytes of one atomic batch, built by the caller before Submit().
class Batch {
 public:
  // Appends one event record (body = EncodeEventBody). REQUIRES: e.sequence continues the
  // previous record of this batch (checked, aborts) and e.sequence >= 1. The last record added
  // is marked end-of-batch on Submit.
  void AddEvent(const Event& e);
  // Room for `bytes` of records without reallocating (RecordBytes: what AddEvent(e) adds).
  void Reserve(size_t bytes) { buf_.reserve(bytes); }
  static size_t RecordBytes(const Event& e);
  bool empty() const { return count_ == 0; }
  size_t count() const { return count_; }
  Lsn first_lsn() const { return first_; }
  Lsn last_lsn() const { return last_; }
  size_t bytes() const { return buf_.size(); }
  // The encoded records (docs/format/wal.md). The last record's CRC and end_of_batch flag are
  // final only once the batch was handed to Wal::Submit.
  std::span<const std::byte> data() const {
    return {reinterpret_cast<const std::byte*>(buf_.data()), buf_.size()};
  }

 private:
  friend class Wal;
  // Sets end_of_batch on the last record and computes its CRC. Called once, by Wal::Submit.
  void Finalize();

  std::string buf_;
  size_t count_ = 0;
  size_t last_record_offset_ = 0;  // where the end-of-batch flag is set
  Lsn first_, last_;
  bool sealed_ = false;  // Finalize() ran; no more AddEvent
};

struct WalOptions {
  std::filesystem::path dir;              // created if missing
  SyncPolicy sync;
  uint64_t segment_bytes = 64ull << 20;   // rotate after a batch pushes a segment past this
  // Write into preallocated segment files (zero-filled ahead of time by a helper thread), so a
  // group commit's fdatasync does not also write the inode. Used when segment_bytes >= 1 MiB;
  // costs up to one extra segment of disk (<dir>/spare-segment.tmp) while the log grows.
  bool preallocate = true;
  uint64_t node_id = 0;                   // written into segment headers
  Epoch epoch{1};                         // written into new segment headers
  // Every LSN <= checkpoint_lsn is durable elsewhere (Parquet files, DESIGN §4). Recovery
  // validates those records but does not replay them; the log must continue the checkpoint
  // without a gap (its first LSN <= checkpoint_lsn + 1, else Corruption naming the segment);
  // an empty directory starts at checkpoint_lsn + 1; a log that ends before checkpoint_lsn
  // (its unsynced tail was lost but the checkpoint was not) is replaced by an empty segment
  // at checkpoint_lsn + 1. 0 = no checkpoint: replay everything.
  Lsn checkpoint_lsn;
  // Observes every group commit: seconds spent in fdatasync (0 when none) and records in it.
  std::function<void(double fsync_seconds, size_t group_records)> on_group_commit;
};

// What recovery found; logged at start-up and shown by `annal inspect` later.
struct RecoveryReport {
  size_t segments = 0;
  uint64_t records = 0;             // valid records found, replayed or not
  uint64_t replayed = 0;            // records handed to the replay callback (> checkpoint_lsn)
  Lsn first_lsn, last_lsn;          // 0/0 for an empty log
  uint64_t truncated_bytes = 0;     // torn tail or incomplete batch removed from the last segment
  std::string truncated_segment;    // file name, empty if nothing was truncated
};

class Wal {
 public:
  // Called once per recovered record, in LSN order. A non-OK return aborts Open with it.
  using ReplayFn = std::function<Status(const RecordView&)>;
  // Called on the writer thread once the batch is durable under the sync policy (or with the
  // I/O error that makes the WAL unusable). Must not block and must not call Submit().
  using DoneFn = std::function<void(Status)>;

  // Opens (or creates) the log, recovers it and replays every record through `replay`.
  // Recovery truncates a torn record or an incomplete batch at the tail of the LAST segment;
  // anything else that fails a check (CRC, LSN gap, bad header) returns Corruption naming the
  // segment file and byte offset, and nothing is modified. Starts the writer thread.
  static Result<std::unique_ptr<Wal>> Open(WalOptions options, const ReplayFn& replay,
                                           RecoveryReport* report = nullptr);
  ~Wal();  // Close()
  Wal(const Wal&) = delete;
  Wal& operator=(const Wal&) = delete;

  // Queues a batch. Thread-safe, never blocks on I/O. REQUIRES: !batch.empty() and
  // batch.first_lsn() == last_submitted_lsn() + 1 (checked; a violation is a bug and aborts).
  // After an I/O error every pending and later Submit completes with that error. After Close(),
  // `done` runs at once on the calling thread with Unavailable and nothing is written.
  void Submit(Batch batch, DoneFn done);

  Lsn last_submitted_lsn() const;
  // Highest LSN that is durable under the sync policy (for kNever: written to the OS).
  Lsn durable_lsn() const;

  // Writes and syncs everything queued, completes its callbacks, stops the writer thread.
  // Idempotent.
  Status Close();

  // Retention (DESIGN §3): deletes closed segments whose every LSN is <= checkpoint_lsn (they
  // are in durable Parquet files) and that lie outside the newest `retain_bytes` of segment
  // bytes (kept for follower catch-up; a segment straddling that boundary is kept). Never the
  // active segment. Deletes oldest first, so a crash midway leaves a contiguous log, then
  // fsyncs the directory. `removed` (optional) receives the deleted file names.
  // Thread-safe; may run concurrently with Submit and after Close. Open LogReaders keep
  // reading a deleted segment through their open descriptor.
  Status RemoveSegmentsBefore(Lsn checkpoint_lsn, uint64_t retain_bytes,
                              std::vector<std::string>* removed = nullptr);

  class Impl;

 private:
  explicit Wal(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace annal::wal
