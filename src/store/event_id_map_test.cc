#include "store/event_id_map.h"

#include <gtest/gtest.h>

#include <atomic>
#include <span>
#include <thread>
#include <unordered_map>
#include <vector>

namespace annal::store {
namespace {

std::vector<uint64_t> Hashes(std::span<const Uuid> ids) {
  std::vector<uint64_t> hashes;
  for (const Uuid& id : ids) hashes.push_back(EventIdMap::Hash(id));
  return hashes;
}

// Where the map reads ids back, as the store's event log would: by LSN. Sized up front, so
// references handed out stay valid while other threads insert.
class IdsByLsn {
 public:
  explicit IdsByLsn(size_t max_lsn) : ids_(max_lsn + 1) {}
  EventIdMap::IdAt At() const {
    return [this](Lsn lsn) -> const Uuid& { return ids_.at(lsn.value()); };
  }
  // Records `id` at `lsn` and returns the LSN, for map.Insert(id, Put(lsn, id)).
  Lsn Put(uint64_t lsn, const Uuid& id) {
    ids_.at(lsn) = id;
    return Lsn(lsn);
  }

 private:
  std::vector<Uuid> ids_;
};

TEST(EventIdMapTest, InsertFindAcrossGrowth) {
  IdsByLsn log(5000);
  EventIdMap map(log.At());
  EXPECT_FALSE(map.Find(Uuid::NewV7()));
  std::vector<Uuid> ids;
  for (uint64_t i = 1; i <= 5000; ++i) {
    Uuid id{};
    // Sequential, nearly identical ids: the hash must still spread them.
    id.bytes[15] = static_cast<uint8_t>(i);
    id.bytes[14] = static_cast<uint8_t>(i >> 8);
    ids.push_back(id);
    ASSERT_TRUE(map.Insert(id, log.Put(i, id)));
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
  IdsByLsn log(20000);
  EventIdMap map(log.At());
  std::vector<Uuid> ids;
  for (int i = 0; i < 20000; ++i) ids.push_back(Uuid::NewV7());
  for (size_t i = 0; i < 1000; ++i) ASSERT_TRUE(map.Insert(ids[i], log.Put(i + 1, ids[i])));

  const std::span<const Uuid> more(ids.data() + 1000, ids.size() - 1000);
  EventIdMap::Growth growth = map.PrepareGrowth(Hashes(more));
  for (size_t i = 0; i < 1000; ++i) ASSERT_EQ(map.Find(ids[i]), Lsn(i + 1));  // old tables
  map.CommitGrowth(growth);
  for (size_t i = 0; i < 1000; ++i) ASSERT_EQ(map.Find(ids[i]), Lsn(i + 1));  // new tables
  for (size_t i = 1000; i < ids.size(); ++i) {
    ASSERT_FALSE(map.Find(ids[i]));
    ASSERT_TRUE(map.Insert(ids[i], log.Put(i + 1, ids[i])));
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
  IdsByLsn log(600000);
  EventIdMap map(log.At());
  std::atomic<bool> stop{false};
  std::thread filler([&] {
    while (!stop.load()) map.FillSpareTables();
  });
  std::vector<Uuid> ids;
  for (uint64_t i = 1; i <= 600000; ++i) {
    ids.push_back(Uuid::NewV7());
    ASSERT_TRUE(map.Insert(ids.back(), log.Put(i, ids.back())));
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

// A slot keeps only an LSN and 28 bits of the id's hash. Two ids in one shard that agree in
// those bits must still be told apart (by reading the ids back), across growth too.
TEST(EventIdMapTest, IdsThatShareTheirSlotBitsStayDistinct) {
  // Shard (top 6 bits) and slot bits (low 28): a birthday search over 34 bits, ~160k ids.
  auto key = [](const Uuid& id) {
    const uint64_t h = EventIdMap::Hash(id);
    return (h >> 58) << 28 | (h & ((uint64_t{1} << 28) - 1));
  };
  std::unordered_map<uint64_t, Uuid> seen;
  Uuid a{}, b{};
  for (int tries = 0; tries < 4'000'000; ++tries) {
    const Uuid id = Uuid::NewV7();
    auto [it, inserted] = seen.try_emplace(key(id), id);
    if (!inserted && it->second != id) {
      a = it->second;
      b = id;
      break;
    }
  }
  ASSERT_NE(a, b) << "no pair found";
  ASSERT_NE(EventIdMap::Hash(a), EventIdMap::Hash(b));

  IdsByLsn log(30000);
  EventIdMap map(log.At());
  ASSERT_TRUE(map.Insert(a, log.Put(1, a)));
  EXPECT_FALSE(map.Find(b));  // same bits, other id: not there
  ASSERT_TRUE(map.Insert(b, log.Put(2, b)));
  EXPECT_EQ(map.Find(a), Lsn(1));
  EXPECT_EQ(map.Find(b), Lsn(2));
  EXPECT_FALSE(map.Insert(b, Lsn(3)));  // already there, under its own LSN
  // Enough other ids to double every shard several times.
  std::vector<Uuid> others;
  for (uint64_t lsn = 3; lsn <= 30000; ++lsn) {
    others.push_back(Uuid::NewV7());
    ASSERT_TRUE(map.Insert(others.back(), log.Put(lsn, others.back())));
  }
  EXPECT_EQ(map.Find(a), Lsn(1));
  EXPECT_EQ(map.Find(b), Lsn(2));
  for (size_t i = 0; i < others.size(); ++i) ASSERT_EQ(map.Find(others[i]), Lsn(i + 3));
}

// LSNs beyond what a slot holds stop the process instead of being cut short.
TEST(EventIdMapDeathTest, LsnBeyondTheSlotStops) {
  IdsByLsn log(1);
  EventIdMap map(log.At());
  EXPECT_DEATH(map.Insert(Uuid::NewV7(), Lsn(EventIdMap::kMaxLsn + 1)), "beyond 2\\^36");
}

}  // namespace
}  // namespace annal::store
