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
  }
  return "?";
}

}  // namespace annal::storage
