// Parquet metadata structures (parquet.thrift), only the fields Annal writes or reads, with
// compact-protocol encoders and decoders. Decoders skip unknown fields, reject known fields of
// the wrong wire type and missing required fields (Corruption). Decoded strings are views into
// the decoded buffer: it must outlive the structs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace annal::storage::parquet {

// Enum values are the parquet.thrift numbers.
enum class PhysicalType : int32_t {
  kBoolean = 0,
  kInt32 = 1,
  kInt64 = 2,
  kInt96 = 3,
  kFloat = 4,
  kDouble = 5,
  kByteArray = 6,
  kFixedLenByteArray = 7,
};
enum class Repetition : int32_t { kRequired = 0, kOptional = 1, kRepeated = 2 };
enum class ConvertedType : int32_t {
  kUtf8 = 0,
  kTimestampMillis = 9,
  kTimestampMicros = 10,
  kInt64 = 18,
  kJson = 19,
};
enum class Encoding : int32_t {
  kPlain = 0,
  kPlainDictionary = 2,
  kRle = 3,
  kBitPacked = 4,
  kDeltaBinaryPacked = 5,
  kDeltaLengthByteArray = 6,
  kDeltaByteArray = 7,
  kRleDictionary = 8,
  kByteStreamSplit = 9,
};
enum class Codec : int32_t {
  kUncompressed = 0,
  kSnappy = 1,
  kGzip = 2,
  kLzo = 3,
  kBrotli = 4,
  kLz4 = 5,
  kZstd = 6,
  kLz4Raw = 7,
};
enum class PageType : int32_t {
  kDataPage = 0,
  kIndexPage = 1,
  kDictionaryPage = 2,
  kDataPageV2 = 3
};
enum class TimeUnit : int8_t { kMillis = 1, kMicros = 2, kNanos = 3 };

std::string_view EncodingName(int32_t e);
std::string_view CodecName(int32_t c);

// LogicalType union: only STRING and TIMESTAMP are understood; anything else is kOther.
struct LogicalType {
  enum class Kind : uint8_t { kNone, kString, kTimestamp, kOther } kind = Kind::kNone;
  bool utc = false;
  TimeUnit unit = TimeUnit::kMicros;
};

struct SchemaElement {
  std::optional<int32_t> type;        // PhysicalType; absent for groups
  std::optional<int32_t> repetition;  // Repetition
  std::string_view name;
  std::optional<int32_t> num_children;
  std::optional<int32_t> converted_type;
  LogicalType logical;
};

struct Statistics {
  std::optional<std::string_view> max, min;  // deprecated fields 1, 2
  std::optional<int64_t> null_count;
  std::optional<std::string_view> max_value, min_value;
};

struct ColumnMetaData {
  int32_t type = 0;
  std::vector<int32_t> encodings;
  std::vector<std::string_view> path;
  int32_t codec = 0;
  int64_t num_values = 0;
  int64_t total_uncompressed_size = 0;
  int64_t total_compressed_size = 0;
  int64_t data_page_offset = 0;
  std::optional<int64_t> dictionary_page_offset;
  std::optional<Statistics> statistics;
};

struct ColumnChunk {
  std::optional<std::string_view> file_path;  // external chunks: rejected by the reader
  int64_t file_offset = 0;
  std::optional<ColumnMetaData> meta_data;
};

struct RowGroup {
  std::vector<ColumnChunk> columns;
  int64_t total_byte_size = 0;
  int64_t num_rows = 0;
  std::optional<int64_t> file_offset;
  std::optional<int64_t> total_compressed_size;
  std::optional<int32_t> ordinal;
};

struct KeyValue {
  std::string_view key;
  std::optional<std::string_view> value;
};

struct FileMetaData {
  int32_t version = 0;
  std::vector<SchemaElement> schema;
  int64_t num_rows = 0;
  std::vector<RowGroup> row_groups;
  std::vector<KeyValue> key_value_metadata;
  std::optional<std::string_view> created_by;
  bool type_defined_column_orders = false;  // writer: emit TYPE_ORDER for every leaf
};

struct DataPageHeader {
  int32_t num_values = 0;
  int32_t encoding = 0;
  int32_t definition_level_encoding = 0;
  int32_t repetition_level_encoding = 0;
};

struct DataPageHeaderV2 {
  int32_t num_values = 0;
  int32_t num_nulls = 0;
  int32_t num_rows = 0;
  int32_t encoding = 0;
  int32_t definition_levels_byte_length = 0;
  int32_t repetition_levels_byte_length = 0;
  bool is_compressed = true;
};

struct DictionaryPageHeader {
  int32_t num_values = 0;
  int32_t encoding = 0;
  std::optional<bool> is_sorted;
};

struct PageHeader {
  int32_t type = 0;
  int32_t uncompressed_page_size = 0;
  int32_t compressed_page_size = 0;
  std::optional<int32_t> crc;
  std::optional<DataPageHeader> data_page;
  std::optional<DictionaryPageHeader> dictionary_page;
  std::optional<DataPageHeaderV2> data_page_v2;
};

void EncodeFileMetaData(const FileMetaData& m, std::string* out);
void EncodePageHeader(const PageHeader& h, std::string* out);

// Decode from [data, data+size). `consumed` (optional) receives the bytes used.
Status DecodeFileMetaData(const uint8_t* data, size_t size, FileMetaData* m);
Status DecodePageHeader(const uint8_t* data, size_t size, PageHeader* h, size_t* consumed);

}  // namespace annal::storage::parquet
