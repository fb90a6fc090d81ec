// Decoders of metadata.h. Memory bound: every list element consumes input bytes, and the number
// of decoded structs per FileMetaData is capped (kMaxElements), so a hostile footer cannot make
// the decoder allocate more than a small multiple of that cap.
#include <string>

#include "storage/parquet/metadata.h"
#include "storage/parquet/metadata_decoder.h"

namespace annal::storage::parquet {

using namespace detail;

namespace {

Status DecodeLogicalType(Decoder& d, Type t, LogicalType* lt) {
  return d.Struct(t, [&](Type ft, int16_t id) -> Status {
    if (id == 1) {
      lt->kind = LogicalType::Kind::kString;
      return d.r.Skip(ft);
    }
    if (id != 8) {
      lt->kind = LogicalType::Kind::kOther;
      return d.r.Skip(ft);
    }
    lt->kind = LogicalType::Kind::kTimestamp;
    bool have_utc = false, have_unit = false;
    ANNAL_RETURN_IF_ERROR(d.Struct(ft, [&](Type t2, int16_t id2) -> Status {
      if (id2 == 1) {
        have_utc = true;
        return d.r.ReadBool(t2, &lt->utc);
      }
      if (id2 != 2) return d.r.Skip(t2);
      have_unit = true;
      return d.Struct(t2, [&](Type t3, int16_t id3) -> Status {
        if (id3 < 1 || id3 > 3) return Corruption("parquet metadata: unknown time unit");
        lt->unit = static_cast<TimeUnit>(id3);
        return d.r.Skip(t3);
      });
    }));
    if (!have_utc || !have_unit) return Missing("TimestampType");
    return Status::Ok();
  });
}

Status DecodeSchemaElement(Decoder& d, Type t, SchemaElement* s) {
  bool have_name = false;
  ANNAL_RETURN_IF_ERROR(d.Struct(t, [&](Type ft, int16_t id) -> Status {
    switch (id) {
      case 1:
        return OptI32(d, ft, &s->type);
      case 3:
        return OptI32(d, ft, &s->repetition);
      case 4:
        have_name = true;
        return d.r.ReadBinary(ft, &s->name);
      case 5:
        return OptI32(d, ft, &s->num_children);
      case 6:
        return OptI32(d, ft, &s->converted_type);
      case 10:
        return DecodeLogicalType(d, ft, &s->logical);
      default:
        return d.r.Skip(ft);
    }
  }));
  return have_name ? Status::Ok() : Missing("SchemaElement.name");
}

Status DecodeStatistics(Decoder& d, Type t, Statistics* s) {
  return d.Struct(t, [&](Type ft, int16_t id) -> Status {
    switch (id) {
      case 1:
        return OptBinary(d, ft, &s->max);
      case 2:
        return OptBinary(d, ft, &s->min);
      case 3: {
        int64_t v;
        ANNAL_RETURN_IF_ERROR(d.r.ReadI64(ft, &v));
        s->null_count = v;
        return Status::Ok();
      }
      case 5:
        return OptBinary(d, ft, &s->max_value);
      case 6:
        return OptBinary(d, ft, &s->min_value);
      default:
        return d.r.Skip(ft);
    }
  });
}

Status DecodeColumnMetaData(Decoder& d, Type t, ColumnMetaData* c) {
  unsigned seen = 0;
  ANNAL_RETURN_IF_ERROR(d.Struct(t, [&](Type ft, int16_t id) -> Status {
    if (id >= 1 && id <= 9) seen |= 1u << id;
    switch (id) {
      case 1:
        return d.r.ReadI32(ft, &c->type);
      case 2:
        return d.List(ft, Type::kI32, [&]() -> Status {
          int32_t e;
          ANNAL_RETURN_IF_ERROR(d.r.ReadElemI32(&e));
          c->encodings.push_back(e);
          return Status::Ok();
        });
      case 3:
        return d.List(ft, Type::kBinary, [&]() -> Status {
          std::string_view p;
          ANNAL_RETURN_IF_ERROR(d.r.ReadElemBinary(&p));
          c->path.push_back(p);
          return Status::Ok();
        });
      case 4:
        return d.r.ReadI32(ft, &c->codec);
      case 5:
        return d.r.ReadI64(ft, &c->num_values);
      case 6:
        return d.r.ReadI64(ft, &c->total_uncompressed_size);
      case 7:
        return d.r.ReadI64(ft, &c->total_compressed_size);
      case 9:
        return d.r.ReadI64(ft, &c->data_page_offset);
      case 11: {
        int64_t v;
        ANNAL_RETURN_IF_ERROR(d.r.ReadI64(ft, &v));
        c->dictionary_page_offset = v;
        return Status::Ok();
      }
      case 12:
        return DecodeStatistics(d, ft, &c->statistics.emplace());
      default:
        return d.r.Skip(ft);
    }
  }));
  constexpr unsigned kRequired =
      (1u << 1) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 7) | (1u << 9);
  return (seen & kRequired) == kRequired ? Status::Ok() : Missing("ColumnMetaData");
}

Status DecodeRowGroup(Decoder& d, Type t, RowGroup* rg) {
  unsigned seen = 0;
  ANNAL_RETURN_IF_ERROR(d.Struct(t, [&](Type ft, int16_t id) -> Status {
    switch (id) {
      case 1:
        seen |= 1;
        return d.List(ft, Type::kStruct, [&]() -> Status {
          auto& cc = rg->columns.emplace_back();
          bool have_offset = false;
          return d.Fields([&](Type ct, int16_t cid) -> Status {
            switch (cid) {
              case 1:
                return OptBinary(d, ct, &cc.file_path);
              case 2:
                have_offset = true;
                return d.r.ReadI64(ct, &cc.file_offset);
              case 3:
                return DecodeColumnMetaData(d, ct, &cc.meta_data.emplace());
              default:
                return d.r.Skip(ct);
            }
          });
        });
      case 2:
        seen |= 2;
        return d.r.ReadI64(ft, &rg->total_byte_size);
      case 3:
        seen |= 4;
        return d.r.ReadI64(ft, &rg->num_rows);
      case 5: {
        int64_t v;
        ANNAL_RETURN_IF_ERROR(d.r.ReadI64(ft, &v));
        rg->file_offset = v;
        return Status::Ok();
      }
      case 6: {
        int64_t v;
        ANNAL_RETURN_IF_ERROR(d.r.ReadI64(ft, &v));
        rg->total_compressed_size = v;
        return Status::Ok();
      }
      case 7: {
        int16_t v;
        ANNAL_RETURN_IF_ERROR(d.r.ReadI16(ft, &v));
        rg->ordinal = v;
        return Status::Ok();
      }
      default:
        return d.r.Skip(ft);
    }
  }));
  return seen == 7 ? Status::Ok() : Missing("RowGroup");
}

}  // namespace

