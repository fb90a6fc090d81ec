#include "storage/parquet/metadata.h"

#include <gtest/gtest.h>

#include "storage/parquet/thrift_compact.h"

namespace annal::storage::parquet {
namespace {

const uint8_t* U8(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

TEST(Metadata, FileMetaDataRoundTrip) {
  FileMetaData m;
  m.version = 2;
  m.schema.resize(3);
  m.schema[0].name = "schema";
  m.schema[0].num_children = 2;
  m.schema[1] = {static_cast<int32_t>(PhysicalType::kInt64),
                 0,
                 "ts",
                 {},
                 10,
                 LogicalType{LogicalType::Kind::kTimestamp, true, TimeUnit::kMicros}};
  m.schema[2] = {static_cast<int32_t>(PhysicalType::kByteArray),
                 1,
                 "s",
                 {},
                 0,
                 LogicalType{LogicalType::Kind::kString, false, TimeUnit::kMicros}};
  m.num_rows = 7;
  RowGroup& rg = m.row_groups.emplace_back();
  rg.num_rows = 7;
  rg.total_byte_size = 100;
  rg.ordinal = 0;
  ColumnChunk& cc = rg.columns.emplace_back();
  cc.file_offset = 4;
  ColumnMetaData& md = cc.meta_data.emplace();
  md.type = 2;
  md.encodings = {0, 8};
  md.path = {"ts"};
  md.codec = 6;
  md.num_values = 7;
  md.total_compressed_size = 50;
  md.total_uncompressed_size = 60;
  md.data_page_offset = 20;
  md.dictionary_page_offset = 4;
  md.statistics.emplace().null_count = 0;
  md.statistics->min_value = "12345678";
  m.key_value_metadata = {{"k", "v"}, {"novalue", std::nullopt}};
  m.created_by = "test";
  m.type_defined_column_orders = true;

  std::string buf;
  EncodeFileMetaData(m, &buf);
  FileMetaData d;
  ASSERT_TRUE(DecodeFileMetaData(U8(buf), buf.size(), &d).ok());
  EXPECT_EQ(d.version, 2);
  ASSERT_EQ(d.schema.size(), 3u);
  EXPECT_EQ(d.schema[1].name, "ts");
  EXPECT_EQ(d.schema[1].logical.kind, LogicalType::Kind::kTimestamp);
  EXPECT_TRUE(d.schema[1].logical.utc);
  EXPECT_EQ(d.schema[1].logical.unit, TimeUnit::kMicros);
  EXPECT_EQ(d.schema[2].logical.kind, LogicalType::Kind::kString);
  EXPECT_EQ(d.schema[2].repetition, 1);
  ASSERT_EQ(d.row_groups.size(), 1u);
  const auto& dm = *d.row_groups[0].columns[0].meta_data;
  EXPECT_EQ(dm.encodings, (std::vector<int32_t>{0, 8}));
  EXPECT_EQ(dm.path[0], "ts");
  EXPECT_EQ(dm.dictionary_page_offset, 4);
  EXPECT_EQ(dm.statistics->min_value, "12345678");
  EXPECT_EQ(d.key_value_metadata.size(), 2u);
  EXPECT_FALSE(d.key_value_metadata[1].value);
  EXPECT_EQ(d.created_by, "test");

  // Every truncation fails cleanly.
  for (size_t n = 0; n < buf.size(); ++n) {
    FileMetaData t;
    EXPECT_FALSE(DecodeFileMetaData(U8(buf), n, &t).ok()) << n;
  }
}

TEST(Metadata, PageHeaderRoundTripSkipsUnknownFields) {
  PageHeader h;
  h.type = static_cast<int32_t>(PageType::kDataPageV2);
  h.uncompressed_page_size = 100;
  h.compressed_page_size = 50;
  h.crc = -5;
  h.data_page_v2 = DataPageHeaderV2{10, 2, 10, 8, 3, 0, false};
  std::string buf;
  EncodePageHeader(h, &buf);
  // Append an unknown field (id 20, a struct holding a list) before the final STOP.
  buf.pop_back();
  buf += "\x0c\x28";          // long-form header: struct, id 20
  buf += "\x19\x25\x02\x04";  // field 1: list<i32>{1,2}
  buf += '\0';                // STOP (inner struct)
  buf += '\0';                // STOP (page header)
  PageHeader d;
  size_t used = 0;
  ASSERT_TRUE(DecodePageHeader(U8(buf), buf.size(), &d, &used).ok());
  EXPECT_EQ(used, buf.size());
  EXPECT_EQ(d.crc, -5);
  ASSERT_TRUE(d.data_page_v2);
  EXPECT_EQ(d.data_page_v2->num_nulls, 2);
  EXPECT_FALSE(d.data_page_v2->is_compressed);
  EXPECT_EQ(d.data_page_v2->definition_levels_byte_length, 3);

  // A required field missing: Corruption.
  std::string missing;
  thrift::CompactWriter m(&missing);
  m.BeginStruct();
  m.FieldI32(1, 0);
  m.FieldI32(3, 10);
  m.EndStruct();
  EXPECT_EQ(DecodePageHeader(U8(missing), missing.size(), &d, &used).code(),
            StatusCode::kCorruption);
}

}  // namespace
}  // namespace annal::storage::parquet
