#include "app/stored_events.h"

#include <vector>

#include "core/event_codec.h"
#include "storage/file_check.h"
#include "wal/reader.h"
#include "wal/segment.h"
#include "wal/segment_reader.h"

namespace annal::app {
namespace {

std::string Range(Lsn a, Lsn b) {
  return std::to_string(a.value()) + ".." + std::to_string(b.value());
}

// The live Parquet files, which must chain from LSN 1 without gap or overlap.
Status ReadParquet(const DataDirContents& c, const std::function<Status(Event&&)>& fn, Lsn* next,
                   StoredEventsStats* stats) {
  if (!c.manifest_error.empty()) return Corruption(c.manifest_error);
  if (!c.missing_files.empty())
    return Corruption("the MANIFEST names " + c.missing_files.front() + ", which is not in " +
                      c.storage_dir.string());
  for (const EventFileEntry* f : c.LiveEventFiles()) {
    if (f->first_lsn != *next)
      return Corruption(f->name + ": starts at LSN " + std::to_string(f->first_lsn.value()) +
                        ", expected " + std::to_string(next->value()) +
                        (f->first_lsn > *next ? " (LSN " + Range(*next, f->first_lsn.prev()) +
                                                    " are in no Parquet file)"
                                              : " (overlaps the previous file)"));
    // Size and whole-file CRC-32C against the MANIFEST, then the Parquet reader's checks and
    // the exact LSN range.
    ANNAL_RETURN_IF_ERROR(storage::ReadCheckedEventFile(c.storage_dir, *f->meta, [&](Event&& e) {
      *next = e.sequence.next();
      stats->from_parquet++;
      return fn(std::move(e));
    }));
  }
  return Status::Ok();
}

// The WAL from `next` on, batch by batch: a batch reaches `fn` only once its end-of-batch
// record was read.
Status ReadWal(const DataDirContents& c, const std::function<Status(Event&&)>& fn, Lsn* next,
               StoredEventsStats* stats) {
  if (c.segments.empty()) return Status::Ok();
  // A newest segment shorter than its header was being created when the server stopped
  // (recovery rewrites the header); when it is where the log continues, nothing follows.
  const WalSegmentEntry& newest = c.segments.back();
  if (newest.bytes < wal::kSegmentHeaderSize && newest.first_lsn == *next) return Status::Ok();
  if (c.segments.front().first_lsn > *next)
    return Corruption("LSN " + Range(*next, c.segments.front().first_lsn.prev()) +
                      " are neither in a Parquet file nor in the WAL (the oldest segment is " +
                      c.segments.front().name + ")");
  auto reader = wal::LogReader::Open(c.wal_dir, *next);
  if (!reader.ok()) return reader.status();
  std::vector<Event> batch;
  wal::RecordView rec;
  for (;;) {
    ANNAL_ASSIGN_OR_RETURN(bool got, (*reader)->Next(&rec));
    if (!got) break;
    Event e;
    if (Status st = DecodeEventBody(rec.body, e); !st.ok())
      return Corruption("WAL record LSN " + std::to_string(rec.lsn.value()) + ": " + st.message());
    e.sequence = rec.lsn;
    e.epoch = rec.epoch;
    e.timestamp = rec.timestamp;
    batch.push_back(std::move(e));
    if (!rec.end_of_batch) continue;
    for (Event& b : batch) {
      *next = b.sequence.next();
      stats->from_wal++;
      ANNAL_RETURN_IF_ERROR(fn(std::move(b)));
    }
    batch.clear();
  }
  stats->incomplete_tail_records = batch.size();
  return Status::Ok();
}

}  // namespace

Status ForEachStoredEvent(const DataDirContents& contents, const std::function<Status(Event&&)>& fn,
                          StoredEventsStats* stats) {
  StoredEventsStats local;
  if (!stats) stats = &local;
  *stats = {};
  Lsn next(1);
  ANNAL_RETURN_IF_ERROR(ReadParquet(contents, fn, &next, stats));
  ANNAL_RETURN_IF_ERROR(ReadWal(contents, fn, &next, stats));
  stats->last_lsn = next.prev();
  return Status::Ok();
}

Result<Lsn> LastStoredLsn(const DataDirContents& contents) {
  Lsn last;
  auto live = contents.LiveEventFiles();
  if (!live.empty()) last = live.back()->last_lsn;
  if (contents.segments.empty()) return last;
  const WalSegmentEntry& tail = contents.segments.back();
  Lsn wal_last = tail.first_lsn.prev();  // an empty last segment continues its predecessor
  if (tail.bytes >= wal::kSegmentHeaderSize) {
    ANNAL_ASSIGN_OR_RETURN(wal::SegmentReader r,
                           wal::SegmentReader::Open(wal::SegmentFile{tail.first_lsn, tail.path}));
    wal::RecordView rec;
    for (;;) {
      ANNAL_ASSIGN_OR_RETURN(wal::ReadState state, r.Next(&rec));
      if (state != wal::ReadState::kRecord) break;
      if (rec.end_of_batch) wal_last = rec.lsn;
    }
  }
  return std::max(last, wal_last);
}

}  // namespace annal::app
