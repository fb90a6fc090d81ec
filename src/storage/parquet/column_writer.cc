#include "storage/parquet/column_writer.h"

#include <algorithm>
#include <unordered_map>
#include <vector>

#include "storage/parquet/compression.h"
#include "storage/parquet/encoding.h"
#include "storage/parquet/page_crc.h"

namespace annal::storage::parquet {

namespace {

size_t PlainSize(int64_t) { return 8; }
size_t PlainSize(std::string_view v) { return 4 + v.size(); }
void AppendPlain(std::string& out, int64_t v) { AppendPlainInt64(out, v); }
void AppendPlain(std::string& out, std::string_view v) { AppendPlainByteArray(out, v); }

struct ChunkTotals {
  int64_t uncompressed = 0;
  int64_t compressed = 0;
};

// Compresses `body`, prefixes the page header (with its CRC) and appends both to the sink.
Status EmitPage(PageHeader header, const std::string& body, const ColumnWriteOptions& options,
                ChunkSink& sink, ChunkTotals& totals) {
  if (body.size() > kMaxPageBytes)
    return InvalidArgument("parquet page of " + std::to_string(body.size()) +
                           " bytes exceeds the 256 MiB limit");
  thread_local std::string compressed;
  ANNAL_RETURN_IF_ERROR(CompressPage(options.codec, options.zstd_level,
                                     reinterpret_cast<const uint8_t*>(body.data()), body.size(),
                                     &compressed));
  if (compressed.size() > kMaxPageBytes) return Internal("compressed page too large");
  header.uncompressed_page_size = static_cast<int32_t>(body.size());
  header.compressed_page_size = static_cast<int32_t>(compressed.size());
  header.crc = static_cast<int32_t>(
      Crc32Ieee(reinterpret_cast<const uint8_t*>(compressed.data()), compressed.size()));
  const size_t before = sink.out->size();
  EncodePageHeader(header, sink.out);
  const auto header_size = static_cast<int64_t>(sink.out->size() - before);
  sink.out->append(compressed);
  totals.uncompressed += header_size + static_cast<int64_t>(body.size());
  totals.compressed += header_size + static_cast<int64_t>(compressed.size());
  return Status::Ok();
}

template <typename T>
Result<ColumnChunk> WriteColumn(const ColumnSpec& spec, std::span<const T> values,
                                std::span<const uint8_t> defined, const ColumnWriteOptions& opt,
                                ChunkSink& sink) {
  const size_t rows = values.size();
  ANNAL_CHECK(rows > 0);
  ANNAL_CHECK(defined.empty() || defined.size() == rows);
  ANNAL_CHECK(spec.optional || defined.empty());
  auto is_defined = [&](size_t i) { return defined.empty() || defined[i] != 0; };

  int64_t nulls = 0;
  size_t plain_total = 0;
  for (size_t i = 0; i < rows; ++i) {
    if (is_defined(i))
      plain_total += PlainSize(values[i]);
    else
      ++nulls;
  }

  // Dictionary: distinct values in first-seen order and one index per defined value. Given up as
  // soon as it grows past the limits.
  std::vector<T> dict;
  std::vector<uint32_t> indices;
  bool use_dict = false;
  int width = 0;
  if (spec.try_dictionary && nulls < static_cast<int64_t>(rows)) {
    std::unordered_map<T, uint32_t> map;
    indices.reserve(rows - static_cast<size_t>(nulls));
    size_t dict_bytes = 0;
    bool fits = true;
    bool have_last = false;
    T last{};
    uint32_t last_index = 0;
    for (size_t i = 0; i < rows && fits; ++i) {
      if (!is_defined(i)) continue;
      const T& v = values[i];
      if (!have_last || !(v == last)) {
        auto [it, inserted] = map.try_emplace(v, static_cast<uint32_t>(dict.size()));
        if (inserted) {
          dict.push_back(v);
          dict_bytes += PlainSize(v);
          fits =
              dict.size() <= opt.max_dictionary_entries && dict_bytes <= opt.max_dictionary_bytes;
        }
        last = v;
        last_index = it->second;
        have_last = true;
      }
      indices.push_back(last_index);
    }
    if (fits) {
      width = BitWidth(static_cast<uint32_t>(dict.size() - 1));
      const size_t estimate =
          dict_bytes + (indices.size() * static_cast<size_t>(width) + 7) / 8 + 64;
      use_dict = estimate < plain_total;
    }
  }

  ColumnChunk cc;
  ColumnMetaData& md = cc.meta_data.emplace();
  md.type = static_cast<int32_t>(spec.type);
  md.path = {spec.name};
  md.codec = opt.codec;
  md.num_values = static_cast<int64_t>(rows);
  ChunkTotals totals;
  thread_local std::string body;

  if (use_dict) {
    md.dictionary_page_offset = sink.position();
    body.clear();
    for (const T& v : dict) AppendPlain(body, v);
    PageHeader h;
    h.type = static_cast<int32_t>(PageType::kDictionaryPage);
    h.dictionary_page = DictionaryPageHeader{
        static_cast<int32_t>(dict.size()), static_cast<int32_t>(Encoding::kPlain), {}};
    ANNAL_RETURN_IF_ERROR(EmitPage(h, body, opt, sink, totals));
  }
  md.data_page_offset = sink.position();

  size_t row = 0, value_index = 0;
  while (row < rows) {
    // This page: rows [row, end) holding ~page_bytes of PLAIN values.
    size_t end = row, bytes = 0;
    while (end < rows && (bytes < opt.page_bytes || end == row)) {
      if (is_defined(end)) bytes += PlainSize(values[end]);
      ++end;
    }
    body.clear();
    if (spec.optional) {
      RleEncoder levels(1);
      for (size_t i = row; i < end; ++i) levels.Put(is_defined(i) ? 1 : 0);
      thread_local std::string level_bytes;
      level_bytes.clear();
      levels.Flush(level_bytes);
      AppendU32(body, static_cast<uint32_t>(level_bytes.size()));
      body.append(level_bytes);
    }
    if (use_dict) {
      body.push_back(static_cast<char>(width));
      RleEncoder enc(width);
      for (size_t i = row; i < end; ++i)
        if (is_defined(i)) enc.Put(indices[value_index++]);
      enc.Flush(body);
    } else {
      for (size_t i = row; i < end; ++i)
        if (is_defined(i)) AppendPlain(body, values[i]);
    }
    PageHeader h;
    h.type = static_cast<int32_t>(PageType::kDataPage);
    h.data_page =
        DataPageHeader{static_cast<int32_t>(end - row),
                       static_cast<int32_t>(use_dict ? Encoding::kRleDictionary : Encoding::kPlain),
                       static_cast<int32_t>(Encoding::kRle), static_cast<int32_t>(Encoding::kRle)};
    ANNAL_RETURN_IF_ERROR(EmitPage(h, body, opt, sink, totals));
    row = end;
  }

  md.encodings.push_back(static_cast<int32_t>(Encoding::kPlain));
  if (spec.optional) md.encodings.push_back(static_cast<int32_t>(Encoding::kRle));
  if (use_dict) md.encodings.push_back(static_cast<int32_t>(Encoding::kRleDictionary));
  md.total_uncompressed_size = totals.uncompressed;
  md.total_compressed_size = totals.compressed;
  cc.file_offset = md.dictionary_page_offset.value_or(md.data_page_offset);

  Statistics& st = md.statistics.emplace();
  st.null_count = nulls;
  if constexpr (std::is_same_v<T, int64_t>) {
    if (spec.min_max_statistics && nulls < static_cast<int64_t>(rows)) {
      int64_t lo = INT64_MAX, hi = INT64_MIN;
      for (size_t i = 0; i < rows; ++i) {
        if (!is_defined(i)) continue;
        lo = std::min(lo, values[i]);
        hi = std::max(hi, values[i]);
      }
      std::string& min_bytes = sink.arena->emplace_back();
      std::string& max_bytes = sink.arena->emplace_back();
      AppendPlainInt64(min_bytes, lo);
      AppendPlainInt64(max_bytes, hi);
      st.min = st.min_value = std::string_view(min_bytes);
      st.max = st.max_value = std::string_view(max_bytes);
    }
  }
  return cc;
}

}  // namespace

Result<ColumnChunk> WriteInt64Column(const ColumnSpec& spec, std::span<const int64_t> values,
                                     const ColumnWriteOptions& options, ChunkSink& sink) {
  ANNAL_CHECK(spec.type == PhysicalType::kInt64);
  return WriteColumn<int64_t>(spec, values, {}, options, sink);
}

Result<ColumnChunk> WriteByteArrayColumn(const ColumnSpec& spec,
                                         std::span<const std::string_view> values,
                                         std::span<const uint8_t> defined,
                                         const ColumnWriteOptions& options, ChunkSink& sink) {
  ANNAL_CHECK(spec.type == PhysicalType::kByteArray);
  return WriteColumn<std::string_view>(spec, values, defined, options, sink);
}

}  // namespace annal::storage::parquet
