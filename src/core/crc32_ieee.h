// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, as zlib's crc32 and Rust's crc32fast).
// Used where a foreign format fixes this checksum: the AllSource replication `checksum`
// (docs/replication.md). Annal's own records use CRC-32C (core/crc32c.h). Table-driven;
// the inputs it sees are a few dozen bytes, so no SIMD path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace annal::crc32_ieee {

// Extends `crc` (the CRC of earlier bytes, 0 to start) over `data`, so
// Extend(Extend(0, a), b) == Value(a + b).
uint32_t Extend(uint32_t crc, const void* data, size_t n);

inline uint32_t Value(std::string_view s) { return Extend(0, s.data(), s.size()); }

}  // namespace annal::crc32_ieee
