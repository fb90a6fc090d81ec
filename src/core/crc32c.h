// CRC-32C (Castagnoli), the checksum of every WAL record. Uses the SSE4.2 instruction when the
// CPU has it (checked once at run time) and a table-driven fallback otherwise.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace annal::crc32c {

// Extends `crc` (the CRC of earlier bytes, 0 to start) over `data`.
uint32_t Extend(uint32_t crc, const void* data, size_t n);

inline uint32_t Value(const void* data, size_t n) { return Extend(0, data, n); }
inline uint32_t Value(std::string_view s) { return Extend(0, s.data(), s.size()); }

// Exposed for tests: the portable implementation.
uint32_t ExtendPortable(uint32_t crc, const void* data, size_t n);

}  // namespace annal::crc32c
