// Files Annal does not write itself but must read (docs/format/parquet.md, "What the reader
// accepts"): data page v2, OPTIONAL columns, INT32 integers, MILLIS timestamps, no page CRCs, no
// annal.* keys. Built here with the metadata encoders, since DuckDB's v2 output uses DELTA
// encodings, which the reader refuses.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "storage/parquet/compression.h"
#include "storage/parquet/encoding.h"
#include "storage/parquet/event_file.h"
#include "storage/parquet/event_schema.h"
#include "storage/parquet/metadata.h"

namespace annal::storage::parquet {
namespace {

namespace fs = std::filesystem;

struct ForeignOptions {
  int32_t codec = static_cast<int32_t>(Codec::kZstd);
  bool int32_sequence = true;
  bool millis = true;
  int null_entity_at = -1;    // a null in a column that must not have one
  int swap_sequence_at = -1;  // sequence[i] <-> sequence[i+1]
};

// Column value of row i (1-based sequence 100 + i).
std::optional<std::string> StringValue(int c, int i, const ForeignOptions& o) {
  switch (c) {
    case kEventId: {
      char b[40];
      std::snprintf(b, sizeof b, "0190a5d0-ac96-774b-bcce-%012d", i);
      return std::string(b);
    }
    case kTenantId:
      return i % 2 ? "t1" : "t2";
    case kEventType:
      return "x.y";
    case kEntityId:
      if (i == o.null_entity_at) return std::nullopt;
      return "ent-" + std::to_string(i % 3);
    case kPayload:
      return "{\"i\":" + std::to_string(i) + "}";
    case kMetadata:
      return i % 4 == 0 ? std::nullopt : std::optional<std::string>("{\"m\":1}");
  }
  return std::nullopt;
}

int64_t IntValue(int c, int i, const ForeignOptions& o) {
  switch (c) {
    case kSequence: {
      int j = i;
      if (i == o.swap_sequence_at) j = i + 1;
      if (i == o.swap_sequence_at + 1 && o.swap_sequence_at >= 0) j = i - 1;
      return 100 + j;
    }
    case kTimestamp:
      return o.millis ? 1700000000000 + i : 1700000000000000 + i;
    case kVersion:
      return 1;
    case kEntityVersion:
      return i + 1;
  }
  return 0;
}

std::string BuildFile(int rows, const ForeignOptions& o) {
  std::string file = "PAR1";
  FileMetaData md;
  md.version = 1;
  md.schema.resize(1 + kNumEventColumns);
  md.schema[0].name = "duckdb_schema";
  md.schema[0].num_children = kNumEventColumns;
  md.num_rows = rows;
  RowGroup& rg = md.row_groups.emplace_back();
  rg.num_rows = rows;
  // Write the columns in reverse schema order: the reader must go by the footer, not by position.
  for (int c = kNumEventColumns - 1; c >= 0; --c) {
    SchemaElement& se = md.schema[1 + c];
    se.name = kEventColumnNames[c];
    se.repetition = static_cast<int32_t>(Repetition::kOptional);
    const bool is_int = IsIntColumn(c);
    const bool int32 = c == kSequence && o.int32_sequence;
    se.type = static_cast<int32_t>(!is_int ? PhysicalType::kByteArray
                                   : int32 ? PhysicalType::kInt32
                                           : PhysicalType::kInt64);
    if (c == kTimestamp)
      se.logical = LogicalType{LogicalType::Kind::kTimestamp, true,
                               o.millis ? TimeUnit::kMillis : TimeUnit::kMicros};
    RleEncoder levels(1);
    std::string values, level_bytes;
    int nulls = 0;
    for (int i = 0; i < rows; ++i) {
      if (is_int) {
        levels.Put(1);
        const int64_t v = IntValue(c, i, o);
        if (int32)
          AppendU32(values, static_cast<uint32_t>(v));
        else
          AppendPlainInt64(values, v);
        continue;
      }
      auto v = StringValue(c, i, o);
      levels.Put(v ? 1 : 0);
      nulls += !v;
      if (v) AppendPlainByteArray(values, *v);
    }
    levels.Flush(level_bytes);
    std::string compressed;
    EXPECT_TRUE(CompressPage(o.codec, 1, reinterpret_cast<const uint8_t*>(values.data()),
                             values.size(), &compressed)
                    .ok());
    PageHeader h;
    h.type = static_cast<int32_t>(PageType::kDataPageV2);
    h.uncompressed_page_size = static_cast<int32_t>(level_bytes.size() + values.size());
    h.compressed_page_size = static_cast<int32_t>(level_bytes.size() + compressed.size());
    h.data_page_v2 = DataPageHeaderV2{rows,
                                      nulls,
                                      rows,
                                      static_cast<int32_t>(Encoding::kPlain),
                                      static_cast<int32_t>(level_bytes.size()),
                                      0,
                                      true};
    ColumnChunk cc;
    ColumnMetaData& m = cc.meta_data.emplace();
    m.type = *se.type;
    m.encodings = {0, 3};
    m.path = {kEventColumnNames[c]};
    m.codec = o.codec;
    m.num_values = rows;
    m.data_page_offset = static_cast<int64_t>(file.size());
    cc.file_offset = m.data_page_offset;
    const size_t before = file.size();
    EncodePageHeader(h, &file);
    file += level_bytes;
    file += compressed;
    m.total_compressed_size = m.total_uncompressed_size =
        static_cast<int64_t>(file.size() - before);
    rg.columns.insert(rg.columns.begin(), std::move(cc));
  }
  std::string footer;
  EncodeFileMetaData(md, &footer);
  file += footer;
  AppendU32(file, static_cast<uint32_t>(footer.size()));
  file += "PAR1";
  return file;
}

class ForeignFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ =
        fs::temp_directory_path() / ("annal-foreign-" + std::to_string(::getpid()) + ".parquet");
  }
  void TearDown() override { fs::remove(path_); }

