// Recovery: what Wal::Open does before the writer starts (rules: docs/format/wal.md,
// "Recovery"). Validates every segment, replays complete batches, repairs a torn tail of the
// last segment, and hands the writer an fd positioned at the end of the log.
#pragma once

#include <filesystem>

#include "core/status.h"
#include "wal/file.h"
#include "wal/wal.h"

namespace annal::wal {

struct RecoveredLog {
  std::filesystem::path segment_path;  // the last segment: the writer appends here
  Lsn segment_first_lsn;               // its first LSN (from its name)
  UniqueFd fd;                         // open O_WRONLY on segment_path, fdatasynced
  uint64_t segment_bytes = 0;          // where its records end (after any repair)
  uint64_t file_bytes = 0;             // its file size: more when it ends in preallocated zeros
  Lsn last_lsn;                        // last recovered record (first_lsn - 1 of an empty log)
  Epoch last_epoch;                    // epoch of that record (options.epoch if none)
};

// Creates `options.dir` when missing. On Corruption nothing on disk has been modified.
// Records <= options.checkpoint_lsn are validated but not replayed (see WalOptions).
Result<RecoveredLog> RecoverLog(const WalOptions& options, const Wal::ReplayFn& replay,
                                RecoveryReport* report);

}  // namespace annal::wal
