// Internal to storage/parquet: the struct/list walking helpers shared by the metadata decoders
// (metadata_decode.cc, page_header_decode.cc). Memory bound: every list element consumes input
// bytes, and the number of decoded list elements per decoder is capped (kMaxElements).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "storage/parquet/thrift_compact.h"

namespace annal::storage::parquet::detail {

using thrift::CompactReader;
using thrift::Type;

constexpr size_t kMaxElements = 256 * 1024;

struct Decoder {
  CompactReader r;
  size_t budget = kMaxElements;

  Status Spend(size_t n) {
    if (n > budget) return Corruption("parquet metadata: too many elements");
    budget -= n;
    return Status::Ok();
  }

  // Calls fn(type, id) for every field of the struct that starts here; fn consumes the value
  // (or calls r.Skip).
  template <typename Fn>
  Status Fields(Fn&& fn) {
    ANNAL_RETURN_IF_ERROR(r.BeginStruct());
    for (;;) {
      Type t;
      int16_t id;
      ANNAL_RETURN_IF_ERROR(r.ReadFieldHeader(&t, &id));
      if (t == Type::kStop) break;
      ANNAL_RETURN_IF_ERROR(fn(t, id));
    }
    r.EndStruct();
    return Status::Ok();
  }

  // Calls fn() once per element of the list field of wire type t; elements must be `want`.
  template <typename Fn>
  Status List(Type t, Type want, Fn&& fn) {
    Type elem;
    uint32_t n;
    ANNAL_RETURN_IF_ERROR(r.ReadListHeader(t, &elem, &n));
    if (elem != want) return Corruption("parquet metadata: list of unexpected type");
    ANNAL_RETURN_IF_ERROR(Spend(n));
    for (uint32_t i = 0; i < n; ++i) ANNAL_RETURN_IF_ERROR(fn());
    return Status::Ok();
  }

  // Parses a struct element of a list or struct field whose body is decoded by fn(t, id).
  template <typename Fn>
  Status Struct(Type t, Fn&& fn) {
    if (t != Type::kStruct) return Corruption("thrift: unexpected wire type");
    return Fields(fn);
  }
};

inline Status Missing(const char* what) {
  return Corruption(std::string("parquet metadata: missing required field ") + what);
}

template <typename T>
Status OptI32(Decoder& d, Type t, std::optional<T>* out) {
  int32_t v;
  ANNAL_RETURN_IF_ERROR(d.r.ReadI32(t, &v));
  *out = static_cast<T>(v);
  return Status::Ok();
}

inline Status OptBinary(Decoder& d, Type t, std::optional<std::string_view>* out) {
  std::string_view v;
  ANNAL_RETURN_IF_ERROR(d.r.ReadBinary(t, &v));
  *out = v;
  return Status::Ok();
}

}  // namespace annal::storage::parquet::detail
