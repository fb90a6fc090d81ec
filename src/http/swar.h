// Tests on 8 bytes at once ("SIMD within a register"), for the JSON scanners' fast paths.
// From "Bit Twiddling Hacks": determine if a word has a zero byte / a byte equal to n / a byte
// less than n.
#pragma once

#include <cstdint>
#include <cstring>

namespace annal::http::swar {

inline constexpr uint64_t kOnes = 0x0101010101010101ull;
inline constexpr uint64_t kHigh = 0x8080808080808080ull;

// The 8 bytes at p, in memory order (any alignment).
inline uint64_t Load(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

constexpr bool HasZero(uint64_t w) { return ((w - kOnes) & ~w & kHigh) != 0; }
constexpr bool Has(uint64_t w, uint8_t c) { return HasZero(w ^ (kOnes * c)); }
// REQUIRES: n <= 128.
constexpr bool HasLess(uint64_t w, uint8_t n) { return ((w - kOnes * n) & ~w & kHigh) != 0; }
constexpr bool HasNonAscii(uint64_t w) { return (w & kHigh) != 0; }

}  // namespace annal::http::swar
