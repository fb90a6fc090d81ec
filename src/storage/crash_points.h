// Test hook: the durable steps of a checkpoint, a compaction and the offline data-dir operations
// (data_dir_ops.h), in order. A CrashHook is
// called after each step; crash tests make it end the process (_exit) there, to prove that a
// crash at any point loses nothing and duplicates nothing (docs/format/storage.md, "Crash
// safety"). Production code passes an empty hook.
#pragma once

#include <functional>
#include <string_view>

namespace annal::storage {

enum class CrashPoint {
  // Checkpoint: new file written under its .tmp name and fsynced.
  kCheckpointTempWritten,
  // Checkpoint: renamed to its final name, directory fsynced; not yet in the manifest.
  kCheckpointRenamed,
  // Any manifest update: MANIFEST.tmp written and fsynced, not yet renamed.
  kManifestTempWritten,
  // Any manifest update: MANIFEST renamed into place and the directory fsynced (commit point).
  kManifestCommitted,
  // Checkpoint: WAL segments covered by the checkpoint deleted.
  kWalSegmentsRemoved,
  // Compaction: merged file written under its .tmp name.
  kCompactionTempWritten,
  // Compaction: merged file renamed to its final name; not yet in the manifest.
  kCompactionRenamed,
  // Compaction: the replaced (unpinned) input files deleted.
  kCompactionInputsDeleted,
  // TruncateLog: WAL segments above keep_through deleted, WAL directory fsynced.
  kTruncateWalSegmentsDeleted,
  // TruncateLog: the WAL segment holding keep_through cut after it (resealed if needed).
  kTruncateWalSegmentCut,
  // TruncateLog: the kept part of a straddling file written under its .tmp name.
  kTruncateFileTempWritten,
  // TruncateLog: that file renamed to its final name; not yet in the manifest.
  kTruncateFileRenamed,
  // TruncateLog: files the committed manifest dropped deleted.
  kTruncateFilesDeleted,
  // InstallSnapshot: staged files renamed into storage/, directory fsynced; not yet listed.
  kSnapshotFilesMoved,
  // InstallSnapshot: EPOCHS replaced (after the manifest commit).
  kSnapshotEpochsSaved,
  // InstallSnapshot: every WAL segment deleted.
  kSnapshotWalDeleted,
};

std::string_view CrashPointName(CrashPoint p);

using CrashHook = std::function<void(CrashPoint)>;

inline void Reach(const CrashHook& hook, CrashPoint p) {
  if (hook) hook(p);
}

}  // namespace annal::storage
