// The manifest: the durable catalog <data>/storage/MANIFEST (docs/format/storage.md). It names
// every live Parquet file and the checkpoint LSN. Replacing it (temp file, fsync, rename, dir
// fsync) is the commit point of every checkpoint and compaction: a file is part of the store
// exactly when the manifest on disk lists it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/types.h"
#include "storage/crash_points.h"

namespace annal::storage {

inline constexpr uint32_t kManifestFormatVersion = 1;

// One live Parquet file.
struct FileMeta {
  std::string name;         // EventFileName(first_lsn, last_lsn)
  Lsn first_lsn, last_lsn;
  uint64_t rows = 0;        // = last_lsn - first_lsn + 1
  uint64_t bytes = 0;       // file size
  uint32_t crc32c = 0;      // CRC-32C of the whole file

  bool operator==(const FileMeta&) const = default;
};

struct Manifest {
  uint64_t generation = 0;  // +1 per committed edit; informational (logs, inspect)
  Lsn checkpoint_lsn;       // every LSN 1..checkpoint_lsn is in exactly one file below
  std::vector<FileMeta> files;  // ascending LSN order

  // The structural rules: files contiguous from LSN 1 to checkpoint_lsn with no gap or
  // overlap, names matching ranges, rows matching ranges. Corruption naming `origin` and the
  // offending file otherwise.
  Status Validate(std::string_view origin) const;

  uint64_t total_bytes() const;

  bool operator==(const Manifest&) const = default;
};

// Text encoding with a trailing CRC-32C line (docs/format/storage.md).
std::string EncodeManifest(const Manifest& m);
// Parses and validates; `file` names the manifest in error messages. Corruption when the CRC
// line is missing or wrong (torn or damaged), the version is unknown or any rule is broken.
Result<Manifest> DecodeManifest(std::string_view text, std::string_view file);

// Reads <dir>/MANIFEST. nullopt when there is none (a store that never checkpointed).
Result<std::optional<Manifest>> ReadManifest(const std::filesystem::path& dir);

// Atomically replaces <dir>/MANIFEST: writes MANIFEST.tmp, fsyncs it, renames it over
// MANIFEST, fsyncs the directory. After a crash the directory holds either the old or the new
// manifest, never a mix. `hook` sees kManifestTempWritten and kManifestCommitted.
Status WriteManifest(const std::filesystem::path& dir, const Manifest& m,
                     const CrashHook& hook = {});

}  // namespace annal::storage
