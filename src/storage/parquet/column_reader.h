// Reads the values of one column chunk of a flat schema (max repetition level 0, max
// definition level 0 or 1), page by page: dictionary page, data pages v1 and v2, PLAIN and
// dictionary encodings, UNCOMPRESSED/SNAPPY/ZSTD. Every structural rule is checked; a violation
// is Corruption. Memory: the chunk bytes, one decompressed data page and the dictionary page.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "storage/parquet/encoding.h"
#include "storage/parquet/metadata.h"

namespace annal::storage::parquet {

struct ColumnChunkSource {
  std::vector<uint8_t> bytes;  // the chunk: total_compressed_size bytes from its first page
  int32_t physical_type = 0;   // kInt32, kInt64 or kByteArray
  bool optional = false;       // max definition level 1
  int32_t codec = 0;
  int64_t num_values = 0;  // from ColumnMetaData; must equal the values in the pages
  bool ours = false;       // our own files: page CRCs required, level encodings exact
};

class ColumnChunkReader {
 public:
  explicit ColumnChunkReader(ColumnChunkSource source);

  // Reads exactly n values (INT32 widened). defined[i] = 0 marks a null (out[i] unspecified).
  Status ReadInt64(size_t n, int64_t* out, uint8_t* defined);

  // Reads between 1 and max values, all from the current page; the views stay valid until the
  // next call. Sets *count.
  Status ReadByteArray(size_t max, std::string_view* out, uint8_t* defined, size_t* count);

  // After the last value: the chunk must hold nothing more.
  Status Finish();

  int64_t values_read() const { return values_read_; }
  // Sum of uncompressed_page_size + header sizes over the pages seen (ColumnMetaData check).
  int64_t uncompressed_bytes() const { return uncompressed_bytes_; }

 private:
  Status LoadNextDataPage();  // sets up the next page with values, reading a dictionary first
  Status LoadDictionary(const PageHeader& h, const uint8_t* data, size_t size);
  Status Decompress(const uint8_t* data, size_t size, size_t out_size, std::vector<uint8_t>* out);
  Status StartValues(int32_t encoding, const uint8_t* begin, const uint8_t* end);
  // Decodes the definition levels of the next k values of the page (k ≤ page_left_), returns
  // how many are defined.
  Status ReadLevels(size_t k, uint8_t* defined, size_t* num_defined);
  Status ReadIndices(size_t k);

  ColumnChunkSource src_;
  size_t pos_ = 0;
  int pages_ = 0;
  int64_t values_read_ = 0;
  int64_t uncompressed_bytes_ = 0;

  std::vector<uint8_t> dict_buf_;
  std::vector<int64_t> dict_ints_;
  std::vector<std::string_view> dict_strs_;
  bool have_dict_ = false;

  std::vector<uint8_t> page_buf_;
  int64_t page_left_ = 0;  // values (levels) left in the current page
  bool has_levels_ = false;
  RleDecoder levels_;
  bool dict_encoded_ = false;
  RleDecoder indices_;
  const uint8_t* vp_ = nullptr;  // PLAIN cursor
  const uint8_t* vend_ = nullptr;
  std::vector<uint32_t> scratch_;
};

}  // namespace annal::storage::parquet
