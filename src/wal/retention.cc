// Segment retention: which closed segments may go once a checkpoint covers them (DESIGN §3).
//
// A segment may be deleted only when (a) every LSN in it is in durable Parquet files, i.e. the
// next segment starts at or below checkpoint_lsn + 1, and (b) it is not among the newest
// `retain_bytes` of segment bytes, which followers catch up from. The active segment is never
// deleted (the writer appends to it, and it has no successor to bound its last LSN).
#include <spdlog/spdlog.h>

#include <system_error>

#include "wal/segment.h"
#include "wal/writer.h"

namespace annal::wal {

Status Wal::Impl::RemoveSegmentsBefore(Lsn checkpoint_lsn, uint64_t retain_bytes,
                                       std::vector<std::string>* removed) {
  std::lock_guard lock(retention_mu_);
  // Read the active segment first, then list: every segment older than it is closed and its
  // successor was created before the store below, so the listing holds that successor.
  const Lsn active(active_first_lsn_.load(std::memory_order_acquire));
  ANNAL_ASSIGN_OR_RETURN(std::vector<SegmentFile> segs, ListSegments(options_.dir));

  // Segment i holds LSNs [first_i, first_{i+1} - 1]. Deletable: closed and fully checkpointed.
  size_t deletable = 0;  // segs[0 .. deletable) satisfy (a); they are a prefix
  while (deletable + 1 < segs.size() && segs[deletable].first_lsn < active &&
         segs[deletable + 1].first_lsn.value() - 1 <= checkpoint_lsn.value())
    ++deletable;
  if (deletable == 0) return Status::Ok();

  // (b): walk from the newest segment back, keeping segments until retain_bytes are kept.
  std::vector<uint64_t> sizes(segs.size());
  for (size_t i = 0; i < segs.size(); ++i) {
    std::error_code ec;
    uint64_t size = std::filesystem::file_size(segs[i].path, ec);
    if (ec) return IOError("stat " + segs[i].path.string() + ": " + ec.message());
    sizes[i] = size;
  }
  uint64_t newer = 0;  // bytes of segments newer than i
  size_t keep_from = segs.size();
  while (keep_from > 0 && newer < retain_bytes) {
    --keep_from;
    newer += sizes[keep_from];
  }
  const size_t remove_count = std::min(deletable, keep_from);
  if (remove_count == 0) return Status::Ok();

  // Oldest first: a crash midway leaves a log that still starts somewhere and has no hole.
  for (size_t i = 0; i < remove_count; ++i) {
    std::error_code ec;
    std::filesystem::remove(segs[i].path, ec);
    if (ec) return IOError("remove " + segs[i].path.string() + ": " + ec.message());
    if (removed) removed->push_back(segs[i].path.filename().string());
  }
  ANNAL_RETURN_IF_ERROR(SyncDir(options_.dir));
  spdlog::info("wal: removed {} checkpointed segments (LSN {}..{}); the log now starts at LSN {}",
               remove_count, segs[0].first_lsn.value(), segs[remove_count].first_lsn.value() - 1,
               segs[remove_count].first_lsn.value());
  return Status::Ok();
}

}  // namespace annal::wal
