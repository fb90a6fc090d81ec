// WriteEventFile, ParseCompression: see event_file.h and docs/format/parquet.md.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <deque>
#include <string>
#include <vector>

#include "core/crc32c.h"
#include "storage/parquet/column_writer.h"
#include "storage/parquet/encoding.h"
#include "storage/parquet/event_file.h"
#include "storage/parquet/event_schema.h"
#include "storage/parquet/metadata.h"

namespace annal::storage {

using namespace parquet;

Result<Compression> ParseCompression(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "zstd") return Compression::kZstd;
  if (lower == "snappy") return Compression::kSnappy;
  if (lower == "none" || lower == "uncompressed") return Compression::kNone;
  return InvalidArgument("unknown compression '" + std::string(text) +
                         "' (expected zstd, snappy or none)");
}

std::string_view CompressionName(Compression c) {
  switch (c) {
    case Compression::kNone:
      return "none";
    case Compression::kSnappy:
      return "snappy";
    case Compression::kZstd:
      return "zstd";
  }
  return "unknown";
}

namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

Status WriteAll(int fd, const std::string& data, const std::filesystem::path& path) {
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("write " + path.string(), errno);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

std::vector<SchemaElement> EventSchema() {
  std::vector<SchemaElement> s(1 + kNumEventColumns);
  s[0].name = "schema";
  s[0].num_children = kNumEventColumns;
  for (int c = 0; c < kNumEventColumns; ++c) {
    SchemaElement& e = s[1 + c];
    e.name = kEventColumnNames[c];
    e.repetition =
        static_cast<int32_t>(c == kMetadata ? Repetition::kOptional : Repetition::kRequired);
    if (IsIntColumn(c)) {
      e.type = static_cast<int32_t>(PhysicalType::kInt64);
    } else {
      e.type = static_cast<int32_t>(PhysicalType::kByteArray);
      e.converted_type = static_cast<int32_t>(ConvertedType::kUtf8);
      e.logical.kind = LogicalType::Kind::kString;
    }
  }
  SchemaElement& ts = s[1 + kTimestamp];
  ts.converted_type = static_cast<int32_t>(ConvertedType::kTimestampMicros);
  ts.logical = LogicalType{LogicalType::Kind::kTimestamp, true, TimeUnit::kMicros};
  return s;
}

ColumnSpec SpecFor(int c) {
  ColumnSpec s;
  s.name = kEventColumnNames[c];
  s.type = IsIntColumn(c) ? PhysicalType::kInt64 : PhysicalType::kByteArray;
  s.optional = c == kMetadata;
  s.try_dictionary = c == kTenantId || c == kEventType || c == kEntityId || c == kMetadata ||
                     c == kVersion || c == kEntityVersion;
  s.min_max_statistics = IsIntColumn(c);
  return s;
}

// One row group's columns, gathered from the events.
Result<RowGroup> WriteRowGroup(std::span<const Event* const> events, int ordinal,
                               const ColumnWriteOptions& opt, ChunkSink& sink) {
  const size_t n = events.size();
  std::vector<int64_t> ints[kNumEventColumns];
  std::vector<std::string_view> strs[kNumEventColumns];
  std::vector<uint8_t> defined(n);
  std::string ids;
  ids.reserve(n * 36);
  for (const Event* e : events) e->id.AppendTo(ids);
  for (int c = 0; c < kNumEventColumns; ++c)
    (IsIntColumn(c) ? (void)ints[c].resize(n) : strs[c].resize(n));
  for (size_t i = 0; i < n; ++i) {
    const Event& e = *events[i];
    ints[kSequence][i] = static_cast<int64_t>(e.sequence.value());
    ints[kTimestamp][i] = e.timestamp;
    ints[kVersion][i] = kEventSchemaVersion;
    ints[kEntityVersion][i] = static_cast<int64_t>(e.entity_version.value());
    strs[kEventId][i] = std::string_view(ids).substr(i * 36, 36);
    strs[kTenantId][i] = e.tenant_id;
    strs[kEventType][i] = e.event_type;
    strs[kEntityId][i] = e.entity_id;
    strs[kPayload][i] = e.payload;
    defined[i] = e.metadata.has_value();
    if (e.metadata) strs[kMetadata][i] = *e.metadata;
  }
  RowGroup rg;
  rg.num_rows = static_cast<int64_t>(n);
  rg.ordinal = ordinal;
  int64_t compressed = 0;
  for (int c = 0; c < kNumEventColumns; ++c) {
    const ColumnSpec spec = SpecFor(c);
    Result<ColumnChunk> cc =
        IsIntColumn(c) ? WriteInt64Column(spec, ints[c], opt, sink)
                       : WriteByteArrayColumn(spec, strs[c],
                                              c == kMetadata ? std::span<const uint8_t>(defined)
                                                             : std::span<const uint8_t>(),
                                              opt, sink);
    if (!cc.ok()) return cc.status();
    rg.total_byte_size += cc->meta_data->total_uncompressed_size;
    compressed += cc->meta_data->total_compressed_size;
    if (c == 0) rg.file_offset = cc->file_offset;
    rg.columns.push_back(std::move(*cc));
  }
  rg.total_compressed_size = compressed;
  return rg;
}

}  // namespace

