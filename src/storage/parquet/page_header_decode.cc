// DecodePageHeader (metadata.h).
#include "storage/parquet/metadata.h"
#include "storage/parquet/metadata_decoder.h"

namespace annal::storage::parquet {

using namespace detail;

Status DecodePageHeader(const uint8_t* data, size_t size, PageHeader* h, size_t* consumed) {
  Decoder d{CompactReader(data, size)};
  unsigned seen = 0;
  ANNAL_RETURN_IF_ERROR(d.Fields([&](Type t, int16_t id) -> Status {
    switch (id) {
      case 1:
        seen |= 1;
        return d.r.ReadI32(t, &h->type);
      case 2:
        seen |= 2;
        return d.r.ReadI32(t, &h->uncompressed_page_size);
      case 3:
        seen |= 4;
        return d.r.ReadI32(t, &h->compressed_page_size);
      case 4:
        return OptI32(d, t, &h->crc);
      case 5: {
        auto& p = h->data_page.emplace();
        unsigned s = 0;
        ANNAL_RETURN_IF_ERROR(d.Struct(t, [&](Type ft, int16_t fid) -> Status {
          switch (fid) {
            case 1:
              s |= 1;
              return d.r.ReadI32(ft, &p.num_values);
            case 2:
              s |= 2;
              return d.r.ReadI32(ft, &p.encoding);
            case 3:
              s |= 4;
              return d.r.ReadI32(ft, &p.definition_level_encoding);
            case 4:
              s |= 8;
              return d.r.ReadI32(ft, &p.repetition_level_encoding);
            default:
              return d.r.Skip(ft);
          }
        }));
        return s == 15 ? Status::Ok() : Missing("DataPageHeader");
      }
      case 7: {
        auto& p = h->dictionary_page.emplace();
        unsigned s = 0;
        ANNAL_RETURN_IF_ERROR(d.Struct(t, [&](Type ft, int16_t fid) -> Status {
          switch (fid) {
            case 1:
              s |= 1;
              return d.r.ReadI32(ft, &p.num_values);
            case 2:
              s |= 2;
              return d.r.ReadI32(ft, &p.encoding);
            case 3: {
              bool b;
              ANNAL_RETURN_IF_ERROR(d.r.ReadBool(ft, &b));
              p.is_sorted = b;
              return Status::Ok();
            }
            default:
              return d.r.Skip(ft);
          }
        }));
        return s == 3 ? Status::Ok() : Missing("DictionaryPageHeader");
      }
      case 8: {
        auto& p = h->data_page_v2.emplace();
        unsigned s = 0;
        ANNAL_RETURN_IF_ERROR(d.Struct(t, [&](Type ft, int16_t fid) -> Status {
          if (fid >= 1 && fid <= 6) s |= 1u << fid;
          switch (fid) {
            case 1:
              return d.r.ReadI32(ft, &p.num_values);
            case 2:
              return d.r.ReadI32(ft, &p.num_nulls);
            case 3:
              return d.r.ReadI32(ft, &p.num_rows);
            case 4:
              return d.r.ReadI32(ft, &p.encoding);
            case 5:
              return d.r.ReadI32(ft, &p.definition_levels_byte_length);
            case 6:
              return d.r.ReadI32(ft, &p.repetition_levels_byte_length);
            case 7:
              return d.r.ReadBool(ft, &p.is_compressed);
            default:
              return d.r.Skip(ft);
          }
        }));
        return s == 0x7e ? Status::Ok() : Missing("DataPageHeaderV2");
      }
      default:
        return d.r.Skip(t);
    }
  }));
  if (seen != 7) return Missing("PageHeader");
  if (consumed) *consumed = d.r.position();
  return Status::Ok();
}

}  // namespace annal::storage::parquet
