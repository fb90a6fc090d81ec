// Reads and validates the records of one segment file, front to back, with a bounded buffer.
// Used by recovery (which decides what a torn tail means) and by LogReader.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "wal/file.h"
#include "wal/segment.h"
#include "wal/wal.h"

namespace annal::wal {

enum class ReadState {
  kRecord,  // a valid record was returned
  kEnd,     // clean end: end of file, or only zeros (preallocated) from a record boundary on
  kTorn,    // an incomplete record starts at offset(); see torn()
};

// Why the bytes from offset() to the end of the file are not a complete record.
struct TornRecord {
  uint64_t offset = 0;
  bool length_past_eof = false;  // the header is complete, its body_length runs past EOF
  std::string reason;
};

class SegmentReader {
 public:
  // Opens `seg`, reads and validates its header; its first_lsn must match the file name.
  static Result<SegmentReader> Open(const SegmentFile& seg);

  SegmentReader(SegmentReader&&) = default;
  SegmentReader& operator=(SegmentReader&&) = default;

  const SegmentHeader& header() const { return header_; }
  const std::string& file_name() const { return file_name_; }
  // File offset of the next record (just past the last record returned).
  uint64_t offset() const { return offset_; }
  // The LSN the next record must carry.
  Lsn next_lsn() const { return next_lsn_; }
  // Records must not have an epoch below this (the last epoch of the previous segment).
  void set_min_epoch(Epoch e) { last_epoch_ = e; }
  Epoch last_epoch() const { return last_epoch_; }

  // kRecord: *rec is filled; its body stays valid until the next call. kTorn: the reader does
  // not advance, so a later call re-reads from the same offset (the file may have grown).
  // Returns Corruption (naming file and offset) for a record that fails a check.
  Result<ReadState> Next(RecordView* rec);
  const TornRecord& torn() const { return torn_; }
  // After kEnd: how many zero bytes (preallocated space) followed the last record.
  uint64_t zero_tail_bytes() const { return zero_tail_bytes_; }

  // After kTorn with length_past_eof: the offset of a valid record (CRC ok, plausible LSN)
  // starting after the torn one, if any. Finding one means the length field is damaged, not
  // that a write was torn.
  Result<std::optional<uint64_t>> FindValidRecordAfterTorn();

 private:
  SegmentReader(SegmentFile seg, UniqueFd fd, SegmentHeader header);
  // Next() on whatever the buffer holds (see Next for why that may be stale).
  Result<ReadState> ReadNext(RecordView* rec);
  void DropReadAhead() { buf_len_ = static_cast<size_t>(offset_ - buf_start_); }
  // Makes [offset_, offset_ + n) available in buf_ where the file has it. Returns how many of
  // those n bytes are available (fewer only at EOF).
  Result<size_t> Fill(size_t n);
  const std::byte* At(uint64_t file_offset) const { return buf_.data() + (file_offset - buf_start_); }
  // True when every byte of the file from `from` to EOF is zero.
  Result<bool> RestIsZero(uint64_t from);

  SegmentFile seg_;
  std::string file_name_;
  UniqueFd fd_;
  SegmentHeader header_;
  uint64_t offset_ = 0;
  Lsn next_lsn_;
  Epoch last_epoch_;
  TornRecord torn_;
  uint64_t zero_tail_bytes_ = 0;
  std::vector<std::byte> buf_;  // holds file bytes [buf_start_, buf_start_ + buf_len_)
  uint64_t buf_start_ = 0;
  size_t buf_len_ = 0;
};

}  // namespace annal::wal