Result<EventFileInfo> WriteEventFile(const std::filesystem::path& path,
                                     std::span<const Event* const> events,
                                     const ParquetWriteOptions& options) {
  if (events.empty()) return InvalidArgument("WriteEventFile: no events");
  if (options.row_group_rows == 0) return InvalidArgument("WriteEventFile: row_group_rows is 0");
  EventFileInfo info;
  info.first_lsn = events.front()->sequence;
  info.last_lsn = events.back()->sequence;
  info.rows = events.size();
  info.min_timestamp = info.max_timestamp = events.front()->timestamp;
  info.max_epoch = events.front()->epoch;
  for (size_t i = 0; i < events.size(); ++i) {
    const Event& e = *events[i];
    if (e.sequence.value() != info.first_lsn.value() + i || e.sequence.value() == 0 ||
        e.sequence.value() > static_cast<uint64_t>(INT64_MAX))
      return InvalidArgument("WriteEventFile: sequence numbers are not contiguous ascending");
    // What the reader insists on (docs/format/parquet.md): refuse rather than write a file that
    // cannot be read back.
    if (e.entity_version.value() == 0 ||
        e.entity_version.value() > static_cast<uint64_t>(INT64_MAX))
      return InvalidArgument("WriteEventFile: entity_version out of range at LSN " +
                             std::to_string(e.sequence.value()));
    info.min_timestamp = std::min(info.min_timestamp, e.timestamp);
    info.max_timestamp = std::max(info.max_timestamp, e.timestamp);
    info.max_epoch = std::max(info.max_epoch, e.epoch);
  }

  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (fd.get() < 0) return ErrnoError("open " + path.string(), errno);

  ColumnWriteOptions opt;
  opt.codec =
      static_cast<int32_t>(options.compression == Compression::kZstd     ? Codec::kZstd
                           : options.compression == Compression::kSnappy ? Codec::kSnappy
                                                                         : Codec::kUncompressed);
  opt.zstd_level = options.zstd_level;

  std::string buf(kMagic);
  std::deque<std::string> arena;
  ChunkSink sink{&buf, 0, &arena};
  FileMetaData md;
  md.version = 2;
  md.schema = EventSchema();
  md.num_rows = static_cast<int64_t>(events.size());
  md.created_by = kCreatedBy;
  md.type_defined_column_orders = true;
  for (size_t start = 0; start < events.size(); start += options.row_group_rows) {
    const size_t n = std::min(options.row_group_rows, events.size() - start);
    auto rg =
        WriteRowGroup(events.subspan(start, n), static_cast<int>(md.row_groups.size()), opt, sink);
    if (!rg.ok()) return rg.status();
    md.row_groups.push_back(std::move(*rg));
    if (buf.size() >= (8u << 20)) {
      ANNAL_RETURN_IF_ERROR(WriteAll(fd.get(), buf, path));
      sink.out_offset += static_cast<int64_t>(buf.size());
      buf.clear();
    }
  }
  info.row_groups = md.row_groups.size();

  const std::string first = std::to_string(info.first_lsn.value());
  const std::string last = std::to_string(info.last_lsn.value());
  const std::string epoch = std::to_string(info.max_epoch.value());
  md.key_value_metadata = {{kKeyFormatVersion, kFormatVersion},
                           {kKeyFirstLsn, first},
                           {kKeyLastLsn, last},
                           {kKeyMaxEpoch, epoch},
                           {kKeyFooterCrc, std::string_view("00000000")}};
  std::string footer;
  EncodeFileMetaData(md, &footer);
  // The CRC value follows its key, a field header byte and a one-byte length.
  const size_t at = footer.rfind(kKeyFooterCrc) + kKeyFooterCrc.size() + 2;
  ANNAL_CHECK(footer.compare(at, 8, "00000000") == 0);
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", crc32c::Value(footer));
  footer.replace(at, 8, hex, 8);

  buf.append(footer);
  AppendU32(buf, static_cast<uint32_t>(footer.size()));
  buf.append(kMagic);
  ANNAL_RETURN_IF_ERROR(WriteAll(fd.get(), buf, path));
  info.bytes = static_cast<uint64_t>(sink.out_offset) + buf.size();
  if (::fsync(fd.get()) != 0) return ErrnoError("fsync " + path.string(), errno);
  if (::close(fd.release()) != 0) return ErrnoError("close " + path.string(), errno);
  return info;
}

}  // namespace annal::storage
