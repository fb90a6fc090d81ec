#include "wal/recovery.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <string>
#include <system_error>
#include <vector>

#include "wal/segment.h"
#include "wal/segment_reader.h"

namespace annal::wal {
namespace {

// Records of the batch being read, held back until its end_of_batch record proves the batch
// complete: an incomplete batch at the tail must never reach the replay callback.
class PendingBatch {
 public:
  void Add(const RecordView& r, uint64_t offset) {
    if (records_.empty()) start_offset_ = offset;
    records_.push_back({r.lsn, r.epoch, r.timestamp, arena_.size(), r.body.size()});
    arena_.insert(arena_.end(), r.body.begin(), r.body.end());
  }
  bool empty() const { return records_.empty(); }
  uint64_t start_offset() const { return start_offset_; }
  size_t size() const { return records_.size(); }

  // Replays the records of the batch above `checkpoint` in order and empties it. Adds the
  // number replayed to *replayed.
  Status Replay(const Wal::ReplayFn& replay, Lsn checkpoint, uint64_t* replayed) {
    for (size_t i = 0; i < records_.size(); ++i) {
      const Stored& s = records_[i];
      if (s.lsn <= checkpoint) continue;  // already in durable Parquet files
      ++*replayed;
      RecordView v;
      v.lsn = s.lsn;
      v.epoch = s.epoch;
      v.timestamp = s.timestamp;
      v.end_of_batch = (i + 1 == records_.size());
      v.body = std::span<const std::byte>(arena_.data() + s.body_offset, s.body_size);
      ANNAL_RETURN_IF_ERROR(replay(v));
    }
    records_.clear();
    arena_.clear();
    return Status::Ok();
  }

