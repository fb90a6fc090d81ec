#include "storage/parquet/metadata.h"

#include "storage/parquet/thrift_compact.h"

namespace annal::storage::parquet {

using thrift::CompactReader;
using thrift::CompactWriter;
using thrift::Type;

std::string_view EncodingName(int32_t e) {
  switch (e) {
    case 0:
      return "PLAIN";
    case 2:
      return "PLAIN_DICTIONARY";
    case 3:
      return "RLE";
    case 4:
      return "BIT_PACKED";
    case 5:
      return "DELTA_BINARY_PACKED";
    case 6:
      return "DELTA_LENGTH_BYTE_ARRAY";
    case 7:
      return "DELTA_BYTE_ARRAY";
    case 8:
      return "RLE_DICTIONARY";
    case 9:
      return "BYTE_STREAM_SPLIT";
  }
  return "UNKNOWN";
}

std::string_view CodecName(int32_t c) {
  switch (c) {
    case 0:
      return "UNCOMPRESSED";
    case 1:
      return "SNAPPY";
    case 2:
      return "GZIP";
    case 3:
      return "LZO";
    case 4:
      return "BROTLI";
    case 5:
      return "LZ4";
    case 6:
      return "ZSTD";
    case 7:
      return "LZ4_RAW";
  }
  return "UNKNOWN";
}

// ---------------------------------------------------------------- encoding

namespace {

void EmptyStruct(CompactWriter& w, int16_t id) {
  w.FieldStructBegin(id);
  w.EndStruct();
}

void EncodeLogicalType(CompactWriter& w, const LogicalType& lt) {
  w.FieldStructBegin(10);
  if (lt.kind == LogicalType::Kind::kString) {
    EmptyStruct(w, 1);
  } else if (lt.kind == LogicalType::Kind::kTimestamp) {
    w.FieldStructBegin(8);
    w.FieldBool(1, lt.utc);
    w.FieldStructBegin(2);
    EmptyStruct(w, static_cast<int16_t>(lt.unit));
    w.EndStruct();
    w.EndStruct();
  }
  w.EndStruct();
}

void EncodeStatistics(CompactWriter& w, const Statistics& s) {
  if (s.max) w.FieldBinary(1, *s.max);
  if (s.min) w.FieldBinary(2, *s.min);
  if (s.null_count) w.FieldI64(3, *s.null_count);
  if (s.max_value) w.FieldBinary(5, *s.max_value);
  if (s.min_value) w.FieldBinary(6, *s.min_value);
}

void EncodeColumnMetaData(CompactWriter& w, const ColumnMetaData& c) {
  w.FieldI32(1, c.type);
  w.FieldListBegin(2, Type::kI32, static_cast<uint32_t>(c.encodings.size()));
  for (int32_t e : c.encodings) w.I32(e);
  w.FieldListBegin(3, Type::kBinary, static_cast<uint32_t>(c.path.size()));
  for (auto p : c.path) w.Binary(p);
  w.FieldI32(4, c.codec);
  w.FieldI64(5, c.num_values);
  w.FieldI64(6, c.total_uncompressed_size);
  w.FieldI64(7, c.total_compressed_size);
  w.FieldI64(9, c.data_page_offset);
  if (c.dictionary_page_offset) w.FieldI64(11, *c.dictionary_page_offset);
  if (c.statistics) {
    w.FieldStructBegin(12);
    EncodeStatistics(w, *c.statistics);
    w.EndStruct();
  }
}

}  // namespace

void EncodeFileMetaData(const FileMetaData& m, std::string* out) {
  CompactWriter w(out);
  w.BeginStruct();
  w.FieldI32(1, m.version);
  w.FieldListBegin(2, Type::kStruct, static_cast<uint32_t>(m.schema.size()));
  size_t leaves = 0;
  for (const auto& s : m.schema) {
    w.StructBegin();
    if (s.type) w.FieldI32(1, *s.type), ++leaves;
    if (s.repetition) w.FieldI32(3, *s.repetition);
    w.FieldBinary(4, s.name);
    if (s.num_children) w.FieldI32(5, *s.num_children);
    if (s.converted_type) w.FieldI32(6, *s.converted_type);
    if (s.logical.kind != LogicalType::Kind::kNone) EncodeLogicalType(w, s.logical);
    w.EndStruct();
  }
  w.FieldI64(3, m.num_rows);
  w.FieldListBegin(4, Type::kStruct, static_cast<uint32_t>(m.row_groups.size()));
  for (const auto& rg : m.row_groups) {
    w.StructBegin();
    w.FieldListBegin(1, Type::kStruct, static_cast<uint32_t>(rg.columns.size()));
    for (const auto& cc : rg.columns) {
      w.StructBegin();
      if (cc.file_path) w.FieldBinary(1, *cc.file_path);
      w.FieldI64(2, cc.file_offset);
      if (cc.meta_data) {
        w.FieldStructBegin(3);
        EncodeColumnMetaData(w, *cc.meta_data);
        w.EndStruct();
      }
      w.EndStruct();
    }
    w.FieldI64(2, rg.total_byte_size);
    w.FieldI64(3, rg.num_rows);
    if (rg.file_offset) w.FieldI64(5, *rg.file_offset);
    if (rg.total_compressed_size) w.FieldI64(6, *rg.total_compressed_size);
    if (rg.ordinal) w.FieldI16(7, static_cast<int16_t>(*rg.ordinal));
    w.EndStruct();
  }
  if (!m.key_value_metadata.empty()) {
    w.FieldListBegin(5, Type::kStruct, static_cast<uint32_t>(m.key_value_metadata.size()));
    for (const auto& kv : m.key_value_metadata) {
      w.StructBegin();
      w.FieldBinary(1, kv.key);
      if (kv.value) w.FieldBinary(2, *kv.value);
      w.EndStruct();
    }
  }
  if (m.created_by) w.FieldBinary(6, *m.created_by);
  if (m.type_defined_column_orders) {
    w.FieldListBegin(7, Type::kStruct, static_cast<uint32_t>(leaves));
    for (size_t i = 0; i < leaves; ++i) {
      w.StructBegin();
      EmptyStruct(w, 1);  // TYPE_ORDER
      w.EndStruct();
    }
  }
  w.EndStruct();
}

void EncodePageHeader(const PageHeader& h, std::string* out) {
  CompactWriter w(out);
  w.BeginStruct();
  w.FieldI32(1, h.type);
  w.FieldI32(2, h.uncompressed_page_size);
  w.FieldI32(3, h.compressed_page_size);
  if (h.crc) w.FieldI32(4, *h.crc);
  if (h.data_page) {
    w.FieldStructBegin(5);
    w.FieldI32(1, h.data_page->num_values);
    w.FieldI32(2, h.data_page->encoding);
    w.FieldI32(3, h.data_page->definition_level_encoding);
    w.FieldI32(4, h.data_page->repetition_level_encoding);
    w.EndStruct();
  }
  if (h.dictionary_page) {
    w.FieldStructBegin(7);
    w.FieldI32(1, h.dictionary_page->num_values);
    w.FieldI32(2, h.dictionary_page->encoding);
    if (h.dictionary_page->is_sorted) w.FieldBool(3, *h.dictionary_page->is_sorted);
    w.EndStruct();
  }
  if (h.data_page_v2) {
    const auto& v = *h.data_page_v2;
    w.FieldStructBegin(8);
    w.FieldI32(1, v.num_values);
    w.FieldI32(2, v.num_nulls);
    w.FieldI32(3, v.num_rows);
    w.FieldI32(4, v.encoding);
    w.FieldI32(5, v.definition_levels_byte_length);
    w.FieldI32(6, v.repetition_levels_byte_length);
    w.FieldBool(7, v.is_compressed);
    w.EndStruct();
  }
  w.EndStruct();
}

}  // namespace annal::storage::parquet
