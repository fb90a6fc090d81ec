// Reading and writing one catalog file with the checks the manifest makes possible: the
// whole-file CRC-32C and size recorded at write time catch any damaged byte, including bytes
// the Parquet reader would not notice (a page without a CRC, a flipped bit inside a value).
#pragma once

#include <filesystem>
#include <functional>
#include <span>

#include "core/event.h"
#include "core/status.h"
#include "storage/crash_points.h"
#include "storage/manifest.h"
#include "storage/parquet/event_file.h"

namespace annal::storage {

// CRC-32C and size of the whole file.
struct FileDigest {
  uint64_t bytes = 0;
  uint32_t crc32c = 0;
};
Result<FileDigest> DigestFile(const std::filesystem::path& path);

// Reads the live file `meta` in <dir>: checks size and CRC-32C against the manifest, then
// parses it (ReadEventFile) and checks that it holds exactly the events meta.first_lsn ..
// meta.last_lsn in order. Every failure is Corruption naming the file as <dir's name>/<file>
// ("storage/events-….parquet").
Status ReadCheckedEventFile(const std::filesystem::path& dir, const FileMeta& meta,
                            const std::function<Status(Event&&)>& fn);

// Writes `events` (contiguous, ascending, non-empty) durably as <dir>/EventFileName(first,
// last): to the .tmp name first (WriteEventFile fsyncs it), then rename and directory fsync.
// Returns its manifest entry; the file is not part of the store until a manifest lists it.
// `hook` sees `temp_written` and `renamed`. On failure before the rename the temp file is
// removed (best effort; a leftover is an orphan removed at the next start).
Result<FileMeta> WriteDurableEventFile(const std::filesystem::path& dir,
                                       std::span<const Event* const> events,
                                       const ParquetWriteOptions& options, const CrashHook& hook,
                                       CrashPoint temp_written, CrashPoint renamed);

}  // namespace annal::storage
