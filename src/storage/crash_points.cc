#include "storage/crash_points.h"

namespace annal::storage {

std::string_view CrashPointName(CrashPoint p) {
  switch (p) {
    case CrashPoint::kCheckpointTempWritten: return "checkpoint temp file written";
    case CrashPoint::kCheckpointRenamed: return "checkpoint file renamed";
    case CrashPoint::kManifestTempWritten: return "manifest temp file written";
    case CrashPoint::kManifestCommitted: return "manifest committed";
    case CrashPoint::kWalSegmentsRemoved: return "WAL segments removed";
    case CrashPoint::kCompactionTempWritten: return "compaction temp file written";
    case CrashPoint::kCompactionRenamed: return "compaction file renamed";
    case CrashPoint::kCompactionInputsDeleted: return "compaction inputs deleted";
    case CrashPoint::kTruncateWalSegmentsDeleted: return "truncate: WAL segments deleted";
    case CrashPoint::kTruncateWalSegmentCut: return "truncate: WAL segment cut";
    case CrashPoint::kTruncateFileTempWritten: return "truncate: file temp written";
    case CrashPoint::kTruncateFileRenamed: return "truncate: file renamed";
    case CrashPoint::kTruncateFilesDeleted: return "truncate: files deleted";
    case CrashPoint::kSnapshotFilesMoved: return "snapshot: files moved";
    case CrashPoint::kSnapshotEpochsSaved: return "snapshot: epochs saved";
    case CrashPoint::kSnapshotWalDeleted: return "snapshot: WAL deleted";
  }
  return "?";
}

}  // namespace annal::storage
