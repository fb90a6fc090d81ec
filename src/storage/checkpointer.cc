#include "storage/checkpointer.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "storage/file_check.h"

namespace annal::storage {

Result<CheckpointResult> Checkpointer::Run(Lsn upto, const EventSource& source, wal::Wal* wal,
                                           uint64_t wal_retain_bytes, const CrashHook& hook) {
  CheckpointResult result;
  Lsn done = catalog_->checkpoint_lsn();
  std::vector<const Event*> events;
  while (done < upto) {
    const Lsn first = done.next();
    const Lsn last(std::min(upto.value(), done.value() + std::max<uint64_t>(options_.max_file_events, 1)));
    events.clear();
    ANNAL_RETURN_IF_ERROR(source(first, last, &events));
    if (events.size() != last.value() - first.value() + 1 || events.front()->sequence != first ||
        events.back()->sequence != last)
      return Internal("checkpoint: the event source did not supply LSNs " +
                      std::to_string(first.value()) + ".." + std::to_string(last.value()));
    ANNAL_ASSIGN_OR_RETURN(FileMeta meta,
                           WriteDurableEventFile(catalog_->dir(), events, options_.parquet, hook,
                                                 CrashPoint::kCheckpointTempWritten,
                                                 CrashPoint::kCheckpointRenamed));
    CatalogEdit edit;
    edit.added.push_back(meta);
    edit.checkpoint_lsn = last;
    ANNAL_RETURN_IF_ERROR(catalog_->Apply(edit, hook));  // the commit point
    spdlog::info("storage: checkpoint wrote {} ({} events, {} bytes)", meta.name, meta.rows,
                 meta.bytes);
    ++result.files_written;
    result.events += meta.rows;
    result.bytes += meta.bytes;
    done = last;
  }
  result.checkpoint_lsn = done;
  // Also when nothing new was written: an earlier deletion may have failed, or the retention
  // may have moved on as the log grew.
  if (wal != nullptr && done > Lsn(0)) {
    ANNAL_RETURN_IF_ERROR(
        wal->RemoveSegmentsBefore(done, wal_retain_bytes, &result.wal_segments_removed));
    if (!result.wal_segments_removed.empty()) Reach(hook, CrashPoint::kWalSegmentsRemoved);
  }
  return result;
}

}  // namespace annal::storage
