#include "wal/segment_reader.h"

#include <fcntl.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "wal/record.h"

namespace annal::wal {
namespace {

// Read granularity: large enough that reading a segment costs few syscalls, small enough that
// many concurrent catch-up readers do not hold much memory.
constexpr size_t kReadChunk = 256 << 10;

bool AllZero(const std::byte* p, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (p[i] != std::byte{0}) return false;
  return true;
}

}  // namespace

Result<SegmentReader> SegmentReader::Open(const SegmentFile& seg) {
  ANNAL_ASSIGN_OR_RETURN(UniqueFd fd, OpenFile(seg.path, O_RDONLY));
  std::string name = seg.path.filename().string();
  std::array<std::byte, kSegmentHeaderSize> raw;
  ANNAL_ASSIGN_OR_RETURN(size_t n, ReadAt(fd.get(), 0, raw, seg.path));
  if (n < raw.size())
    return CorruptionAt(name, 0, "segment header is incomplete (" + std::to_string(n) + " bytes)");
  ANNAL_ASSIGN_OR_RETURN(SegmentHeader header, DecodeSegmentHeader(raw, name));
  if (header.first_lsn != seg.first_lsn)
    return CorruptionAt(name, 32, "segment header says first LSN " +
                                      std::to_string(header.first_lsn.value()) +
                                      ", the file name says " + std::to_string(seg.first_lsn.value()));
  return SegmentReader(seg, std::move(fd), header);
}

SegmentReader::SegmentReader(SegmentFile seg, UniqueFd fd, SegmentHeader header)
    : seg_(std::move(seg)),
      file_name_(seg_.path.filename().string()),
      fd_(std::move(fd)),
      header_(header),
      offset_(kSegmentHeaderSize),
      next_lsn_(header.first_lsn),
      buf_start_(kSegmentHeaderSize) {}

Result<size_t> SegmentReader::Fill(size_t n) {
  uint64_t have_end = buf_start_ + buf_len_;
  if (offset_ + n <= have_end) return n;
  // Keep the unread bytes, drop what was consumed, then read to fill the buffer.
  size_t keep = static_cast<size_t>(have_end - offset_);
  if (keep > 0) std::memmove(buf_.data(), At(offset_), keep);
  buf_start_ = offset_;
  buf_len_ = keep;
  size_t want = std::max(n, kReadChunk);
  if (buf_.size() < want) buf_.resize(want);
  std::span<std::byte> space(buf_.data() + buf_len_, buf_.size() - buf_len_);
  ANNAL_ASSIGN_OR_RETURN(size_t got, ReadAt(fd_.get(), buf_start_ + buf_len_, space, seg_.path));
  buf_len_ += got;
  return std::min(n, buf_len_);
}

Result<bool> SegmentReader::RestIsZero(uint64_t from) {
  std::vector<std::byte> chunk(64 << 10);
  for (uint64_t pos = from;;) {
    ANNAL_ASSIGN_OR_RETURN(size_t got, ReadAt(fd_.get(), pos, chunk, seg_.path));
    if (got == 0) return true;
    if (!AllZero(chunk.data(), got)) return false;
    pos += got;
  }
}

Result<ReadState> SegmentReader::Next(RecordView* rec) {
  // Bytes read ahead of the last record may be older than the file: a live segment is written
  // while we read it, and in a preallocated one the read-ahead holds zeros or a record half
  // written where complete records are now. A torn or corrupt verdict is therefore judged again
  // on bytes read fresh from the file, and read-ahead is dropped at the end. (kEnd needs no
  // second look: with read-ahead it only comes from a zero tail, and RestIsZero read that from
  // the file itself.)
  const bool had_read_ahead = buf_start_ + buf_len_ > offset_;
  Result<ReadState> state = ReadNext(rec);
  if (had_read_ahead && (!state.ok() || *state == ReadState::kTorn)) {
    DropReadAhead();
    state = ReadNext(rec);
  }
  if (state.ok() && *state != ReadState::kRecord) DropReadAhead();
  return state;
}

Result<ReadState> SegmentReader::ReadNext(RecordView* rec) {
  ANNAL_ASSIGN_OR_RETURN(size_t avail, Fill(kRecordHeaderSize));
  if (avail == 0) return ReadState::kEnd;
  if (avail < kRecordHeaderSize) {
    torn_ = {offset_, false, "incomplete record header (" + std::to_string(avail) + " bytes)"};
    return ReadState::kTorn;
  }
  if (AllZero(At(offset_), kRecordHeaderSize)) {
    // Zeros where a header should be: the preallocated rest of the segment, or a file extended
    // by the file system but never written. Both end the segment; zeros followed by data are
    // damage.
    ANNAL_ASSIGN_OR_RETURN(bool zero_tail, RestIsZero(offset_));
    if (!zero_tail) return CorruptionAt(file_name_, offset_, "zeroed record header followed by data");
    ANNAL_ASSIGN_OR_RETURN(uint64_t size, FileSize(fd_.get(), seg_.path));
    zero_tail_bytes_ = size - offset_;
    return ReadState::kEnd;
  }
  RecordHeader h = DecodeRecordHeader(At(offset_));
  if (h.body_length > kMaxBodyLength)
    return CorruptionAt(file_name_, offset_,
                        "record body_length " + std::to_string(h.body_length) + " exceeds the bound");
  size_t total = kRecordHeaderSize + h.body_length;
  ANNAL_ASSIGN_OR_RETURN(avail, Fill(total));
  if (avail < total) {
    torn_ = {offset_, true,
             "record of " + std::to_string(total) + " bytes runs past the end of the file (" +
                 std::to_string(avail) + " bytes left)"};
    return ReadState::kTorn;
  }
  std::span<const std::byte> whole(At(offset_), total);
  if (ComputeRecordCrc(whole) != h.crc) {
    // A write cut short inside a preallocated segment leaves a record whose last bytes, and
    // everything after them, are still zero. No complete record ends in a zero byte (a body
    // ends with JSON text), so that is an unfinished write, not damage.
    if (whole.back() == std::byte{0}) {
      ANNAL_ASSIGN_OR_RETURN(bool zero_after, RestIsZero(offset_ + total));
      if (zero_after) {
        torn_ = {offset_, false, "record cut short (its end and everything after it are zero)"};
        return ReadState::kTorn;
      }
    }
    return CorruptionAt(file_name_, offset_, "record crc mismatch");
  }
  if (h.type != static_cast<uint8_t>(RecordType::kEvent))
    return CorruptionAt(file_name_, offset_, "unknown record type " + std::to_string(h.type));
  if ((h.flags & ~kKnownFlags) != 0 || h.reserved != 0)
    return CorruptionAt(file_name_, offset_, "unknown record flags");
  if (h.lsn != next_lsn_)
    return CorruptionAt(file_name_, offset_,
                        "record LSN " + std::to_string(h.lsn.value()) + ", expected " +
                            std::to_string(next_lsn_.value()));
  if (h.epoch < last_epoch_)
    return CorruptionAt(file_name_, offset_,
                        "record epoch " + std::to_string(h.epoch.value()) + " is below epoch " +
                            std::to_string(last_epoch_.value()) + " of the previous record");
  rec->lsn = h.lsn;
  rec->epoch = h.epoch;
  rec->timestamp = h.timestamp;
  rec->type = RecordType::kEvent;
  rec->end_of_batch = (h.flags & kFlagEndOfBatch) != 0;
  rec->body = whole.subspan(kRecordHeaderSize);
  offset_ += total;
  next_lsn_ = h.lsn.next();
  last_epoch_ = h.epoch;
  return ReadState::kRecord;
}

Result<std::optional<uint64_t>> SegmentReader::FindValidRecordAfterTorn() {
  ANNAL_ASSIGN_OR_RETURN(uint64_t size, FileSize(fd_.get(), seg_.path));
  uint64_t from = torn_.offset + 1;
  if (size <= from) return std::optional<uint64_t>();
  std::vector<std::byte> tail(static_cast<size_t>(size - from));
  ANNAL_ASSIGN_OR_RETURN(size_t got, ReadAt(fd_.get(), from, tail, seg_.path));
  tail.resize(got);
  // A record after the torn one would carry an LSN just above next_lsn_; each takes at least a
  // header, which bounds how far above. The cheap LSN test keeps CRC checks rare.
  uint64_t lo = next_lsn_.value();
  uint64_t hi = lo + got / kRecordHeaderSize + 1;
  for (size_t p = 0; p + kRecordHeaderSize <= got; ++p) {
    uint64_t lsn = GetU64(tail.data() + p + 12);
    if (lsn <= lo || lsn > hi) continue;
    RecordHeader h = DecodeRecordHeader(tail.data() + p);
    if (h.body_length > got - p - kRecordHeaderSize) continue;
    std::span<const std::byte> whole(tail.data() + p, kRecordHeaderSize + h.body_length);
    if (ComputeRecordCrc(whole) == h.crc) return std::optional<uint64_t>(from + p);
  }
  return std::optional<uint64_t>();
}

}  // namespace annal::wal
