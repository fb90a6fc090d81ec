#include "storage/parquet/column_reader.h"

#include <algorithm>

#include "storage/parquet/compression.h"
#include "storage/parquet/page_crc.h"

namespace annal::storage::parquet {

namespace {

Status Unsupported(std::string_view what, int32_t e) {
  return Corruption("unsupported " + std::string(what) + " " + std::string(EncodingName(e)) + " (" +
                    std::to_string(e) + ")");
}

bool IsDictionaryEncoding(int32_t e) {
  return e == static_cast<int32_t>(Encoding::kRleDictionary) ||
         e == static_cast<int32_t>(Encoding::kPlainDictionary);
}

size_t FixedWidth(int32_t type) {
  return type == static_cast<int32_t>(PhysicalType::kInt32) ? 4 : 8;
}

int64_t LoadFixed(const uint8_t* p, size_t width) {
  if (width == 8) return LoadI64(p);
  return static_cast<int32_t>(LoadU32(p));
}

}  // namespace

ColumnChunkReader::ColumnChunkReader(ColumnChunkSource source) : src_(std::move(source)) {}

Status ColumnChunkReader::Decompress(const uint8_t* data, size_t size, size_t out_size,
                                     std::vector<uint8_t>* out) {
  out->resize(out_size);
  return DecompressPage(src_.codec, data, size, out->data(), out_size);
}

Status ColumnChunkReader::LoadDictionary(const PageHeader& h, const uint8_t* data, size_t size) {
  if (!h.dictionary_page) return Corruption("dictionary page without its header");
  if (have_dict_ || pages_ != 1) return Corruption("dictionary page not first in its chunk");
  const auto& d = *h.dictionary_page;
  if (d.encoding != static_cast<int32_t>(Encoding::kPlain) &&
      d.encoding != static_cast<int32_t>(Encoding::kPlainDictionary))
    return Unsupported("dictionary encoding", d.encoding);
  if (d.num_values < 0) return Corruption("negative dictionary size");
  ANNAL_RETURN_IF_ERROR(
      Decompress(data, size, static_cast<size_t>(h.uncompressed_page_size), &dict_buf_));
  const uint8_t* p = dict_buf_.data();
  const uint8_t* end = p + dict_buf_.size();
  const auto n = static_cast<size_t>(d.num_values);
  if (src_.physical_type == static_cast<int32_t>(PhysicalType::kByteArray)) {
    if (n > dict_buf_.size() / 4) return Corruption("dictionary larger than its page");
    dict_strs_.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      if (end - p < 4) return Corruption("dictionary entry outside its page");
      const uint32_t len = LoadU32(p);
      p += 4;
      if (static_cast<size_t>(end - p) < len)
        return Corruption("dictionary entry outside its page");
      dict_strs_.emplace_back(reinterpret_cast<const char*>(p), len);
      p += len;
    }
  } else {
    const size_t w = FixedWidth(src_.physical_type);
    if (n * w != dict_buf_.size())
      return Corruption("dictionary page size does not match its entries");
    dict_ints_.resize(n);
    for (size_t i = 0; i < n; ++i) dict_ints_[i] = LoadFixed(p + i * w, w);
    p = end;
  }
  if (p != end) return Corruption("dictionary page has trailing bytes");
  have_dict_ = true;
  return Status::Ok();
}

Status ColumnChunkReader::StartValues(int32_t encoding, const uint8_t* begin, const uint8_t* end) {
  dict_encoded_ = IsDictionaryEncoding(encoding);
  if (dict_encoded_) {
    if (!have_dict_) return Corruption("dictionary-encoded page without a dictionary");
    if (begin == end) {
      // Only nulls in this page: no bit width byte is required.
      indices_ = RleDecoder(begin, 0, 0);
      return Status::Ok();
    }
    const int width = *begin;
    if (width > 32) return Corruption("dictionary index bit width > 32");
    indices_ = RleDecoder(begin + 1, static_cast<size_t>(end - begin - 1), width);
    return Status::Ok();
  }
  if (encoding != static_cast<int32_t>(Encoding::kPlain)) return Unsupported("encoding", encoding);
  vp_ = begin;
  vend_ = end;
  return Status::Ok();
}

