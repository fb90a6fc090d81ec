#include "core/crc32c.h"

#include <gtest/gtest.h>

#include <string>

namespace annal {
namespace {

TEST(Crc32c, KnownVectors) {
  // RFC 3720 B.4 test vectors.
  std::string zeros(32, '\0');
  EXPECT_EQ(crc32c::Value(zeros), 0x8A9136AAu);
  std::string ones(32, '\xff');
  EXPECT_EQ(crc32c::Value(ones), 0x62A8AB43u);
  EXPECT_EQ(crc32c::Value("123456789"), 0xE3069283u);
}

TEST(Crc32c, HardwareMatchesPortableAndExtendComposes) {
  std::string data;
  for (int i = 0; i < 1000; ++i) data.push_back(static_cast<char>(i * 7));
  for (size_t n : {0, 1, 7, 8, 9, 63, 1000}) {
    EXPECT_EQ(crc32c::Value(data.data(), n), crc32c::ExtendPortable(0, data.data(), n)) << n;
  }
  uint32_t split = crc32c::Extend(crc32c::Value(data.data(), 300), data.data() + 300, 700);
  EXPECT_EQ(split, crc32c::Value(data));
}

}  // namespace
}  // namespace annal
