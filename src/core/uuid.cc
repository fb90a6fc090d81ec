#include "core/uuid.h"

#include <chrono>
#include <mutex>
#include <random>

namespace annal {
namespace {

// Hex digit values, 0xFF for every other byte.
constexpr std::array<uint8_t, 256> kHexValue = [] {
  std::array<uint8_t, 256> t{};
  t.fill(0xFF);
  for (int c = '0'; c <= '9'; ++c) t[c] = static_cast<uint8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) t[c] = static_cast<uint8_t>(c - 'a' + 10);
  for (int c = 'A'; c <= 'F'; ++c) t[c] = static_cast<uint8_t>(c - 'A' + 10);
  return t;
}();

// Offsets of the 16 hex-digit pairs in the hyphenated form.
constexpr std::array<uint8_t, 16> kHyphenatedPairs = {0,  2,  4,  6,  9,  11, 14, 16,
                                                      19, 21, 24, 26, 28, 30, 32, 34};

}  // namespace

std::optional<Uuid> Uuid::Parse(std::string_view text) {
  const bool hyphenated = text.size() == 36;
  if (hyphenated) {
    if (text[8] != '-' || text[13] != '-' || text[18] != '-' || text[23] != '-') return std::nullopt;
  } else if (text.size() != 32) {
    return std::nullopt;
  }
  Uuid u;
  uint8_t bad = 0;  // any invalid digit sets the table's high bits
  for (size_t i = 0; i < 16; ++i) {
    const size_t at = hyphenated ? kHyphenatedPairs[i] : 2 * i;
    const uint8_t hi = kHexValue[static_cast<uint8_t>(text[at])];
    const uint8_t lo = kHexValue[static_cast<uint8_t>(text[at + 1])];
    bad |= hi | lo;
    u.bytes[i] = static_cast<uint8_t>(hi << 4 | (lo & 0x0F));
  }
  if (bad & 0xF0) return std::nullopt;
  return u;
}

Uuid Uuid::NewV7() {
  static std::mutex mu;
  static std::mt19937_64 rng{std::random_device{}()};
  static uint64_t last_ms = 0;
  static uint16_t counter = 0;

  uint64_t ms = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
  uint64_t rand_b;
  uint16_t rand_a;
  {
    std::lock_guard lock(mu);
    if (ms <= last_ms) {
      ms = last_ms;
      if (++counter > 0x0FFF) {  // counter exhausted: borrow the next millisecond
        ++ms;
        counter = static_cast<uint16_t>(rng() & 0x01FF);
      }
    } else {
      counter = static_cast<uint16_t>(rng() & 0x01FF);  // leave headroom for increments
    }
    last_ms = ms;
    rand_a = counter;
    rand_b = rng();
  }
  Uuid u;
  for (int i = 0; i < 6; ++i) u.bytes[i] = static_cast<uint8_t>(ms >> (40 - 8 * i));
  u.bytes[6] = static_cast<uint8_t>(0x70 | ((rand_a >> 8) & 0x0F));
  u.bytes[7] = static_cast<uint8_t>(rand_a & 0xFF);
  for (int i = 0; i < 8; ++i) u.bytes[8 + i] = static_cast<uint8_t>(rand_b >> (56 - 8 * i));
  u.bytes[8] = static_cast<uint8_t>(0x80 | (u.bytes[8] & 0x3F));  // RFC 4122 variant
  return u;
}

bool Uuid::is_nil() const {
  for (uint8_t b : bytes)
    if (b) return false;
  return true;
}

void Uuid::AppendTo(std::string& out) const {
  static constexpr char kHex[] = "0123456789abcdef";
  char text[36];
  char* p = text;
  for (size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) *p++ = '-';
    *p++ = kHex[bytes[i] >> 4];
    *p++ = kHex[bytes[i] & 0xF];
  }
  out.append(text, sizeof text);  // one append: per-character push_back showed in read profiles
}

std::string Uuid::ToString() const {
  std::string s;
  s.reserve(36);
  AppendTo(s);
  return s;
}

}  // namespace annal
