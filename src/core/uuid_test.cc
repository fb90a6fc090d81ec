#include "core/uuid.h"

#include <gtest/gtest.h>

#include <set>

namespace annal {
namespace {

TEST(Uuid, ParsesAndFormats) {
  auto u = Uuid::Parse("01890A5D-AC96-774B-BCCE-B302099A8057");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->ToString(), "01890a5d-ac96-774b-bcce-b302099a8057");
  EXPECT_EQ(Uuid::Parse("01890a5dac96774bbcceb302099a8057"), u);
}

TEST(Uuid, RejectsMalformed) {
  for (const char* bad : {"", "not-a-uuid", "01890a5d-ac96-774b-bcce-b302099a805",
                          "01890a5d_ac96_774b_bcce_b302099a8057", "01890a5d-ac96-774b-bcce-b302099a805g",
                          "g1890a5d-ac96-774b-bcce-b302099a8057", "01890a5d-ac96-774b-bcce-b302099a80 7",
                          "01890a5dac96774bbcceb302099a805-", "01890a5dac96774bbcceb302099a80\xff" "7",
                          "01890a5d-ac96-774b-bcce-b302099a8057-"}) {
    EXPECT_FALSE(Uuid::Parse(bad)) << bad;
  }
}

TEST(Uuid, V7IsVersionedUniqueAndOrdered) {
  std::set<Uuid> seen;
  Uuid prev = Uuid::NewV7();
  for (int i = 0; i < 10000; ++i) {
    Uuid u = Uuid::NewV7();
    EXPECT_EQ(u.bytes[6] >> 4, 7);
    EXPECT_EQ(u.bytes[8] >> 6, 2);
    EXPECT_LT(prev, u);  // time-ordered within a process
    EXPECT_TRUE(seen.insert(u).second);
    prev = u;
  }
}

}  // namespace
}  // namespace annal
