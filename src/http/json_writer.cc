#include "http/json_writer.h"

#include <cassert>
#include <charconv>
#include <cmath>
#include <cstdint>

#include "core/clock.h"
#include "core/uuid.h"
#include "http/swar.h"

namespace annal::http {
namespace {

// Length of the valid UTF-8 sequence starting at s[i] (2-4), or 0 if it is invalid
// (bad lead byte, truncated, bad continuation, overlong, surrogate, above U+10FFFF).
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  auto cont = [&](size_t k) { return i + k < s.size() && (b(k) & 0xC0) == 0x80; };
  unsigned char c = b(0);
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && b(1) < 0xA0) return 0;  // overlong
    if (c == 0xED && b(1) > 0x9F) return 0;  // UTF-16 surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && b(1) < 0x90) return 0;  // overlong
    if (c == 0xF4 && b(1) > 0x8F) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

constexpr char kHex[] = "0123456789abcdef";

// Whether any of the 8 bytes in `w` needs attention when escaping: a control character
// (< 0x20), '"', '\\' or a non-ASCII byte (>= 0x80).
bool WordNeedsEscaping(uint64_t w) {
  return swar::HasLess(w, 0x20) || swar::Has(w, '"') || swar::Has(w, '\\') ||
         swar::HasNonAscii(w);
}

}  // namespace

void JsonWriter::AppendEscaped(std::string& out, std::string_view s) {
  out.push_back('"');
  size_t run = 0;  // start of the pending run of bytes copied verbatim
  size_t i = 0;
  while (i < s.size()) {
    // Fast path: 8 plain ASCII bytes at a time (most keys, ids and names are all plain).
    while (i + 8 <= s.size() && !WordNeedsEscaping(swar::Load(s.data() + i))) i += 8;
    if (i >= s.size()) break;
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      size_t n = Utf8SequenceLength(s, i);
      if (n != 0) {
        i += n;
        continue;
      }
    }
    out.append(s.data() + run, i - run);
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      case '\b': out.append("\\b"); break;
      case '\f': out.append("\\f"); break;
      default:
        if (c < 0x20) {
          const char esc[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
          out.append(esc, sizeof esc);
        } else {
          out.append("\xEF\xBF\xBD");  // invalid UTF-8 byte -> U+FFFD
        }
    }
    ++i;
    run = i;
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

void JsonWriter::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!has_elements_.empty()) {
    if (has_elements_.back()) out_.push_back(',');
    has_elements_.back() = true;
  }
}

void JsonWriter::BeginContainer(char open) {
  BeforeValue();
  out_.push_back(open);
  has_elements_.push_back(false);
}

void JsonWriter::EndContainer(char close) {
  assert(!has_elements_.empty() && !after_key_);
  has_elements_.pop_back();
  out_.push_back(close);
}

void JsonWriter::Key(std::string_view key) {
  assert(!has_elements_.empty() && !after_key_);
  if (has_elements_.back()) out_.push_back(',');
  has_elements_.back() = true;
  AppendEscaped(out_, key);
  out_.push_back(':');
  after_key_ = true;
}

void JsonWriter::String(std::string_view s) {
  BeforeValue();
  AppendEscaped(out_, s);
}

void JsonWriter::Int(int64_t v) {
  BeforeValue();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_.append(buf, r.ptr);
}

void JsonWriter::Uint(uint64_t v) {
  BeforeValue();
  AppendUint(out_, v);
}

void JsonWriter::AppendUint(std::string& out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void JsonWriter::Double(double v) {
  BeforeValue();
  if (!std::isfinite(v)) {
    out_.append("null");
    return;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_.append(buf, r.ptr);
}

void JsonWriter::Bool(bool v) {
  BeforeValue();
  out_.append(v ? "true" : "false");
}

void JsonWriter::Null() {
  BeforeValue();
  out_.append("null");
}

void JsonWriter::Uuid(const annal::Uuid& id) {
  BeforeValue();
  out_.push_back('"');
  id.AppendTo(out_);
  out_.push_back('"');
}

void JsonWriter::Timestamp(int64_t micros) {
  BeforeValue();
  out_.push_back('"');
  AppendRfc3339(out_, micros);
  out_.push_back('"');
}

void JsonWriter::Raw(std::string_view json) {
  BeforeValue();
  out_.append(json);
}

}  // namespace annal::http