Status DecodeFileMetaData(const uint8_t* data, size_t size, FileMetaData* m) {
  Decoder d{CompactReader(data, size)};
  unsigned seen = 0;
  ANNAL_RETURN_IF_ERROR(d.Fields([&](Type t, int16_t id) -> Status {
    switch (id) {
      case 1:
        seen |= 1;
        return d.r.ReadI32(t, &m->version);
      case 2:
        seen |= 2;
        return d.List(t, Type::kStruct, [&]() {
          return DecodeSchemaElement(d, Type::kStruct, &m->schema.emplace_back());
        });
      case 3:
        seen |= 4;
        return d.r.ReadI64(t, &m->num_rows);
      case 4:
        seen |= 8;
        return d.List(t, Type::kStruct, [&]() {
          return DecodeRowGroup(d, Type::kStruct, &m->row_groups.emplace_back());
        });
      case 5:
        return d.List(t, Type::kStruct, [&]() -> Status {
          auto& kv = m->key_value_metadata.emplace_back();
          bool have_key = false;
          ANNAL_RETURN_IF_ERROR(d.Fields([&](Type kt, int16_t kid) -> Status {
            if (kid == 1) return have_key = true, d.r.ReadBinary(kt, &kv.key);
            if (kid == 2) return OptBinary(d, kt, &kv.value);
            return d.r.Skip(kt);
          }));
          return have_key ? Status::Ok() : Missing("KeyValue.key");
        });
      case 6:
        return OptBinary(d, t, &m->created_by);
      default:
        return d.r.Skip(t);
    }
  }));
  return seen == 15 ? Status::Ok() : Missing("FileMetaData");
}

}  // namespace annal::storage::parquet
