// Names of the files under <data>/storage (docs/format/storage.md), and of the data dir's
// folders.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/types.h"

namespace annal::storage {

// <data>/storage holds the Parquet files and the MANIFEST; <data>/wal the WAL segments.
inline constexpr std::string_view kStorageDirName = "storage";
inline constexpr std::string_view kWalDirName = "wal";

inline constexpr std::string_view kManifestName = "MANIFEST";
// Every file is first written under its final name + this suffix, then renamed; a leftover
// with this suffix is always an orphan of a crashed write.
inline constexpr std::string_view kTempSuffix = ".tmp";

// "events-00000000000000000001-00000000000000001000.parquet"
std::string EventFileName(Lsn first, Lsn last);

struct LsnRange {
  Lsn first, last;
};
// The range of a name produced by EventFileName (first >= 1, first <= last); nullopt else.
std::optional<LsnRange> ParseEventFileName(std::string_view name);

}  // namespace annal::storage
