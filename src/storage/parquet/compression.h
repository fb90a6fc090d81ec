// Page compression codecs: UNCOMPRESSED, SNAPPY and ZSTD (parquet.thrift CompressionCodec).
// Other codecs are rejected with an error naming them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/status.h"

namespace annal::storage::parquet {

// Largest page (uncompressed) the writer produces and the reader accepts: bounds what a hostile
// page header can make the reader allocate.
inline constexpr size_t kMaxPageBytes = 256u << 20;

// Replaces *out with `in` compressed by `codec` (a parquet Codec value).
Status CompressPage(int32_t codec, int zstd_level, const uint8_t* in, size_t n, std::string* out);

// Decompresses exactly `out_size` bytes into `out`; anything else is Corruption.
Status DecompressPage(int32_t codec, const uint8_t* in, size_t n, uint8_t* out, size_t out_size);

}  // namespace annal::storage::parquet
