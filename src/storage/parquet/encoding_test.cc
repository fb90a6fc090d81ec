#include "storage/parquet/encoding.h"

#include <gtest/gtest.h>

#include <random>

#include "storage/parquet/page_crc.h"

namespace annal::storage::parquet {
namespace {

std::vector<uint32_t> RoundTrip(const std::vector<uint32_t>& in, int width,
                                std::string* bytes = nullptr) {
  RleEncoder enc(width);
  for (uint32_t v : in) enc.Put(v);
  std::string out;
  enc.Flush(out);
  if (bytes) *bytes = out;
  RleDecoder dec(reinterpret_cast<const uint8_t*>(out.data()), out.size(), width);
  std::vector<uint32_t> got(in.size());
  EXPECT_TRUE(dec.Get(got.data(), got.size()).ok());
  // Nothing beyond the padding of the last group.
  uint32_t extra[16];
  EXPECT_FALSE(dec.Get(extra, 16).ok());
  return got;
}

TEST(Rle, SpecBitPackingExample) {
  // Encodings.md: 0..7 with bit width 3 bit-pack to 10001000 11000110 11111010.
  std::string bytes;
  EXPECT_EQ(RoundTrip({0, 1, 2, 3, 4, 5, 6, 7}, 3, &bytes),
            (std::vector<uint32_t>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(bytes, std::string("\x03\x88\xc6\xfa"));
}

TEST(Rle, LongRunIsOneRleRun) {
  std::string bytes;
  std::vector<uint32_t> in(100000, 5);
  EXPECT_EQ(RoundTrip(in, 3, &bytes), in);
  EXPECT_LE(bytes.size(), 5u);
}

TEST(Rle, AllBitWidthsAndRunMixes) {
  std::mt19937_64 rng(42);
  for (int width = 0; width <= 32; ++width) {
    const uint64_t max = width == 0 ? 0 : (width == 32 ? 0xffffffffull : (1ull << width) - 1);
    for (int pattern = 0; pattern < 6; ++pattern) {
      std::vector<uint32_t> in;
      const size_t n = 1 + rng() % 3000;
      while (in.size() < n) {
        const uint32_t v = static_cast<uint32_t>(max == 0 ? 0 : rng() % (max + 1));
        size_t run = 1;
        switch (pattern) {
          case 0:
            run = 1;
            break;  // literals only
          case 1:
            run = 8 + rng() % 50;
            break;  // runs only
          case 2:
            run = 1 + rng() % 12;
            break;  // around the run threshold
          case 3:
            run = rng() % 4 == 0 ? 30 : 1;
            break;
          case 4:
            run = 7;
            break;  // never quite a run
          case 5:
            run = n;
            break;  // one value
        }
        for (size_t i = 0; i < run && in.size() < n; ++i) in.push_back(v);
      }
      EXPECT_EQ(RoundTrip(in, width), in) << "width " << width << " pattern " << pattern;
    }
  }
}

TEST(Rle, TruncatedOrHostileStreamsFailCleanly) {
  std::vector<uint32_t> in;
  for (uint32_t i = 0; i < 100; ++i) in.push_back(i % 7 == 0 ? 3 : i % 16);
  std::string bytes;
  RoundTrip(in, 4, &bytes);
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    RleDecoder dec(reinterpret_cast<const uint8_t*>(bytes.data()), cut, 4);
    std::vector<uint32_t> got(in.size());
    // Either fails, or the cut only removed padding of the last bit-packed group.
    if (dec.Get(got.data(), got.size()).ok()) {
      EXPECT_EQ(got, in) << cut;
    }
  }
  // An RLE run value wider than the bit width.
  const std::string wide("\x10\xff", 2);
  RleDecoder dec(reinterpret_cast<const uint8_t*>(wide.data()), wide.size(), 3);
  uint32_t v;
  EXPECT_FALSE(dec.Get(&v, 1).ok());
  // A run of 2^31 values is served lazily, without allocating.
  const std::string huge("\xfe\xff\xff\xff\x0f\x01", 6);
  RleDecoder big(reinterpret_cast<const uint8_t*>(huge.data()), huge.size(), 1);
  std::vector<uint32_t> some(1000);
  EXPECT_TRUE(big.Get(some.data(), some.size()).ok());
  EXPECT_EQ(some[999], 1u);
}

TEST(Rle, BitWidth) {
  EXPECT_EQ(BitWidth(0), 0);
  EXPECT_EQ(BitWidth(1), 1);
  EXPECT_EQ(BitWidth(255), 8);
  EXPECT_EQ(BitWidth(256), 9);
  EXPECT_EQ(BitWidth(0xffffffffu), 32);
}

TEST(PageCrc, Crc32IeeeCheckValue) {
  const std::string s = "123456789";
  EXPECT_EQ(Crc32Ieee(reinterpret_cast<const uint8_t*>(s.data()), s.size()), 0xCBF43926u);
  EXPECT_EQ(Crc32Ieee(nullptr, 0), 0u);
}

}  // namespace
}  // namespace annal::storage::parquet
