// What a data directory holds on disk, found by listing it: the WAL segments under <data>/wal,
// the Parquet event files under <data>/storage and the storage MANIFEST. Read-only: nothing
// here opens a file for writing, creates or removes one. Used by `annal inspect` and
// `annal export`, which must work on a stopped server's directory without its process.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/types.h"
#include "storage/manifest.h"

namespace annal::app {

struct WalSegmentEntry {
  std::string name;  // "wal-<first_lsn>.log"
  std::filesystem::path path;
  Lsn first_lsn;     // from the name
  uint64_t bytes = 0;
};

struct EventFileEntry {
  std::string name;  // "events-<first>-<last>.parquet"
  std::filesystem::path path;
  Lsn first_lsn, last_lsn;  // from the name
  uint64_t bytes = 0;
  // Listed by the MANIFEST. A file that is not live is left over from a checkpoint or
  // compaction that crashed before committing, or was replaced by compaction and not deleted
  // yet: the server ignores it (and deletes it at the next start), and so do inspect and export.
  bool live = false;
  std::optional<storage::FileMeta> meta;  // the MANIFEST's entry (size, CRC-32C) when live
};

struct DataDirContents {
  std::filesystem::path data_dir, wal_dir, storage_dir;
  std::vector<WalSegmentEntry> segments;      // by first LSN
  std::vector<EventFileEntry> event_files;    // by first LSN, then last LSN
  std::vector<std::string> unexpected_files;  // in storage/: not an event file, not the manifest
  bool has_manifest = false;
  std::string manifest_error;  // the MANIFEST exists but is damaged; no file is live then
  storage::Manifest manifest;  // as read (empty without one)
  Lsn checkpoint_lsn;          // from the MANIFEST; 0 without one
  // Files the MANIFEST names that are not on disk.
  std::vector<std::string> missing_files;

  // Live event files in LSN order.
  std::vector<const EventFileEntry*> LiveEventFiles() const;
};

// Lists `data_dir`. NotFound when it is not a directory or holds neither wal/ nor storage/. A
// MANIFEST that cannot be read is not an error here: see manifest_error.
Result<DataDirContents> ListDataDir(const std::filesystem::path& data_dir);

}  // namespace annal::app
