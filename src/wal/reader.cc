#include "wal/reader.h"

#include <algorithm>
#include <system_error>

namespace annal::wal {

Result<std::unique_ptr<LogReader>> LogReader::Open(const std::filesystem::path& dir, Lsn start) {
  if (start == Lsn(0)) return InvalidArgument("LogReader: LSNs start at 1");
  ANNAL_ASSIGN_OR_RETURN(std::vector<SegmentFile> segs, ListSegments(dir));
  if (segs.empty()) return NotFound("no WAL segment in " + dir.string());
  if (start < segs.front().first_lsn)
    return NotFound("LSN " + std::to_string(start.value()) +
                    " is older than the oldest WAL segment (first LSN " +
                    std::to_string(segs.front().first_lsn.value()) + ")");
  // The last segment whose first LSN is <= start holds it (or start is past the end).
  size_t i = segs.size() - 1;
  while (segs[i].first_lsn > start) --i;
  ANNAL_ASSIGN_OR_RETURN(SegmentReader r, SegmentReader::Open(segs[i]));
  return std::unique_ptr<LogReader>(new LogReader(dir, start, std::move(r)));
}

LogReader::LogReader(std::filesystem::path dir, Lsn start, SegmentReader current)
    : dir_(std::move(dir)), start_(start), current_(std::move(current)) {}

Lsn LogReader::next_lsn() const { return std::max(start_, current_.next_lsn()); }

Result<bool> LogReader::Next(RecordView* rec) {
  for (;;) {
    ANNAL_ASSIGN_OR_RETURN(ReadState state, current_.Next(rec));
    switch (state) {
      case ReadState::kRecord:
        if (rec->lsn < start_) continue;  // skipping up to the requested start
        return true;
      case ReadState::kTorn: {
        // At the end of the last segment this is a record being written right now. In a
        // segment that has a successor it can only be damage.
        ANNAL_ASSIGN_OR_RETURN(bool later, HasLaterSegment());
        if (later)
          return CorruptionAt(current_.file_name(), current_.torn().offset,
                              "incomplete record in a non-last segment: " + current_.torn().reason);
        return false;
      }
      case ReadState::kEnd: {
        ANNAL_ASSIGN_OR_RETURN(bool moved, AdvanceSegment());
        if (!moved) return false;
        continue;
      }
    }
  }
}

Result<bool> LogReader::AdvanceSegment() {
  ANNAL_ASSIGN_OR_RETURN(std::vector<SegmentFile> segs, ListSegments(dir_));
  for (const SegmentFile& s : segs) {
    if (s.first_lsn <= current_.header().first_lsn) continue;
    // The first later segment must continue exactly where this one ended.
    if (s.first_lsn != current_.next_lsn())
      return CorruptionAt(s.path.filename().string(), 0,
                          "segment starts at LSN " + std::to_string(s.first_lsn.value()) +
                              " but the previous segment ends before LSN " +
                              std::to_string(current_.next_lsn().value()));
    // The writer creates a segment and then writes its header: a last segment shorter than a
    // header is being created right now, not damaged.
    std::error_code ec;
    uint64_t size = std::filesystem::file_size(s.path, ec);
    if (!ec && size < kSegmentHeaderSize && &s == &segs.back()) return false;
    ANNAL_ASSIGN_OR_RETURN(SegmentReader next, SegmentReader::Open(s));
    next.set_min_epoch(current_.last_epoch());
    current_ = std::move(next);
    return true;
  }
  return false;
}

Result<bool> LogReader::HasLaterSegment() const {
  ANNAL_ASSIGN_OR_RETURN(std::vector<SegmentFile> segs, ListSegments(dir_));
  return !segs.empty() && segs.back().first_lsn > current_.header().first_lsn;
}

}  // namespace annal::wal
