// Checkpointer: moves events that are only in the WAL into Parquet files (DESIGN §4).
//
// One checkpoint of (C, upto], C = the catalog's checkpoint LSN, is, per file of at most
// max_file_events events:
//   1. write events-<first>-<last>.parquet.tmp and fsync it;
//   2. rename it to its final name, fsync the directory;
//   3. commit a manifest listing it with checkpoint_lsn = its last LSN (MANIFEST.tmp, fsync,
//      rename, dir fsync) — the commit point;
// and then, once for the whole checkpoint:
//   4. delete the WAL segments the new checkpoint covers, outside the retention.
// Crash safety: before 3 the new file is an orphan (deleted at the next start) and the WAL
// still holds every event; after 3 the events are in a listed file and recovery replays only
// the WAL records above the new checkpoint LSN; 4 only deletes records that 3 made redundant.
// So a crash anywhere loses nothing and duplicates nothing. docs/format/storage.md.
//
// REQUIRES: checkpoints and compactions of one catalog run one at a time (the store serializes
// them on its maintenance mutex).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/types.h"
#include "storage/catalog.h"
#include "storage/crash_points.h"
#include "storage/event_source.h"
#include "storage/parquet/event_file.h"
#include "wal/wal.h"

namespace annal::storage {

struct CheckpointOptions {
  ParquetWriteOptions parquet;
  // Caps one file (and the event pointers gathered for it); a longer range becomes several
  // files, each committed on its own.
  uint64_t max_file_events = 1'000'000;
};

struct CheckpointResult {
  Lsn checkpoint_lsn;                 // after this run
  size_t files_written = 0;
  uint64_t events = 0;
  uint64_t bytes = 0;
  std::vector<std::string> wal_segments_removed;
};

class Checkpointer {
 public:
  // `catalog` must outlive the checkpointer.
  Checkpointer(Catalog* catalog, CheckpointOptions options)
      : catalog_(catalog), options_(std::move(options)) {}

  // Checkpoints up to `upto` (nothing to write when upto <= the checkpoint LSN), then, when
  // `wal` is given, removes WAL segments before the new checkpoint outside `wal_retain_bytes`.
  // REQUIRES: every event <= upto is durable in the WAL (or already checkpointed) and `source`
  // can supply it. On error the catalog is at the last committed file (possibly advanced).
  Result<CheckpointResult> Run(Lsn upto, const EventSource& source, wal::Wal* wal,
                               uint64_t wal_retain_bytes, const CrashHook& hook = {});

 private:
  Catalog* const catalog_;
  const CheckpointOptions options_;
};

}  // namespace annal::storage
