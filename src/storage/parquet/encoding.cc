#include "storage/parquet/encoding.h"

#include <algorithm>

namespace annal::storage::parquet {

int BitWidth(uint32_t max_value) {
  int w = 0;
  while (max_value != 0) {
    ++w;
    max_value >>= 1;
  }
  return w;
}

namespace {

void AppendVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

}  // namespace

// ------------------------------------------------------------------ encoder

void RleEncoder::Put(uint32_t v) {
  if (run_count_ > 0 && v == run_value_) {
    ++run_count_;
    return;
  }
  EndRun();
  run_value_ = v;
  run_count_ = 1;
}

void RleEncoder::EndRun() {
  if (run_count_ == 0) return;
  // Literal runs hold whole groups of 8: top the pending literals up to a group boundary from
  // this run, and RLE-encode the rest if it is still worth a run of its own.
  const uint64_t need = (8 - literals_.size() % 8) % 8;
  if (run_count_ >= need + 8) {
    literals_.insert(literals_.end(), need, run_value_);
    FlushLiterals(false);
    EmitRle(run_value_, run_count_ - need);
  } else {
    literals_.insert(literals_.end(), run_count_, run_value_);
    if (literals_.size() >= 512) FlushLiterals(false);
  }
  run_count_ = 0;
}

void RleEncoder::FlushLiterals(bool final) {
  size_t n = literals_.size();
  if (final) {
    literals_.resize((n + 7) / 8 * 8, 0);  // pad the last group with zeros
    n = literals_.size();
  } else {
    n = n / 8 * 8;
  }
  if (n == 0) return;
  AppendVarint(out_, ((n / 8) << 1) | 1);
  uint64_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; ++i) {
    acc |= static_cast<uint64_t>(literals_[i]) << bits;
    bits += width_;
    while (bits >= 8) {
      out_.push_back(static_cast<char>(acc & 0xff));
      acc >>= 8;
      bits -= 8;
    }
  }
  // n is a multiple of 8, so n * width is a whole number of bytes: nothing is left in acc.
  literals_.erase(literals_.begin(), literals_.begin() + static_cast<ptrdiff_t>(n));
}

void RleEncoder::EmitRle(uint32_t value, uint64_t count) {
  AppendVarint(out_, count << 1);
  for (int i = 0; i < (width_ + 7) / 8; ++i)
    out_.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

void RleEncoder::Flush(std::string& out) {
  EndRun();
  FlushLiterals(true);
  out.append(out_);
  out_.clear();
  literals_.clear();
}

// ------------------------------------------------------------------ decoder

Status RleDecoder::NextRun() {
  uint64_t header = 0;
  for (int shift = 0;; shift += 7) {
    if (p_ == end_) return Corruption("rle: truncated run header");
    if (shift > 28) return Corruption("rle: run header too long");
    const uint8_t b = *p_++;
    header |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) break;
  }
  if (header & 1) {
    const uint64_t groups = header >> 1;
    const uint64_t want_bytes = groups * static_cast<uint64_t>(width_);
    const auto avail = static_cast<uint64_t>(end_ - p_);
    literal_ = true;
    lit_ = p_;
    lit_bit_ = 0;
    if (width_ == 0) {
      left_ = groups * 8;
    } else if (want_bytes <= avail) {
      left_ = groups * 8;
      p_ += want_bytes;
    } else {
      left_ = avail * 8 / static_cast<uint64_t>(width_);  // truncated last run
      p_ = end_;
    }
  } else {
    const int nbytes = (width_ + 7) / 8;
    if (end_ - p_ < nbytes) return Corruption("rle: truncated run value");
    uint32_t v = 0;
    for (int i = 0; i < nbytes; ++i) v |= static_cast<uint32_t>(p_[i]) << (8 * i);
    p_ += nbytes;
    if (width_ < 32 && (v >> width_) != 0) return Corruption("rle: run value wider than bit width");
    literal_ = false;
    value_ = v;
    left_ = header >> 1;
  }
  return Status::Ok();
}

Status RleDecoder::Get(uint32_t* out, size_t n) {
  const uint64_t mask = width_ == 32 ? 0xffffffffull : ((1ull << width_) - 1);
  while (n > 0) {
    if (left_ == 0) {
      if (p_ == end_) return Corruption("rle: fewer values than expected");
      ANNAL_RETURN_IF_ERROR(NextRun());
      continue;
    }
    const size_t take = static_cast<size_t>(std::min<uint64_t>(left_, n));
    if (!literal_) {
      std::fill(out, out + take, value_);
    } else if (width_ == 0) {
      std::fill(out, out + take, 0u);
    } else {
      // lit_ .. p_ holds at least (lit_bit_ + take * width_) bits (checked by NextRun).
      const uint8_t* region_end = p_;
      for (size_t i = 0; i < take; ++i) {
        const uint64_t byte = lit_bit_ >> 3;
        const int shift = static_cast<int>(lit_bit_ & 7);
        uint64_t word = 0;
        const uint8_t* src = lit_ + byte;
        if (region_end - src >= 8) {
          std::memcpy(&word, src, 8);
        } else {
          for (int k = 0; k < region_end - src; ++k)
            word |= static_cast<uint64_t>(src[k]) << (8 * k);
        }
        out[i] = static_cast<uint32_t>((word >> shift) & mask);
        lit_bit_ += static_cast<uint64_t>(width_);
      }
    }
    out += take;
    n -= take;
    left_ -= take;
  }
  return Status::Ok();
}

}  // namespace annal::storage::parquet
