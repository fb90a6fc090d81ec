// Offline surgery on a whole data dir (<data>/storage, <data>/wal, <data>/EPOCHS), for
// replication (DESIGN §5.4, §5.7):
//   - TruncateLog: an old leader that rejoins as a follower cuts its divergent suffix away;
//   - InstallSnapshot: a follower older than the leader's oldest WAL entry replaces its log with
//     the leader's Parquet files.
// Both leave a data dir that EventStore::Open opens at every step, also after a crash midway
// (docs/format/storage.md, "Truncating the log" and "Installing a snapshot").
//
// REQUIRES (both): no EventStore has the data dir open, and the caller holds the data dir's
// LOCK (app/data_dir_lock.h) so that none can open it meanwhile. Not thread-safe against
// anything else touching the same data dir.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/types.h"
#include "storage/crash_points.h"
#include "storage/epoch_history.h"

namespace annal::storage {

struct TruncateReport {
  Lsn last_lsn_before;  // the log's last LSN before the truncation (after recovery)
  uint64_t events_removed = 0;
  size_t files_rewritten = 0;     // Parquet files that straddled keep_through, cut down
  size_t files_deleted = 0;       // Parquet files wholly above keep_through
  size_t segments_deleted = 0;    // WAL segments wholly above keep_through
  size_t segments_truncated = 0;  // the WAL segment holding keep_through, cut after it
  bool epochs_truncated = false;  // EPOCHS lost entries that start after keep_through
};

// Removes every event with LSN > keep_through from the data dir, so that the store opens with
// exactly LSNs 1..keep_through and appends continue at keep_through + 1.
//
// First the data dir is validated and the WAL recovered exactly as EventStore::Open would (a
// torn tail is repaired; Corruption anywhere stops here with nothing else changed). Then:
//   1. WAL: segments starting after keep_through are deleted, newest first; the segment holding
//      keep_through is cut right after that record, which becomes the end of its batch (flag
//      set, CRC recomputed), so that recovery does not drop the batch's kept records as an
//      incomplete batch. A record that already ends its batch is cut in place (ftruncate);
//      otherwise the kept prefix is copied to <segment>.tmp with the record resealed, fsynced
//      and renamed over the segment, so no crash can leave a half-rewritten record header.
//   2. Storage, when keep_through < the checkpoint LSN: a file straddling keep_through is
//      rewritten with its events <= keep_through (same codec) under its new name; a manifest
//      without the files above keep_through and with checkpoint_lsn = keep_through is committed
//      (the commit point); then the dropped files are deleted. Orphans of an interrupted earlier
//      run are deleted too.
//   3. <data>/EPOCHS, if present: entries that start after keep_through are dropped.
// The WAL goes first because a WAL that ends below the checkpoint is valid (the store replaces
// it by an empty one at checkpoint + 1), while a checkpoint below the WAL's first LSN is not.
//
// Crash safety: a crash at any step leaves a data dir that EventStore::Open opens (holding
// LSNs 1..n for some n >= keep_through, a prefix of the old log); running TruncateLog again with
// the same keep_through completes the truncation. keep_through >= the last LSN changes no event
// (it still finishes an interrupted earlier run and drops EPOCHS entries after keep_through).
// keep_through = 0 empties the log. NotFound when data_dir is not a directory.
// `hook` (tests) sees the kTruncate* points, kManifestTempWritten and kManifestCommitted.
Status TruncateLog(const std::filesystem::path& data_dir, Lsn keep_through,
                   TruncateReport* report = nullptr, const CrashHook& hook = {});

// Installs a snapshot received from a leader: `files` (bare names, EventFileName of their LSN
// range) in `staging_dir` become the data dir's whole log, LSNs 1..last_lsn, and `epochs` its
// epoch history. staging_dir must be on the same file system as data_dir (files are renamed,
// not copied) and must not hold <data>/storage (it is removed at the end); InvalidArgument
// otherwise.
//
// Checks first, changing nothing in data_dir when one fails: the names are event file names
// that together cover exactly 1..last_lsn, contiguous (InvalidArgument otherwise; also for a
// missing file); each file passes the checks the store makes when it opens a live file
// (footer, range, page and footer CRCs, every row's LSN in order; Corruption naming the file).
// The store's replay checks across events (entity versions, unique ids) are not repeated here.
// Then:
//   1. the old log is cut below the snapshot's end (TruncateLog to last_lsn - 1), so that once
//      the new manifest is committed, whatever is left of the old WAL ends below its checkpoint
//      and EventStore::Open discards it even if step 5 never ran (no old record can outlive
//      the install). If a live file of the old log has the name of a snapshot file but other
//      contents, renaming over it would damage the old state, so the old log is emptied instead
//      (TruncateLog to 0; logged). If the old data dir is damaged (Corruption), it cannot be
//      preserved: its WAL is deleted and the install goes on (logged);
//   2. each staged file is fsynced and renamed into <data>/storage; the directory is fsynced;
//   3. a MANIFEST listing exactly the snapshot files with checkpoint_lsn = last_lsn is
//      committed: the commit point;
//   4. <data>/EPOCHS is replaced by `epochs` (first, so that the history disagrees with the
//      log for as short a time as possible);
//   5. every WAL segment is deleted (the store starts an empty WAL at last_lsn + 1);
//   6. old storage files the manifest does not list are deleted, and staging_dir is removed
//      (failures here are only logged: the store deletes such orphans when it opens).
// Crash safety: before 3 the data dir holds the old log as step 1 left it (a prefix of the old
// log) plus orphans; after 3 it holds the snapshot. Either opens. After a crash before 3 the
// snapshot must be transferred again; after 3 the install is done as far as the store is
// concerned, but EPOCHS may still be the old one (as step 1 truncated it) until 4 has run.
// `hook` (tests) sees kSnapshot* points, kManifestTempWritten, kManifestCommitted, and the
// TruncateLog points of step 1.
Status InstallSnapshot(const std::filesystem::path& data_dir,
                       const std::filesystem::path& staging_dir,
                       const std::vector<std::string>& files, Lsn last_lsn,
                       const EpochHistory& epochs, const CrashHook& hook = {});

}  // namespace annal::storage
