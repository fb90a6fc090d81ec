// Parquet value encodings: PLAIN (INT32/INT64 little-endian, BYTE_ARRAY u32 length + bytes) and
// the RLE/bit-packed hybrid used for definition levels and dictionary indices (bit widths 0..32).
// See docs/format/parquet.md.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace annal::storage::parquet {

// Number of bits needed for values 0..max_value (0 for max_value 0).
int BitWidth(uint32_t max_value);

inline void AppendU32(std::string& out, uint32_t v) {
  char b[4];
  std::memcpy(b, &v, 4);  // little-endian hosts only (x86-64, aarch64)
  out.append(b, 4);
}
inline void AppendPlainInt64(std::string& out, int64_t v) {
  char b[8];
  std::memcpy(b, &v, 8);
  out.append(b, 8);
}
inline void AppendPlainByteArray(std::string& out, std::string_view v) {
  AppendU32(out, static_cast<uint32_t>(v.size()));
  out.append(v);
}
inline uint32_t LoadU32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline int64_t LoadI64(const uint8_t* p) {
  int64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// Encodes unsigned values of at most `bit_width` bits as an RLE/bit-packed hybrid (no length
// prefix). Runs of ≥ 8 equal values become RLE runs; the rest is bit-packed in groups of 8.
class RleEncoder {
 public:
  explicit RleEncoder(int bit_width) : width_(bit_width) {}

  void Put(uint32_t v);
  // Appends everything put so far to `out` and resets the encoder.
  void Flush(std::string& out);

 private:
  void EndRun();  // moves the pending run into the literal buffer or an RLE run
  void FlushLiterals(bool final);
  void EmitRle(uint32_t value, uint64_t count);

  int width_;
  std::string out_;
  std::vector<uint32_t> literals_;  // pending bit-packed values
  uint32_t run_value_ = 0;
  uint64_t run_count_ = 0;
};

// Decodes an RLE/bit-packed hybrid stream. Never reads outside [data, data+size); a truncated
// last bit-packed run yields only the values fully present.
class RleDecoder {
 public:
  RleDecoder() = default;
  RleDecoder(const uint8_t* data, size_t size, int bit_width)
      : p_(data), end_(data + size), width_(bit_width) {}

  // Decodes exactly n values into out, or fails with Corruption if the stream has fewer.
  Status Get(uint32_t* out, size_t n);

 private:
  Status NextRun();

  const uint8_t* p_ = nullptr;
  const uint8_t* end_ = nullptr;
  int width_ = 0;
  // Current run: RLE (repeat `value_` `left_` times) or literal (`left_` values at bit offset).
  bool literal_ = false;
  uint64_t left_ = 0;
  uint32_t value_ = 0;
  const uint8_t* lit_ = nullptr;
  uint64_t lit_bit_ = 0;
};

}  // namespace annal::storage::parquet
