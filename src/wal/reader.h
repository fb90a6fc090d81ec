// LogReader: reads the WAL directory as one validated stream of records, from a given LSN on.
// Made for replication catch-up (DESIGN.md §5.1): open at last_offset + 1, then call Next()
// until it returns false, ship, and call Next() again later as the log grows.
//
// Every record returned has passed the same checks as recovery (CRC, LSN = previous + 1 across
// segments, epochs non-decreasing). The reader does not look at batch boundaries and does not
// know what is durable: callers read up to Wal::durable_lsn() and no further.
//
// Thread-safety: one LogReader is used by one thread at a time; any number of LogReaders may
// read while the Wal writes (files are only appended to while the WAL is open).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>

#include "core/status.h"
#include "core/types.h"
#include "wal/segment_reader.h"
#include "wal/wal.h"

namespace annal::wal {

class LogReader {
 public:
  // Positions the reader so that the first record Next() returns is `start` (>= 1).
  // NotFound when `start` is older than the oldest segment (it was deleted: a follower needs a
  // snapshot) or the directory holds no segment. `start` may lie beyond the last record; Next()
  // then returns false until the log reaches it.
  static Result<std::unique_ptr<LogReader>> Open(const std::filesystem::path& dir, Lsn start);

  // true: *rec holds the next record, valid until the next call. false: no complete record
  // yet (end of the log, or a record still being written); call again later.
  // Corruption (naming file and offset) when a check fails; the reader is then unusable.
  Result<bool> Next(RecordView* rec);

  // LSN of the record the next successful Next() returns.
  Lsn next_lsn() const;

 private:
  LogReader(std::filesystem::path dir, Lsn start, SegmentReader current);
  // At the clean end of the current segment: moves to the segment that continues it.
  // Returns false when there is none yet.
  Result<bool> AdvanceSegment();
  // Whether a segment after the current one exists (then the current one must be complete).
  Result<bool> HasLaterSegment() const;

  std::filesystem::path dir_;
  Lsn start_;
  SegmentReader current_;
};

}  // namespace annal::wal
