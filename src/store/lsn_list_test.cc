#include "store/lsn_list.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace annal::store {
namespace {

// Every entry reads back where it was put, across many block boundaries, and the searches
// agree with std::lower_bound / std::upper_bound on the same ascending values.
TEST(LsnListTest, MatchesAVector) {
  LsnList list;
  std::vector<Lsn> expect;
  EXPECT_TRUE(list.empty());
  EXPECT_EQ(list.LowerBound(Lsn(1)), 0u);
  uint64_t v = 0;
  for (int i = 0; i < 70000; ++i) {
    v += 1 + (i % 5);  // gaps, so searches for absent values are exercised
    list.PrefetchNextSlot();
    list.push_back(Lsn(v));
    expect.push_back(Lsn(v));
  }
  ASSERT_EQ(list.size(), expect.size());
  for (size_t i = 0; i < expect.size(); ++i) ASSERT_EQ(list[i], expect[i]) << i;
  EXPECT_EQ(list.front(), expect.front());
  EXPECT_EQ(list.back(), expect.back());
  for (uint64_t x = 0; x <= v + 2; x += 7) {
    const size_t lo = std::lower_bound(expect.begin(), expect.end(), Lsn(x)) - expect.begin();
    const size_t hi = std::upper_bound(expect.begin(), expect.end(), Lsn(x)) - expect.begin();
    ASSERT_EQ(list.LowerBound(Lsn(x)), lo) << x;
    ASSERT_EQ(list.UpperBound(Lsn(x)), hi) << x;
  }
}

// A list keeps appending in the right place after a move, and the list it was moved from is
// empty and usable again (it must not write into the blocks it handed over). The indexes keep
// their lists in std::map nodes, which never move; the type is still safe to move.
TEST(LsnListTest, AMovedListAppendsWhereItLeftOff) {
  LsnList a;
  for (uint64_t lsn = 1; lsn <= 13; ++lsn) a.push_back(Lsn(lsn));  // ends inside a block
  LsnList b(std::move(a));
  EXPECT_TRUE(a.empty());
  for (uint64_t lsn = 14; lsn <= 100; ++lsn) b.push_back(Lsn(lsn));
  LsnList c;
  c = std::move(b);
  EXPECT_TRUE(b.empty());
  for (uint64_t lsn = 101; lsn <= 200; ++lsn) c.push_back(Lsn(lsn));
  ASSERT_EQ(c.size(), 200u);
  for (size_t i = 0; i < c.size(); ++i) ASSERT_EQ(c[i], Lsn(i + 1)) << i;
  a.push_back(Lsn(7));
  b.push_back(Lsn(8));
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(a.back(), Lsn(7));
  EXPECT_EQ(b.front(), Lsn(8));
}

TEST(LsnListTest, VisibleEndCutsThePendingTail) {
  LsnList list;
  EXPECT_EQ(VisibleEnd(list, Lsn(5)), 0u);
  for (uint64_t lsn = 1; lsn <= 10; ++lsn) list.push_back(Lsn(lsn * 2));
  EXPECT_EQ(VisibleEnd(list, Lsn(0)), 0u);
  EXPECT_EQ(VisibleEnd(list, Lsn(13)), 6u);
  EXPECT_EQ(VisibleEnd(list, Lsn(20)), 10u);
}

}  // namespace
}  // namespace annal::store
