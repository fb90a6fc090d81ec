#include "store/zeroed_table.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace annal::store {
namespace {

struct Pair {
  uint64_t a;
  uint64_t b;
};

// Both the small (calloc) and the mapped (>= 2 MiB) kinds start zeroed, keep what is written,
// and move without copying.
TEST(ZeroedTableTest, StartsZeroedAndMoves) {
  for (size_t n : {size_t{1}, size_t{1000}, size_t{3} << 20 >> 4, (size_t{8} << 20) / 16 + 1}) {
    ZeroedTable<Pair> t(n);
    ASSERT_EQ(t.size(), n);
    for (const Pair& p : t) ASSERT_TRUE(p.a == 0 && p.b == 0) << n;
    for (size_t i = 0; i < n; ++i) t[i] = Pair{i, ~i};
    ZeroedTable<Pair> moved = std::move(t);
    EXPECT_TRUE(t.empty());
    ASSERT_EQ(moved.size(), n);
    for (size_t i = 0; i < n; ++i) ASSERT_TRUE(moved[i].a == i && moved[i].b == ~i) << n;
    t = ZeroedTable<Pair>(2);  // a moved-from table can be reassigned
    EXPECT_EQ(t[1].a, 0u);
  }
}

}  // namespace
}  // namespace annal::store
