#include "storage/compactor.h"

#include <spdlog/spdlog.h>

#include "storage/file_check.h"

namespace annal::storage {

std::vector<std::pair<size_t, size_t>> Compactor::PlanMerges(const Manifest& manifest,
                                                             const CompactionOptions& options) {
  std::vector<std::pair<size_t, size_t>> runs;
  const auto& files = manifest.files;
  const size_t min_files = std::max<size_t>(options.min_files, 2);
  size_t i = 0;
  while (i < files.size()) {
    // Greedy: extend the run while every file is small and the sum stays within the target.
    size_t j = i;
    uint64_t bytes = 0, rows = 0;
    while (j < files.size() && files[j].bytes < options.target_bytes &&
           bytes + files[j].bytes <= options.target_bytes && rows + files[j].rows <= options.max_rows) {
      bytes += files[j].bytes;
      rows += files[j].rows;
      ++j;
    }
    if (j - i >= min_files) {
      runs.emplace_back(i, j);
      i = j;
    } else {
      ++i;  // file i cannot start a worthwhile run; try from the next one
    }
  }
  return runs;
}

Result<CompactionResult> Compactor::Run(const EventSource& source, const CrashHook& hook) {
  CompactionResult result;
  if (!options_.enabled) return result;
  const Manifest manifest = catalog_->current();
  std::vector<const Event*> events;
  // The plan is made once from one manifest; only compactions change the file list besides
  // checkpoints, which add files after the last one and are serialized with us, so the
  // planned inputs stay live until we replace them.
  for (auto [begin, end] : PlanMerges(manifest, options_)) {
    const FileMeta& first = manifest.files[begin];
    const FileMeta& last = manifest.files[end - 1];
    events.clear();
    ANNAL_RETURN_IF_ERROR(source(first.first_lsn, last.last_lsn, &events));
    if (events.size() != last.last_lsn.value() - first.first_lsn.value() + 1)
      return Internal("compaction: the event source did not supply the whole range");
    ANNAL_ASSIGN_OR_RETURN(FileMeta merged,
                           WriteDurableEventFile(catalog_->dir(), events, parquet_, hook,
                                                 CrashPoint::kCompactionTempWritten,
                                                 CrashPoint::kCompactionRenamed));
    CatalogEdit edit;
    edit.added.push_back(merged);
    for (size_t k = begin; k < end; ++k) edit.removed.push_back(manifest.files[k].name);
    ANNAL_RETURN_IF_ERROR(catalog_->Apply(edit, hook, CrashPoint::kCompactionInputsDeleted));
    spdlog::info("storage: compaction merged {} files into {} ({} events, {} bytes)", end - begin,
                 merged.name, merged.rows, merged.bytes);
    ++result.merges;
    result.files_in += end - begin;
    result.rows += merged.rows;
  }
  return result;
}

}  // namespace annal::storage