Status ColumnChunkReader::LoadNextDataPage() {
  for (;;) {
    if (page_left_ == 0 && !dict_encoded_ && vp_ != vend_)
      return Corruption("data page has trailing bytes");
    if (pos_ >= src_.bytes.size()) return Corruption("column chunk ends before its num_values");
    PageHeader h;
    size_t header_size = 0;
    ANNAL_RETURN_IF_ERROR(
        DecodePageHeader(src_.bytes.data() + pos_, src_.bytes.size() - pos_, &h, &header_size));
    const size_t after_header = src_.bytes.size() - pos_ - header_size;
    if (h.compressed_page_size < 0 || static_cast<size_t>(h.compressed_page_size) > after_header)
      return Corruption("page extends past its column chunk");
    if (h.uncompressed_page_size < 0 ||
        static_cast<size_t>(h.uncompressed_page_size) > kMaxPageBytes)
      return Corruption("bad uncompressed_page_size");
    const uint8_t* data = src_.bytes.data() + pos_ + header_size;
    const auto csize = static_cast<size_t>(h.compressed_page_size);
    pos_ += header_size + csize;
    ++pages_;
    uncompressed_bytes_ += static_cast<int64_t>(header_size) + h.uncompressed_page_size;
    if (h.crc) {
      if (Crc32Ieee(data, csize) != static_cast<uint32_t>(*h.crc))
        return Corruption("page crc mismatch");
    } else if (src_.ours) {
      return Corruption("page without crc");
    }
    const int64_t left_in_chunk = src_.num_values - values_read_;
    switch (static_cast<PageType>(h.type)) {
      case PageType::kDictionaryPage:
        ANNAL_RETURN_IF_ERROR(LoadDictionary(h, data, csize));
        continue;
      case PageType::kIndexPage:
        continue;
      case PageType::kDataPage: {
        if (!h.data_page) return Corruption("data page without its header");
        const auto& d = *h.data_page;
        if (src_.ours && (d.definition_level_encoding != static_cast<int32_t>(Encoding::kRle) ||
                          d.repetition_level_encoding != static_cast<int32_t>(Encoding::kRle)))
          return Corruption("level encodings are not RLE");
        if (d.num_values < 0 || d.num_values > left_in_chunk)
          return Corruption("page num_values exceeds the column chunk");
        ANNAL_RETURN_IF_ERROR(
            Decompress(data, csize, static_cast<size_t>(h.uncompressed_page_size), &page_buf_));
        const uint8_t* p = page_buf_.data();
        const uint8_t* end = p + page_buf_.size();
        has_levels_ = src_.optional;
        if (src_.optional) {
          if (d.definition_level_encoding != static_cast<int32_t>(Encoding::kRle))
            return Unsupported("definition level encoding", d.definition_level_encoding);
          if (end - p < 4) return Corruption("definition levels outside the page");
          const uint32_t len = LoadU32(p);
          p += 4;
          if (static_cast<size_t>(end - p) < len)
            return Corruption("definition levels outside the page");
          levels_ = RleDecoder(p, len, 1);
          p += len;
        }
        ANNAL_RETURN_IF_ERROR(StartValues(d.encoding, p, end));
        page_left_ = d.num_values;
        break;
      }
      case PageType::kDataPageV2: {
        if (!h.data_page_v2) return Corruption("data page v2 without its header");
        const auto& d = *h.data_page_v2;
        if (d.num_values < 0 || d.num_values > left_in_chunk)
          return Corruption("page num_values exceeds the column chunk");
        if (d.repetition_levels_byte_length != 0)
          return Corruption("repetition levels in a flat column");
        if (d.definition_levels_byte_length < 0 ||
            static_cast<size_t>(d.definition_levels_byte_length) > csize ||
            d.definition_levels_byte_length > h.uncompressed_page_size)
          return Corruption("bad definition_levels_byte_length");
        if (!src_.optional && d.definition_levels_byte_length != 0)
          return Corruption("definition levels in a required column");
        const auto lsize = static_cast<size_t>(d.definition_levels_byte_length);
        const size_t values_size = static_cast<size_t>(h.uncompressed_page_size) - lsize;
        page_buf_.resize(static_cast<size_t>(h.uncompressed_page_size));
        std::copy(data, data + lsize, page_buf_.begin());
        const int32_t codec =
            d.is_compressed ? src_.codec : static_cast<int32_t>(Codec::kUncompressed);
        ANNAL_RETURN_IF_ERROR(DecompressPage(codec, data + lsize, csize - lsize,
                                             page_buf_.data() + lsize, values_size));
        has_levels_ = src_.optional;
        if (src_.optional) levels_ = RleDecoder(page_buf_.data(), lsize, 1);
        ANNAL_RETURN_IF_ERROR(
            StartValues(d.encoding, page_buf_.data() + lsize, page_buf_.data() + page_buf_.size()));
        page_left_ = d.num_values;
        break;
      }
      default:
        return Corruption("unknown page type " + std::to_string(h.type));
    }
    if (page_left_ > 0) return Status::Ok();
  }
}

