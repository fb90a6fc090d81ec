#include "storage/parquet/compression.h"

#include <snappy.h>
#include <zstd.h>

#include <cstring>
#include <string>

#include "storage/parquet/metadata.h"

namespace annal::storage::parquet {

namespace {

Status Unsupported(int32_t codec) {
  return Corruption("unsupported compression codec " + std::string(CodecName(codec)) + " (" +
                    std::to_string(codec) + "); Annal reads UNCOMPRESSED, SNAPPY and ZSTD");
}

}  // namespace

Status CompressPage(int32_t codec, int zstd_level, const uint8_t* in, size_t n, std::string* out) {
  switch (static_cast<Codec>(codec)) {
    case Codec::kUncompressed:
      out->assign(reinterpret_cast<const char*>(in), n);
      return Status::Ok();
    case Codec::kSnappy: {
      out->resize(snappy::MaxCompressedLength(n));
      size_t written = 0;
      snappy::RawCompress(reinterpret_cast<const char*>(in), n, out->data(), &written);
      out->resize(written);
      return Status::Ok();
    }
    case Codec::kZstd: {
      // One context per thread: creating one per page would dominate small pages.
      thread_local ZSTD_CCtx* cctx = ZSTD_createCCtx();
      out->resize(ZSTD_compressBound(n));
      const size_t r = ZSTD_compressCCtx(cctx, out->data(), out->size(), in, n, zstd_level);
      if (ZSTD_isError(r)) return Internal(std::string("zstd: ") + ZSTD_getErrorName(r));
      out->resize(r);
      return Status::Ok();
    }
    default:
      return InvalidArgument("cannot write codec " + std::string(CodecName(codec)));
  }
}

Status DecompressPage(int32_t codec, const uint8_t* in, size_t n, uint8_t* out, size_t out_size) {
  switch (static_cast<Codec>(codec)) {
    case Codec::kUncompressed:
      if (n != out_size)
        return Corruption("uncompressed page: compressed size != uncompressed size");
      if (n != 0) std::memcpy(out, in, n);
      return Status::Ok();
    case Codec::kSnappy: {
      size_t len = 0;
      const auto* src = reinterpret_cast<const char*>(in);
      if (!snappy::GetUncompressedLength(src, n, &len) || len != out_size)
        return Corruption("snappy page: bad uncompressed length");
      if (!snappy::RawUncompress(src, n, reinterpret_cast<char*>(out)))
        return Corruption("snappy page: cannot decompress");
      return Status::Ok();
    }
    case Codec::kZstd: {
      const unsigned long long declared = ZSTD_getFrameContentSize(in, n);
      if (declared == ZSTD_CONTENTSIZE_ERROR) return Corruption("zstd page: not a zstd frame");
      if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != out_size)
        return Corruption("zstd page: frame size != uncompressed_page_size");
      thread_local ZSTD_DCtx* dctx = ZSTD_createDCtx();
      const size_t r = ZSTD_decompressDCtx(dctx, out, out_size, in, n);
      if (ZSTD_isError(r)) return Corruption(std::string("zstd page: ") + ZSTD_getErrorName(r));
      if (r != out_size)
        return Corruption("zstd page: decompressed size != uncompressed_page_size");
      return Status::Ok();
    }
    default:
      return Unsupported(codec);
  }
}

}  // namespace annal::storage::parquet
