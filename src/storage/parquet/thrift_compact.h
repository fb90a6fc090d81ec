// Thrift compact protocol (https://github.com/apache/thrift/blob/master/doc/specs/
// thrift-compact-protocol.md), the subset Parquet metadata needs: structs, i16/i32/i64 zigzag
// varints, binary, lists, bools; the reader can also skip sets, maps and doubles.
//
// The reader is written for hostile input: every length is checked against the bytes left,
// nesting is limited, and it never allocates (strings are views into the input).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace annal::storage::thrift {

// Wire types of the compact protocol.
enum class Type : uint8_t {
  kStop = 0,
  kTrue = 1,  // bool field with value true; as a list element type: bool
  kFalse = 2,
  kByte = 3,
  kI16 = 4,
  kI32 = 5,
  kI64 = 6,
  kDouble = 7,
  kBinary = 8,
  kList = 9,
  kSet = 10,
  kMap = 11,
  kStruct = 12,
};

// Appends compact-protocol bytes to a string. Fields must be written in increasing id order
// within a struct (the delta encoding relies on it; ids up to 32767).
class CompactWriter {
 public:
  explicit CompactWriter(std::string* out) : out_(out) {}

  void BeginStruct();  // pushes the field-id context
  void EndStruct();    // writes STOP, pops

  void FieldI16(int16_t id, int16_t v);
  void FieldI32(int16_t id, int32_t v);
  void FieldI64(int16_t id, int64_t v);
  void FieldBool(int16_t id, bool v);
  void FieldBinary(int16_t id, std::string_view v);
  void FieldStructBegin(int16_t id);  // then fields, then EndStruct()
  void FieldListBegin(int16_t id, Type elem, uint32_t size);

  // List elements.
  void I32(int32_t v) { Varint(ZigZag(v)); }
  void I64(int64_t v) { Varint(ZigZag(v)); }
  void Binary(std::string_view v);
  void StructBegin() { BeginStruct(); }

  void Varint(uint64_t v);
  static uint64_t ZigZag(int64_t v) {
    return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
  }

  std::string* out() { return out_; }

 private:
  void FieldHeader(int16_t id, Type t);

  std::string* out_;
  int16_t last_id_ = 0;
  std::string id_stack_;  // saved last_id_ values (2 bytes each)
};

// Reads compact-protocol bytes from a buffer it does not own. Every method returns a non-OK
// Status (Corruption) on malformed or truncated input and leaves the reader unusable.
class CompactReader {
 public:
  static constexpr int kMaxDepth = 32;

  CompactReader(const uint8_t* data, size_t size) : p_(data), end_(data + size), begin_(data) {}

  // Struct field iteration: call BeginStruct, then ReadFieldHeader until it yields kStop;
  // for each field read the value (or Skip(type)); EndStruct after kStop.
  Status BeginStruct();
  void EndStruct();
  Status ReadFieldHeader(Type* type, int16_t* id);

  // `t` is the field's wire type and must be exactly the declared type (writers never narrow).
  Status ReadI16(Type t, int16_t* v);
  Status ReadI32(Type t, int32_t* v);
  Status ReadI64(Type t, int64_t* v);
  Status ReadBool(Type t, bool* v);  // a bool *field*: value is in the type nibble
  Status ReadBinary(Type t, std::string_view* v);
  // A list header; `size` is bounded by the bytes left (every element takes ≥ 1 byte).
  Status ReadListHeader(Type t, Type* elem, uint32_t* size);
  Status ReadStructBegin(Type t) { return t == Type::kStruct ? BeginStruct() : TypeError(); }

  // List elements.
  Status ReadElemI32(int32_t* v) { return ReadI32(Type::kI32, v); }
  Status ReadElemBinary(std::string_view* v) { return ReadBinary(Type::kBinary, v); }

  // Skips a value of wire type `t` (lists element by element, structs field by field).
  Status Skip(Type t);

  size_t position() const { return static_cast<size_t>(p_ - begin_); }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }

 private:
  Status ReadVarint(uint64_t* v);
  Status ReadZigZag(int64_t* v);
  Status SkipElem(Type elem);
  Status TypeError();
  Status Truncated();

  const uint8_t* p_;
  const uint8_t* end_;
  const uint8_t* begin_;
  int depth_ = 0;
  int16_t last_id_ = 0;
  int16_t id_stack_[kMaxDepth + 1] = {};
};

}  // namespace annal::storage::thrift
