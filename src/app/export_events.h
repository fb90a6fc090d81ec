// `annal export`: every event of a data directory, in sequence order, each exactly once, as
// NDJSON (one event per line, the API's event JSON) or as one Parquet event file
// (docs/operations.md, "Exporting").
//
// It reads the files directly (stored_events.h), not through a server and not through
// EventStore::Open, which would recover (and so modify) the WAL. It holds the data dir's lock
// shared while it reads, so no server can start meanwhile, and refuses to run while a server
// holds it: a running server's files change under a reader.
#pragma once

#include <filesystem>

#include "storage/parquet/event_file.h"

namespace annal::app {

enum class ExportFormat { kNdjson, kParquet };

struct ExportOptions {
  std::filesystem::path data_dir;
  ExportFormat format = ExportFormat::kNdjson;
  std::filesystem::path out;      // "-" = stdout (NDJSON only)
  storage::Compression compression = storage::Compression::kZstd;  // Parquet only
};

// Runs the export; messages go to stderr. Returns the process exit code: 0 done, 1 failed
// (nothing is left at `out`: the file is written under a temporary name and renamed at the end).
int RunExport(const ExportOptions& options);

}  // namespace annal::app
