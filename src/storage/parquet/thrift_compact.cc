#include "storage/parquet/thrift_compact.h"

#include <limits>

namespace annal::storage::thrift {

// --- writer ---

void CompactWriter::Varint(uint64_t v) {
  while (v >= 0x80) {
    out_->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out_->push_back(static_cast<char>(v));
}

void CompactWriter::BeginStruct() {
  id_stack_.push_back(static_cast<char>(last_id_ & 0xff));
  id_stack_.push_back(static_cast<char>((last_id_ >> 8) & 0xff));
  last_id_ = 0;
}

void CompactWriter::EndStruct() {
  out_->push_back(0);  // STOP
  ANNAL_CHECK(id_stack_.size() >= 2);
  const auto hi = static_cast<uint8_t>(id_stack_.back());
  id_stack_.pop_back();
  const auto lo = static_cast<uint8_t>(id_stack_.back());
  id_stack_.pop_back();
  last_id_ = static_cast<int16_t>(lo | (hi << 8));
}

void CompactWriter::FieldHeader(int16_t id, Type t) {
  ANNAL_CHECK(id > last_id_);
  const int delta = id - last_id_;
  if (delta <= 15) {
    out_->push_back(static_cast<char>((delta << 4) | static_cast<uint8_t>(t)));
  } else {
    out_->push_back(static_cast<char>(t));
    Varint(ZigZag(id));
  }
  last_id_ = id;
}

void CompactWriter::FieldI16(int16_t id, int16_t v) {
  FieldHeader(id, Type::kI16);
  Varint(ZigZag(v));
}

void CompactWriter::FieldI32(int16_t id, int32_t v) {
  FieldHeader(id, Type::kI32);
  I32(v);
}

void CompactWriter::FieldI64(int16_t id, int64_t v) {
  FieldHeader(id, Type::kI64);
  I64(v);
}

void CompactWriter::FieldBool(int16_t id, bool v) {
  FieldHeader(id, v ? Type::kTrue : Type::kFalse);
}

void CompactWriter::FieldBinary(int16_t id, std::string_view v) {
  FieldHeader(id, Type::kBinary);
  Binary(v);
}

void CompactWriter::Binary(std::string_view v) {
  Varint(v.size());
  out_->append(v);
}

void CompactWriter::FieldStructBegin(int16_t id) {
  FieldHeader(id, Type::kStruct);
  BeginStruct();
}

void CompactWriter::FieldListBegin(int16_t id, Type elem, uint32_t size) {
  FieldHeader(id, Type::kList);
  if (size < 15) {
    out_->push_back(static_cast<char>((size << 4) | static_cast<uint8_t>(elem)));
  } else {
    out_->push_back(static_cast<char>(0xf0 | static_cast<uint8_t>(elem)));
    Varint(size);
  }
}

// --- reader ---

Status CompactReader::TypeError() { return Corruption("thrift: unexpected wire type"); }
Status CompactReader::Truncated() { return Corruption("thrift: truncated"); }

Status CompactReader::ReadVarint(uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (p_ == end_) return Truncated();
    const uint8_t b = *p_++;
    if (shift == 63 && (b & 0x7e) != 0) return Corruption("thrift: varint overflow");
    result |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      *v = result;
      return Status::Ok();
    }
  }
  return Corruption("thrift: varint too long");
}

Status CompactReader::BeginStruct() {
  if (depth_ >= kMaxDepth) return Corruption("thrift: nesting too deep");
  id_stack_[depth_++] = last_id_;
  last_id_ = 0;
  return Status::Ok();
}

void CompactReader::EndStruct() {
  if (depth_ > 0) last_id_ = id_stack_[--depth_];
}

Status CompactReader::ReadFieldHeader(Type* type, int16_t* id) {
  if (p_ == end_) return Truncated();
  const uint8_t b = *p_++;
  if (b == 0) {
    *type = Type::kStop;
    *id = 0;
    return Status::Ok();
  }
  const uint8_t t = b & 0x0f;
  if (t == 0 || t > static_cast<uint8_t>(Type::kStruct))
    return Corruption("thrift: bad field type");
  const int delta = b >> 4;
  int64_t field_id;
  if (delta != 0) {
    field_id = last_id_ + delta;
  } else {
    uint64_t z;
    ANNAL_RETURN_IF_ERROR(ReadVarint(&z));
    field_id = static_cast<int64_t>(z >> 1) ^ -static_cast<int64_t>(z & 1);
  }
  if (field_id <= 0 || field_id > std::numeric_limits<int16_t>::max())
    return Corruption("thrift: bad field id");
  *type = static_cast<Type>(t);
  *id = static_cast<int16_t>(field_id);
  last_id_ = *id;
  return Status::Ok();
}

Status CompactReader::ReadI64(Type t, int64_t* v) {
  if (t != Type::kI64) return TypeError();
  return ReadZigZag(v);
}

Status CompactReader::ReadZigZag(int64_t* v) {
  uint64_t z;
  ANNAL_RETURN_IF_ERROR(ReadVarint(&z));
  *v = static_cast<int64_t>(z >> 1) ^ -static_cast<int64_t>(z & 1);
  return Status::Ok();
}

