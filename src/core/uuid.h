// 128-bit event ids: parsed from any RFC 4122 text form the client sends, generated as UUID v7
// (48-bit Unix millisecond timestamp + random bits) when the client sends none.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace annal {

struct Uuid {
  std::array<uint8_t, 16> bytes{};

  // Accepts the hyphenated 36-char form (any case) and the bare 32-hex-digit form.
  static std::optional<Uuid> Parse(std::string_view text);
  // A fresh UUID v7. Thread-safe. Monotonic within a process for ids made in the same
  // millisecond (RFC 9562 method 3: a counter in rand_a).
  static Uuid NewV7();

  bool is_nil() const;
  // Lowercase hyphenated: 01890a5d-ac96-774b-bcce-b302099a8057
  std::string ToString() const;
  void AppendTo(std::string& out) const;

  friend bool operator==(const Uuid&, const Uuid&) = default;
  friend auto operator<=>(const Uuid&, const Uuid&) = default;
};

struct UuidHash {
  size_t operator()(const Uuid& u) const noexcept {
    uint64_t a, b;
    std::memcpy(&a, u.bytes.data(), 8);
    std::memcpy(&b, u.bytes.data() + 8, 8);
    return static_cast<size_t>(a * 0x9E3779B97F4A7C15ULL ^ b);
  }
};

}  // namespace annal
