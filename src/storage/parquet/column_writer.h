// Writes one column chunk (all rows of one row group of one column): an optional dictionary page
// and data pages v1 of ~1 MiB uncompressed, each compressed and carrying a CRC-32 in its header.
// Encoding choices are documented in docs/format/parquet.md.
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"
#include "storage/parquet/metadata.h"

namespace annal::storage::parquet {

struct ColumnSpec {
  std::string_view name;                     // must outlive the written metadata (string literals)
  PhysicalType type = PhysicalType::kInt64;  // kInt64 or kByteArray
  bool optional = false;                     // definition levels (max level 1)
  bool try_dictionary = false;               // dictionary-encode when it pays
  bool min_max_statistics = false;           // INT64 only
};

struct ColumnWriteOptions {
  int32_t codec = static_cast<int32_t>(Codec::kZstd);
  int zstd_level = 3;
  size_t page_bytes = 1u << 20;  // target uncompressed values per page
  size_t max_dictionary_entries = 65536;
  size_t max_dictionary_bytes = 1u << 20;
};

// Where pages go: appended to *out, whose first byte is at file offset `out_offset`. Statistics
// bytes are kept in `arena` (stable addresses) so the metadata can view them.
struct ChunkSink {
  std::string* out;
  int64_t out_offset = 0;
  std::deque<std::string>* arena;

  int64_t position() const { return out_offset + static_cast<int64_t>(out->size()); }
};

// `defined` is empty for a REQUIRED column; otherwise one flag per row and `values` holds one
// entry per row (ignored where the flag is 0).
Result<ColumnChunk> WriteInt64Column(const ColumnSpec& spec, std::span<const int64_t> values,
                                     const ColumnWriteOptions& options, ChunkSink& sink);
Result<ColumnChunk> WriteByteArrayColumn(const ColumnSpec& spec,
                                         std::span<const std::string_view> values,
                                         std::span<const uint8_t> defined,
                                         const ColumnWriteOptions& options, ChunkSink& sink);

}  // namespace annal::storage::parquet