  Status Read(const std::string& bytes, std::vector<Event>* out, EventFileInfo* info = nullptr) {
    std::ofstream(path_, std::ios::binary | std::ios::trunc) << bytes;
    return ReadEventFile(
        path_,
        [out](Event&& e) {
          out->push_back(std::move(e));
          return Status::Ok();
        },
        info);
  }

  fs::path path_;
};

TEST_F(ForeignFileTest, DataPageV2OptionalColumnsInt32AndMillis) {
  for (int32_t codec : {0, 1, 6}) {
    ForeignOptions o;
    o.codec = codec;
    std::vector<Event> got;
    EventFileInfo info;
    Status st = Read(BuildFile(50, o), &got, &info);
    ASSERT_TRUE(st.ok()) << st.ToString();
    ASSERT_EQ(got.size(), 50u);
    EXPECT_EQ(info.rows, 50u);
    EXPECT_EQ(info.max_epoch, Epoch(1));
    for (int i = 0; i < 50; ++i) {
      const Event& e = got[static_cast<size_t>(i)];
      EXPECT_EQ(e.sequence, Lsn(100 + static_cast<uint64_t>(i)));
      EXPECT_EQ(e.id.ToString(), *StringValue(kEventId, i, o));
      EXPECT_EQ(e.entity_id, *StringValue(kEntityId, i, o));
      EXPECT_EQ(e.payload, *StringValue(kPayload, i, o));
      EXPECT_EQ(e.metadata, StringValue(kMetadata, i, o));
      EXPECT_EQ(e.timestamp, (1700000000000 + i) * 1000);  // millis → micros
      EXPECT_EQ(e.entity_version, EntityVersion(static_cast<uint64_t>(i) + 1));
      EXPECT_EQ(e.epoch, Epoch(1));
    }
  }
}

TEST_F(ForeignFileTest, NullOutsideMetadataIsCorruption) {
  ForeignOptions o;
  o.null_entity_at = 7;
  std::vector<Event> got;
  Status st = Read(BuildFile(20, o), &got);
  EXPECT_EQ(st.code(), StatusCode::kCorruption);
  EXPECT_NE(st.message().find("entity_id"), std::string::npos) << st.message();
}

TEST_F(ForeignFileTest, SequenceMustAscend) {
  ForeignOptions o;
  o.swap_sequence_at = 10;
  std::vector<Event> got;
  EXPECT_EQ(Read(BuildFile(20, o), &got).code(), StatusCode::kCorruption);
}

TEST_F(ForeignFileTest, UnsupportedCodecIsNamed) {
  // Re-encode the footer of a valid file with codec GZIP in every column chunk.
  std::string bytes = BuildFile(5, ForeignOptions{});
  std::vector<Event> got;
  FileMetaData md;
  const uint32_t len = LoadU32(reinterpret_cast<const uint8_t*>(bytes.data() + bytes.size() - 8));
  const size_t at = bytes.size() - 8 - len;
  std::string footer_bytes = bytes.substr(at, len);
  ASSERT_TRUE(
      DecodeFileMetaData(reinterpret_cast<const uint8_t*>(footer_bytes.data()), len, &md).ok());
  for (auto& cc : md.row_groups[0].columns)
    cc.meta_data->codec = static_cast<int32_t>(Codec::kGzip);
  std::string footer;
  EncodeFileMetaData(md, &footer);
  bytes = bytes.substr(0, at) + footer;
  AppendU32(bytes, static_cast<uint32_t>(footer.size()));
  bytes += "PAR1";
  Status st = Read(bytes, &got);
  EXPECT_EQ(st.code(), StatusCode::kCorruption);
  EXPECT_NE(st.message().find("unsupported compression codec GZIP"), std::string::npos)
      << st.message();
}

}  // namespace
}  // namespace annal::storage::parquet