Status CompactReader::ReadI32(Type t, int32_t* v) {
  if (t != Type::kI32) return TypeError();
  int64_t wide;
  ANNAL_RETURN_IF_ERROR(ReadZigZag(&wide));
  if (wide < std::numeric_limits<int32_t>::min() || wide > std::numeric_limits<int32_t>::max())
    return Corruption("thrift: i32 out of range");
  *v = static_cast<int32_t>(wide);
  return Status::Ok();
}

Status CompactReader::ReadI16(Type t, int16_t* v) {
  if (t != Type::kI16) return TypeError();
  int64_t wide;
  ANNAL_RETURN_IF_ERROR(ReadZigZag(&wide));
  if (wide < std::numeric_limits<int16_t>::min() || wide > std::numeric_limits<int16_t>::max())
    return Corruption("thrift: i16 out of range");
  *v = static_cast<int16_t>(wide);
  return Status::Ok();
}

Status CompactReader::ReadBool(Type t, bool* v) {
  if (t != Type::kTrue && t != Type::kFalse) return TypeError();
  *v = t == Type::kTrue;
  return Status::Ok();
}

Status CompactReader::ReadBinary(Type t, std::string_view* v) {
  if (t != Type::kBinary) return TypeError();
  uint64_t n;
  ANNAL_RETURN_IF_ERROR(ReadVarint(&n));
  if (n > remaining()) return Truncated();
  *v = std::string_view(reinterpret_cast<const char*>(p_), n);
  p_ += n;
  return Status::Ok();
}

Status CompactReader::ReadListHeader(Type t, Type* elem, uint32_t* size) {
  if (t != Type::kList && t != Type::kSet) return TypeError();
  if (p_ == end_) return Truncated();
  const uint8_t b = *p_++;
  const uint8_t et = b & 0x0f;
  if (et == 0 || et > static_cast<uint8_t>(Type::kStruct))
    return Corruption("thrift: bad element type");
  uint64_t n = b >> 4;
  if (n == 15) ANNAL_RETURN_IF_ERROR(ReadVarint(&n));
  // Every element occupies at least one byte, so a longer list cannot be in the input.
  if (n > remaining()) return Truncated();
  *elem = static_cast<Type>(et);
  *size = static_cast<uint32_t>(n);
  return Status::Ok();
}

Status CompactReader::SkipElem(Type elem) {
  // In containers a bool is one byte and both bool type codes mean "bool".
  if (elem == Type::kTrue || elem == Type::kFalse) elem = Type::kByte;
  return Skip(elem);
}

Status CompactReader::Skip(Type t) {
  switch (t) {
    case Type::kTrue:
    case Type::kFalse:
      return Status::Ok();  // field bools carry their value in the header
    case Type::kByte:
      if (p_ == end_) return Truncated();
      ++p_;
      return Status::Ok();
    case Type::kI16:
    case Type::kI32:
    case Type::kI64: {
      uint64_t ignored;
      return ReadVarint(&ignored);
    }
    case Type::kDouble:
      if (remaining() < 8) return Truncated();
      p_ += 8;
      return Status::Ok();
    case Type::kBinary: {
      std::string_view ignored;
      return ReadBinary(t, &ignored);
    }
    case Type::kList:
    case Type::kSet: {
      if (depth_ >= kMaxDepth) return Corruption("thrift: nesting too deep");
      Type elem;
      uint32_t n;
      ANNAL_RETURN_IF_ERROR(ReadListHeader(t, &elem, &n));
      ++depth_;
      for (uint32_t i = 0; i < n; ++i) {
        Status st = SkipElem(elem);
        if (!st.ok()) return st;
      }
      --depth_;
      return Status::Ok();
    }
    case Type::kMap: {
      if (depth_ >= kMaxDepth) return Corruption("thrift: nesting too deep");
      uint64_t n;
      ANNAL_RETURN_IF_ERROR(ReadVarint(&n));
      if (n == 0) return Status::Ok();
      if (p_ == end_) return Truncated();
      const uint8_t kv = *p_++;
      const auto kt = static_cast<Type>(kv >> 4), vt = static_cast<Type>(kv & 0x0f);
      if ((kv >> 4) == 0 || (kv >> 4) > 12 || (kv & 0x0f) == 0 || (kv & 0x0f) > 12)
        return Corruption("thrift: bad map types");
      if (n > remaining()) return Truncated();
      ++depth_;
      for (uint64_t i = 0; i < n; ++i) {
        ANNAL_RETURN_IF_ERROR(SkipElem(kt));
        ANNAL_RETURN_IF_ERROR(SkipElem(vt));
      }
      --depth_;
      return Status::Ok();
    }
    case Type::kStruct: {
      ANNAL_RETURN_IF_ERROR(BeginStruct());
      for (;;) {
        Type ft;
        int16_t id;
        ANNAL_RETURN_IF_ERROR(ReadFieldHeader(&ft, &id));
        if (ft == Type::kStop) break;
        ANNAL_RETURN_IF_ERROR(Skip(ft));
      }
      EndStruct();
      return Status::Ok();
    }
    case Type::kStop:
      break;
  }
  return TypeError();
}

}  // namespace annal::storage::thrift
