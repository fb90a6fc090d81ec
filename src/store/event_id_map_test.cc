#include "store/event_id_map.h"

#include <gtest/gtest.h>

#include <vector>

namespace annal::store {
namespace {

TEST(EventIdMapTest, InsertFindAcrossGrowth) {
  EventIdMap map;
  EXPECT_FALSE(map.Find(Uuid::NewV7()));
  std::vector<Uuid> ids;
  for (uint64_t i = 1; i <= 5000; ++i) {
    Uuid id{};
    // Sequential, nearly identical ids: the hash must still spread them.
    id.bytes[15] = static_cast<uint8_t>(i);
    id.bytes[14] = static_cast<uint8_t>(i >> 8);
    ids.push_back(id);
    ASSERT_TRUE(map.Insert(id, Lsn(i)));
  }
  EXPECT_EQ(map.size(), 5000u);
  for (uint64_t i = 1; i <= 5000; ++i) EXPECT_EQ(map.Find(ids[i - 1]), Lsn(i));
  EXPECT_FALSE(map.Insert(ids[42], Lsn(9999)));  // existing ids are not overwritten
  EXPECT_EQ(map.Find(ids[42]), Lsn(43));
  EXPECT_FALSE(map.Find(Uuid::NewV7()));
}

}  // namespace
}  // namespace annal::store