 private:
  struct Stored {
    Lsn lsn;
    Epoch epoch;
    TimestampMicros timestamp;
    size_t body_offset, body_size;
  };
  std::vector<Stored> records_;
  std::vector<std::byte> arena_;
  uint64_t start_offset_ = 0;
};

// A last segment whose creation was torn: shorter than a header, or nothing but zeros.
Result<bool> IsTornCreation(const SegmentFile& seg) {
  ANNAL_ASSIGN_OR_RETURN(UniqueFd fd, OpenFile(seg.path, O_RDONLY));
  ANNAL_ASSIGN_OR_RETURN(uint64_t size, FileSize(fd.get(), seg.path));
  if (size < kSegmentHeaderSize) return true;
  std::vector<std::byte> chunk(64 << 10);
  for (uint64_t pos = 0; pos < size;) {
    ANNAL_ASSIGN_OR_RETURN(size_t got, ReadAt(fd.get(), pos, chunk, seg.path));
    if (got == 0) break;
    for (size_t i = 0; i < got; ++i)
      if (chunk[i] != std::byte{0}) return false;
    pos += got;
  }
  return true;
}

// What the scan decided to do to the last segment.
struct Repair {
  bool rewrite_header = false;
  bool truncate = false;
  uint64_t truncate_at = 0;
  std::string why;
};

}  // namespace

Result<RecoveredLog> RecoverLog(const WalOptions& options, const Wal::ReplayFn& replay,
                                RecoveryReport* report) {
  RecoveryReport rep;
  std::error_code ec;
  bool created_dir = std::filesystem::create_directories(options.dir, ec);
  if (ec) return IOError("create WAL directory " + options.dir.string() + ": " + ec.message());
  if (created_dir && options.dir.has_parent_path())
    ANNAL_RETURN_IF_ERROR(SyncDir(std::filesystem::absolute(options.dir).parent_path()));
  ANNAL_ASSIGN_OR_RETURN(std::vector<SegmentFile> segs, ListSegments(options.dir));

  RecoveredLog out;
  out.last_epoch = options.epoch;
  const Lsn checkpoint = options.checkpoint_lsn;
  // Eager creation: the writer always has a segment, and the first record continues the
  // checkpoint (LSN 1 without one).
  auto create_first = [&]() -> Result<RecoveredLog> {
    SegmentHeader h{options.node_id, options.epoch, checkpoint.next()};
    ANNAL_ASSIGN_OR_RETURN(out.fd, CreateSegment(options.dir, h));
    out.segment_path = options.dir / SegmentFileName(checkpoint.next());
    out.segment_first_lsn = checkpoint.next();
    out.segment_bytes = out.file_bytes = kSegmentHeaderSize;
    out.last_lsn = checkpoint;
    rep.segments = 1;
    if (report) *report = rep;
    return std::move(out);
  };
  if (segs.empty()) return create_first();
  if (segs.front().first_lsn > checkpoint.next())
    return CorruptionAt(segs.front().path.filename().string(), 0,
                        "the WAL starts at LSN " + std::to_string(segs.front().first_lsn.value()) +
                            " but the checkpoint covers LSNs only up to " +
                            std::to_string(checkpoint.value()) + ": LSNs " +
                            std::to_string(checkpoint.next().value()) + ".." +
                            std::to_string(segs.front().first_lsn.value() - 1) + " are missing");

  PendingBatch pending;
  Repair repair;
  Lsn expected;  // next LSN; 0 until the first segment fixes it
  uint64_t records_end = kSegmentHeaderSize;  // end of the last complete batch of the last segment
  Epoch epoch(0);
  for (size_t i = 0; i < segs.size(); ++i) {
    const SegmentFile& seg = segs[i];
    const bool last = (i + 1 == segs.size());
    std::string name = seg.path.filename().string();
    if (expected != Lsn(0) && seg.first_lsn != expected)
      return CorruptionAt(name, 0, "segment starts at LSN " + std::to_string(seg.first_lsn.value()) +
                                       ", expected LSN " + std::to_string(expected.value()) +
                                       " (gap or overlap between segments)");
    if (last) {
      ANNAL_ASSIGN_OR_RETURN(bool torn_creation, IsTornCreation(seg));
      if (torn_creation) {
        repair.rewrite_header = true;
        repair.why = "segment creation was torn (header missing); rewriting the header";
        expected = seg.first_lsn;
        break;
      }
    }
    ANNAL_ASSIGN_OR_RETURN(SegmentReader reader, SegmentReader::Open(seg));
    reader.set_min_epoch(epoch);
    uint64_t batch_end = reader.offset();  // end of the last complete batch in this segment
    RecordView rec;
    for (bool done = false; !done;) {
      uint64_t at = reader.offset();
      ANNAL_ASSIGN_OR_RETURN(ReadState state, reader.Next(&rec));
      switch (state) {
        case ReadState::kRecord:
          pending.Add(rec, at);
          if (rec.end_of_batch) {
            rep.records += pending.size();
            if (rep.first_lsn == Lsn(0)) rep.first_lsn = Lsn(rec.lsn.value() - pending.size() + 1);
            ANNAL_RETURN_IF_ERROR(pending.Replay(replay, checkpoint, &rep.replayed));
            rep.last_lsn = rec.lsn;
            batch_end = reader.offset();
          }
          break;
        case ReadState::kTorn: {
          const TornRecord& t = reader.torn();
          if (!last)
            return CorruptionAt(name, t.offset, "incomplete record in a non-last segment: " + t.reason);
          if (t.length_past_eof) {
            ANNAL_ASSIGN_OR_RETURN(std::optional<uint64_t> valid, reader.FindValidRecordAfterTorn());
            if (valid)
              return CorruptionAt(name, t.offset,
                                  t.reason + ", but a valid record follows at offset " +
                                      std::to_string(*valid) + " (damaged length field)");
          }
          repair.truncate = true;
          repair.truncate_at = batch_end;
          repair.why = "torn tail at offset " + std::to_string(t.offset) + ": " + t.reason;
          if (!pending.empty()) repair.why += "; plus the incomplete batch before it";
          done = true;
          break;
        }
        case ReadState::kEnd:
          if (!pending.empty()) {
            if (!last)
              return CorruptionAt(name, pending.start_offset(),
                                  "segment ends inside a batch (no end_of_batch record)");
            repair.truncate = true;
            repair.truncate_at = batch_end;
            repair.why = "incomplete batch (no end_of_batch record) at offset " +
                         std::to_string(pending.start_offset());
          }
          done = true;
          break;
      }
    }
    records_end = batch_end;
    // Records of a removed incomplete batch do not count: the log continues at its first LSN.
    expected = pending.empty() ? reader.next_lsn() : Lsn(reader.next_lsn().value() - pending.size());
    epoch = reader.last_epoch();
  }

  // The scan passed: only now touch the disk.
  if (Lsn(expected.value() - 1) < checkpoint) {
    // The log ends before the checkpoint: an unsynced tail (policy interval/never) was lost in
    // a machine crash, but the Parquet checkpoint, which is fsynced, kept it. Every record here
    // is in Parquet, and appending to this log would reuse LSNs, so replace it by an empty one
    // at checkpoint + 1. Oldest first, so a crash midway leaves a log without holes.
    spdlog::warn("wal: the log ends at LSN {} but the checkpoint is at LSN {}; removing {} "
                 "checkpointed segments and continuing at LSN {}",
                 expected.value() - 1, checkpoint.value(), segs.size(), checkpoint.next().value());
    for (const SegmentFile& seg : segs) {
      std::filesystem::remove(seg.path, ec);
      if (ec) return IOError("remove " + seg.path.string() + ": " + ec.message());
    }
    ANNAL_RETURN_IF_ERROR(SyncDir(options.dir));
    return create_first();
  }
  const SegmentFile& tail = segs.back();
  std::string tail_name = tail.path.filename().string();
  ANNAL_ASSIGN_OR_RETURN(UniqueFd fd, OpenFile(tail.path, O_WRONLY));
  ANNAL_ASSIGN_OR_RETURN(uint64_t size, FileSize(fd.get(), tail.path));
  if (repair.rewrite_header) {
    ANNAL_RETURN_IF_ERROR(Truncate(fd.get(), 0, tail.path));
    SegmentHeader h{options.node_id, std::max(options.epoch, epoch), tail.first_lsn};
    ANNAL_RETURN_IF_ERROR(WriteSegmentHeader(fd.get(), h, tail.path));
    rep.truncated_bytes = size;
    size = records_end = kSegmentHeaderSize;
  } else if (repair.truncate && repair.truncate_at < size) {
    ANNAL_RETURN_IF_ERROR(Truncate(fd.get(), repair.truncate_at, tail.path));
    rep.truncated_bytes = size - repair.truncate_at;
    size = repair.truncate_at;
  }
  if (repair.rewrite_header || rep.truncated_bytes > 0) {
    rep.truncated_segment = tail_name;
    spdlog::warn("wal: recovery repaired {}: {}; removed {} bytes (never acknowledged)", tail_name,
                 repair.why, rep.truncated_bytes);
  }
  // Records a crashed process wrote but never synced must be durable before anyone sees them.
  ANNAL_RETURN_IF_ERROR(SyncData(fd.get(), tail.path));

  out.segment_path = tail.path;
  out.segment_first_lsn = tail.first_lsn;
  out.fd = std::move(fd);
  // Past records_end the file may hold preallocated zeros (a crash while writing into a
  // preallocated segment): the writer writes over them.
  out.segment_bytes = records_end;
  out.file_bytes = size;
  out.last_lsn = Lsn(expected.value() - 1);
  out.last_epoch = std::max(options.epoch, epoch);
  rep.segments = segs.size();
  if (rep.records == 0) rep.first_lsn = rep.last_lsn = Lsn(0);
  spdlog::info("wal: recovered {} records (LSN {}..{}; {} after checkpoint LSN {} replayed) "
               "from {} segments in {}",
               rep.records, rep.first_lsn.value(), rep.last_lsn.value(), rep.replayed,
               checkpoint.value(), rep.segments, options.dir.string());
  if (report) *report = rep;
  return out;
}

}  // namespace annal::wal