Status ColumnChunkReader::ReadLevels(size_t k, uint8_t* defined, size_t* num_defined) {
  if (!has_levels_) {
    std::fill(defined, defined + k, 1);
    *num_defined = k;
    return Status::Ok();
  }
  scratch_.resize(k);
  ANNAL_RETURN_IF_ERROR(levels_.Get(scratch_.data(), k));
  size_t d = 0;
  for (size_t i = 0; i < k; ++i) {
    defined[i] = static_cast<uint8_t>(scratch_[i]);
    d += scratch_[i];
  }
  *num_defined = d;
  return Status::Ok();
}

Status ColumnChunkReader::ReadIndices(size_t k) {
  scratch_.resize(k);
  ANNAL_RETURN_IF_ERROR(indices_.Get(scratch_.data(), k));
  const size_t dict_size = src_.physical_type == static_cast<int32_t>(PhysicalType::kByteArray)
                               ? dict_strs_.size()
                               : dict_ints_.size();
  for (size_t i = 0; i < k; ++i)
    if (scratch_[i] >= dict_size) return Corruption("dictionary index out of range");
  return Status::Ok();
}

Status ColumnChunkReader::ReadInt64(size_t n, int64_t* out, uint8_t* defined) {
  const size_t w = FixedWidth(src_.physical_type);
  while (n > 0) {
    if (page_left_ == 0) ANNAL_RETURN_IF_ERROR(LoadNextDataPage());
    const size_t k = static_cast<size_t>(std::min<int64_t>(page_left_, static_cast<int64_t>(n)));
    size_t nd;
    ANNAL_RETURN_IF_ERROR(ReadLevels(k, defined, &nd));
    if (dict_encoded_) {
      ANNAL_RETURN_IF_ERROR(ReadIndices(nd));
      for (size_t i = 0, j = 0; i < k; ++i)
        if (defined[i]) out[i] = dict_ints_[scratch_[j++]];
    } else {
      if (static_cast<size_t>(vend_ - vp_) / w < nd) return Corruption("values outside the page");
      if (nd == k && w == 8) {
        std::memcpy(out, vp_, k * 8);
        vp_ += k * 8;
      } else {
        for (size_t i = 0; i < k; ++i)
          if (defined[i]) out[i] = LoadFixed(vp_, w), vp_ += w;
      }
    }
    out += k;
    defined += k;
    n -= k;
    page_left_ -= static_cast<int64_t>(k);
    values_read_ += static_cast<int64_t>(k);
  }
  return Status::Ok();
}

Status ColumnChunkReader::ReadByteArray(size_t max, std::string_view* out, uint8_t* defined,
                                        size_t* count) {
  if (page_left_ == 0) ANNAL_RETURN_IF_ERROR(LoadNextDataPage());
  const size_t k = static_cast<size_t>(std::min<int64_t>(page_left_, static_cast<int64_t>(max)));
  size_t nd;
  ANNAL_RETURN_IF_ERROR(ReadLevels(k, defined, &nd));
  if (dict_encoded_) {
    ANNAL_RETURN_IF_ERROR(ReadIndices(nd));
    for (size_t i = 0, j = 0; i < k; ++i)
      if (defined[i]) out[i] = dict_strs_[scratch_[j++]];
  } else {
    for (size_t i = 0; i < k; ++i) {
      if (!defined[i]) continue;
      if (vend_ - vp_ < 4) return Corruption("value outside the page");
      const uint32_t len = LoadU32(vp_);
      vp_ += 4;
      if (static_cast<size_t>(vend_ - vp_) < len) return Corruption("value outside the page");
      out[i] = std::string_view(reinterpret_cast<const char*>(vp_), len);
      vp_ += len;
    }
  }
  page_left_ -= static_cast<int64_t>(k);
  values_read_ += static_cast<int64_t>(k);
  *count = k;
  return Status::Ok();
}

Status ColumnChunkReader::Finish() {
  if (values_read_ != src_.num_values)
    return Corruption("column chunk has fewer values than expected");
  if (!dict_encoded_ && vp_ != vend_) return Corruption("data page has trailing bytes");
  if (pos_ != src_.bytes.size()) return Corruption("column chunk has bytes after its last page");
  return Status::Ok();
}

}  // namespace annal::storage::parquet
