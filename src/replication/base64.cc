#include "replication/base64.h"

#include <array>
#include <cstdint>

namespace annal::replication::base64 {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr int8_t kInvalid = -1;

constexpr std::array<int8_t, 256> MakeReverse() {
  std::array<int8_t, 256> r{};
  for (auto& x : r) x = kInvalid;
  for (int i = 0; i < 64; ++i) r[static_cast<uint8_t>(kAlphabet[i])] = static_cast<int8_t>(i);
  return r;
}
constexpr std::array<int8_t, 256> kReverse = MakeReverse();

}  // namespace

std::string Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16 | static_cast<uint8_t>(bytes[i + 1]) << 8 |
                 static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  size_t rest = bytes.size() - i;
  if (rest == 1) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (rest == 2) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16 | static_cast<uint8_t>(bytes[i + 1]) << 8;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::optional<std::string> Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    // Padding is legal only in the last quantum, as "xx==" or "xxx=".
    size_t pad = 0;
    if (last && text[i + 3] == '=') pad = text[i + 2] == '=' ? 2 : 1;
    int8_t d[4] = {0, 0, 0, 0};
    for (size_t k = 0; k < 4 - pad; ++k) {
      d[k] = kReverse[static_cast<uint8_t>(text[i + k])];
      if (d[k] == kInvalid) return std::nullopt;
    }
    uint32_t v = static_cast<uint32_t>(d[0]) << 18 | static_cast<uint32_t>(d[1]) << 12 |
                 static_cast<uint32_t>(d[2]) << 6 | static_cast<uint32_t>(d[3]);
    out += static_cast<char>(v >> 16);
    if (pad == 2) {
      if (v & 0xFFFFu) return std::nullopt;  // non-zero unused bits: not canonical
    } else {
      out += static_cast<char>((v >> 8) & 0xFF);
      if (pad == 1) {
        if (v & 0xFFu) return std::nullopt;
      } else {
        out += static_cast<char>(v & 0xFF);
      }
    }
  }
  return out;
}

}  // namespace annal::replication::base64
