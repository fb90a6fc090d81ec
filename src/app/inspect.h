// `annal inspect <data-dir>`: what a data directory holds and whether it is intact, read
// without starting a server (docs/operations.md, "Inspecting a data dir").
//
// Every WAL segment is read through and checked like recovery checks it (header, record CRCs,
// LSN continuity, epochs); every Parquet event file is read through and checked (footer, page
// CRCs, rows in sequence order matching the name). Then the pieces are put together: live
// Parquet files must cover LSN 1..checkpoint without gap or overlap, and the WAL must continue
// no later than the checkpoint + 1. Nothing is written, created or repaired.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/types.h"

namespace annal::app {

struct SegmentReport {
  std::string name;
  uint64_t bytes = 0;
  Lsn first_lsn, last_lsn;          // records of complete batches; 0/0 when none
  uint64_t records = 0;             // complete batches only
  // "ok"; "torn_tail" (last segment: an unfinished write recovery cuts off, never acknowledged);
  // "failed" (a check failed: see error/offset).
  std::string status = "ok";
  std::string error;
  std::optional<uint64_t> error_offset;
  uint64_t tail_bytes = 0;          // torn_tail: bytes recovery would cut
  uint64_t tail_records = 0;        // torn_tail: records of an unfinished batch
};

struct EventFileReport {
  std::string name;
  uint64_t bytes = 0;
  Lsn first_lsn, last_lsn;          // from the name
  uint64_t rows = 0;
  size_t row_groups = 0;
  std::string compression;          // "zstd", "snappy", "none"; empty when not known
  bool live = false;                // listed by the MANIFEST
  std::string status = "ok";        // "ok" | "failed"
  std::string error;
};

struct InspectReport {
  std::string data_dir;
  bool server_running = false;      // a server held the data-dir lock while we read
  std::string server_pid;           // from LOCK, when running and known
  std::vector<SegmentReport> segments;
  std::vector<EventFileReport> event_files;
  bool has_manifest = false;
  Lsn checkpoint_lsn;
  uint64_t manifest_generation = 0;
  std::vector<std::string> unexpected_files;
  // Summary.
  Lsn parquet_last_lsn;             // end of the live Parquet chain from LSN 1
  Lsn wal_first_lsn, wal_last_lsn;  // 0/0 without WAL records
  Lsn last_lsn;                     // = events in the store (LSNs are gap-free from 1)
  std::vector<std::string> problems;  // damage, gaps, overlaps: each makes the exit code 1
  std::vector<std::string> notes;     // worth knowing, not damage

  bool ok() const { return problems.empty(); }
};

// Reads `data_dir`. Never fails: what cannot be read is a problem in the report.
InspectReport Inspect(const std::filesystem::path& data_dir);

std::string FormatInspectText(const InspectReport& r);
std::string FormatInspectJson(const InspectReport& r);

struct InspectOptions {
  std::filesystem::path data_dir;
  bool json = false;
};
// The command: prints the report on stdout and returns the exit code (0 intact, 1 problems
// found or the data dir cannot be read).
int RunInspect(const InspectOptions& options);

}  // namespace annal::app
