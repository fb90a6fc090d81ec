// Opening an event file for reading: magic, footer, schema and row-group structure checks,
// shared by ReadEventFileInfo and ReadEventFile. Internal to storage/parquet.
#pragma once

#include <array>
#include <filesystem>
#include <string>
#include <vector>

#include "core/status.h"
#include "storage/parquet/event_file.h"
#include "storage/parquet/event_schema.h"
#include "storage/parquet/metadata.h"

namespace annal::storage::parquet {

struct EventColumnInfo {
  int leaf = -1;  // index among the file's leaf columns (= RowGroup.columns index)
  int32_t physical_type = 0;
  bool optional = false;
  TimeUnit unit = TimeUnit::kMicros;  // timestamp only
};

// Converts a timestamp in `unit` to microseconds (floor for nanos, saturating for millis).
int64_t ToMicros(int64_t v, TimeUnit unit);

struct ChunkRange {
  uint64_t offset = 0, size = 0;
};

class EventFileLayout {
 public:
  EventFileLayout() = default;
  ~EventFileLayout();
  EventFileLayout(const EventFileLayout&) = delete;
  EventFileLayout& operator=(const EventFileLayout&) = delete;

  // Opens `path` and checks everything that can be checked without reading pages.
  Status Open(const std::filesystem::path& path);

  // Reads the bytes of column chunk (row group rg, event column c).
  Status ReadChunk(size_t rg, int c, std::vector<uint8_t>* out) const;

  const std::filesystem::path& path() const { return path_; }
  const FileMetaData& metadata() const { return md_; }
  const EventColumnInfo& column(int c) const { return columns_[c]; }
  const ColumnMetaData& chunk_meta(size_t rg, int c) const {
    return *md_.row_groups[rg].columns[columns_[c].leaf].meta_data;
  }
  bool ours() const { return ours_; }  // written by Annal (has annal.format_version)
  const EventFileInfo& info() const { return info_; }

  // Corruption("<path>: <where>: <message>") from a failed status.
  Status Annotate(const Status& st, const std::string& where) const;

 private:
  Status CheckFooterCrc(std::string_view value) const;
  Status CheckSchema();
  Status CheckRowGroups();
  Status FillInfo();

  std::filesystem::path path_;
  int fd_ = -1;
  uint64_t size_ = 0;
  uint64_t data_end_ = 0;  // first byte of the footer
  std::string footer_;
  FileMetaData md_;
  std::array<EventColumnInfo, kNumEventColumns> columns_{};
  std::vector<std::array<ChunkRange, kNumEventColumns>> ranges_;
  bool ours_ = false;
  std::optional<uint64_t> kv_first_, kv_last_, kv_epoch_;
  EventFileInfo info_;
};

}  // namespace annal::storage::parquet
