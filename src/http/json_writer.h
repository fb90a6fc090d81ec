// JsonWriter: a small, fast builder of compact JSON text (no whitespace).
//
// Strings are escaped per RFC 8259: '"', '\\' and every control character below 0x20 are
// escaped (\n, \t, ... or \u00XX); valid UTF-8 passes through unchanged; an invalid UTF-8
// sequence is replaced by U+FFFD so the output is always valid JSON, whatever bytes came in
// (e.g. an entity id URL-decoded from a path). Raw() splices JSON text that is already valid
// (stored payload / metadata); it is not checked.
//
// The writer tracks commas itself: call Key() before each object member's value. Misuse
// (a value without a key inside an object, unbalanced End*) is a bug and is caught by asserts
// in debug builds only. Not thread-safe; one writer per response.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace annal { struct Uuid; }

namespace annal::http {

class JsonWriter {
 public:
  JsonWriter() { out_.reserve(256); }

  void BeginObject() { BeginContainer('{'); }
  void EndObject() { EndContainer('}'); }
  void BeginArray() { BeginContainer('['); }
  void EndArray() { EndContainer(']'); }

  // An object member's key; the next call writes its value.
  void Key(std::string_view key);

  void String(std::string_view s);
  void Int(int64_t v);
  void Uint(uint64_t v);
  void Double(double v);  // shortest round-trip form; NaN and infinities become null
  void Bool(bool v);
  void Null();
  void Uuid(const annal::Uuid& id);  // as a string, canonical lowercase form
  void Timestamp(int64_t micros);    // as an RFC 3339 string (AppendRfc3339)
  // Splices `json`, which must be one complete, valid JSON value.
  void Raw(std::string_view json);
  // A value that `write(std::string& out)` appends itself: exactly one complete, valid JSON
  // value. For hot paths that write many values of a fixed shape (WriteEventJson).
  template <typename F>
  void Value(F&& write) {
    BeforeValue();
    write(out_);
  }

  // Key(k) followed by the value: bool, any integer, floating point, or anything that converts
  // to std::string_view (written as a string).
  template <typename T>
  void Field(std::string_view k, const T& v) {
    Key(k);
    if constexpr (std::is_same_v<T, bool>) {
      Bool(v);
    } else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
      Int(v);
    } else if constexpr (std::is_integral_v<T>) {
      Uint(v);
    } else if constexpr (std::is_floating_point_v<T>) {
      Double(v);
    } else {
      String(std::string_view(v));
    }
  }

  void Reserve(size_t bytes) { out_.reserve(bytes); }
  const std::string& str() const { return out_; }
  std::string Take() { return std::move(out_); }

  // Appends `s` to `out` as a quoted, escaped JSON string.
  static void AppendEscaped(std::string& out, std::string_view s);
  // Appends `v` to `out` in decimal.
  static void AppendUint(std::string& out, uint64_t v);

 private:
  void BeforeValue();
  void BeginContainer(char open);
  void EndContainer(char close);

  std::string out_;
  // One entry per open container: true once it holds an element (a comma is due).
  std::vector<bool> has_elements_;
  bool after_key_ = false;
};

}  // namespace annal::http
