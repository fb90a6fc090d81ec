#include "store/event_id_map.h"

#include <gtest/gtest.h>

#include <atomic>
#include <span>
#include <thread>
#include <vector>

namespace annal::store {
namespace {

std::vector<uint64_t> Hashes(std::span<const Uuid> ids) {
  std::vector<uint64_t> hashes;
  for (const Uuid& id : ids) hashes.push_back(EventIdMap::Hash(id));
  return hashes;
}

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

// Growth prepared ahead (as the store does outside the index lock) keeps every id findable,
// before and after it is committed, across several doublings at once.
TEST(EventIdMapTest, PreparedGrowthKeepsEveryId) {
  EventIdMap map;
  std::vector<Uuid> ids;
  for (int i = 0; i < 20000; ++i) ids.push_back(Uuid::NewV7());
  for (size_t i = 0; i < 1000; ++i) ASSERT_TRUE(map.Insert(ids[i], Lsn(i + 1)));

  const std::span<const Uuid> more(ids.data() + 1000, ids.size() - 1000);
  EventIdMap::Growth growth = map.PrepareGrowth(Hashes(more));
  for (size_t i = 0; i < 1000; ++i) ASSERT_EQ(map.Find(ids[i]), Lsn(i + 1));  // old tables
  map.CommitGrowth(growth);
  for (size_t i = 0; i < 1000; ++i) ASSERT_EQ(map.Find(ids[i]), Lsn(i + 1));  // new tables
  for (size_t i = 1000; i < ids.size(); ++i) {
    ASSERT_FALSE(map.Find(ids[i]));
    ASSERT_TRUE(map.Insert(ids[i], Lsn(i + 1)));
  }
  EXPECT_EQ(map.size(), ids.size());
  for (size_t i = 0; i < ids.size(); ++i) ASSERT_EQ(map.Find(ids[i]), Lsn(i + 1));
  EXPECT_FALSE(map.Insert(ids[7], Lsn(99999)));
  // Nothing to grow for ids that fit: committing an empty growth changes nothing.
  EventIdMap::Growth none = map.PrepareGrowth(Hashes(std::span<const Uuid>(ids.data(), 1)));
  map.CommitGrowth(none);
  EXPECT_EQ(map.Find(ids[19999]), Lsn(20000));
}

// Spare tables are made by another thread while ids go in (as appenders do once they released
// the store's locks); every id stays findable.
TEST(EventIdMapTest, SpareTablesFilledConcurrently) {
  EventIdMap map;
  std::atomic<bool> stop{false};
  std::thread filler([&] {
    while (!stop.load()) map.FillSpareTables();
  });
  std::vector<Uuid> ids;
  for (uint64_t i = 1; i <= 600000; ++i) {
    ids.push_back(Uuid::NewV7());
    ASSERT_TRUE(map.Insert(ids.back(), Lsn(i)));
    if (i % 4096 == 0) {
      EventIdMap::Growth growth =
          map.PrepareGrowth(Hashes(std::span<const Uuid>(ids.data(), 100)));
      map.CommitGrowth(growth);
    }
  }
  stop = true;
  filler.join();
  for (size_t i = 0; i < ids.size(); ++i) ASSERT_EQ(map.Find(ids[i]), Lsn(i + 1));
}

}  // namespace
}  // namespace annal::store
