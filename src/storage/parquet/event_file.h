// Event files: Parquet files holding a contiguous LSN range of events, with the columns of
// DESIGN.md §4. Annal writes and reads Parquet itself (Debian has no Arrow/Parquet); the subset
// we write and read is documented in docs/format/parquet.md.
//
// Columns (in this order): sequence INT64, event_id STRING, tenant_id STRING, event_type STRING,
// entity_id STRING, timestamp INT64 TIMESTAMP(MICROS, UTC), payload STRING (JSON text),
// metadata STRING nullable, version INT64 (always 1), entity_version INT64.
// The footer's key/value metadata carries `annal.format_version`, `annal.first_lsn`,
// `annal.last_lsn` and `annal.max_epoch` (Event.epoch is not a column).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string_view>

#include "core/clock.h"
#include "core/event.h"
#include "core/status.h"
#include "core/types.h"

namespace annal::storage {

enum class Compression { kNone, kSnappy, kZstd };

// "zstd" | "snappy" | "none" (case-insensitive).
Result<Compression> ParseCompression(std::string_view text);
std::string_view CompressionName(Compression c);

struct ParquetWriteOptions {
  Compression compression = Compression::kZstd;
  int zstd_level = 3;
  size_t row_group_rows = 128 * 1024;  // a file holds ceil(rows / row_group_rows) row groups
};

struct EventFileInfo {
  Lsn first_lsn, last_lsn;
  uint64_t rows = 0;
  uint64_t bytes = 0;            // file size
  size_t row_groups = 0;
  TimestampMicros min_timestamp = 0, max_timestamp = 0;
  Epoch max_epoch;
  // Codec of the payload column in the first row group (Annal writes one codec for every
  // column). Absent for an empty file or a codec Annal cannot read (reading its pages then
  // fails naming the codec).
  std::optional<Compression> compression;
};

// Writes `events` to exactly `path` (created or truncated) and fsyncs the file. Callers write
// to a temporary name and rename (see storage/checkpointer). REQUIRES: events non-empty with
// contiguous ascending sequence numbers.
// Errors: InvalidArgument when the events break what the reader insists on (empty, sequence not
// contiguous ascending, entity_version 0, a value over 256 MiB); IOError from the OS. On error
// `path` may hold a partial file: the caller removes it.
Result<EventFileInfo> WriteEventFile(const std::filesystem::path& path,
                                     std::span<const Event* const> events,
                                     const ParquetWriteOptions& options);

// Reads an event file — ours, or any Parquet file with these column names and compatible
// physical types (DuckDB's COPY ... TO ... (FORMAT parquet) included) — calling `fn` for each
// event in file order; a non-OK return from `fn` stops the read with it. Verifies page CRCs when
// present, and every structural rule; a damaged file is Corruption naming the file and where.
// Event.epoch is set from `annal.max_epoch` (1 when absent). `info` (optional) is filled
// from the footer before the first callback.
Status ReadEventFile(const std::filesystem::path& path, const std::function<Status(Event&&)>& fn,
                     EventFileInfo* info = nullptr);

// Reads and checks only the footer (cheap): fills `info`.
Status ReadEventFileInfo(const std::filesystem::path& path, EventFileInfo* info);

}  // namespace annal::storage
