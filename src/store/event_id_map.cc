#include "store/event_id_map.h"

#include "core/status.h"
#include "store/shard_growth.h"

namespace annal::store {

uint64_t EventIdMap::Hash(const Uuid& id) {
  // Client ids can be anything (sequential, crafted), so mix every bit into both the top bits
  // (shard) and the low bits (slot) (murmur3's 64-bit finalizer).
  uint64_t h = UuidHash()(id);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

bool EventIdMap::Insert(const Uuid& id, Lsn lsn) {
  ANNAL_CHECK(lsn.value() != 0);
  const uint64_t h = Hash(id);
  const size_t shard_index = h >> (64 - kShardBits);
  Shard& shard = shards_[shard_index];
  // A load factor of at most 1/2 to 5/8 keeps probe sequences short (shard_growth.h).
  if (shard.size + 1 > ShardGrowthLimit(shard.slots.size(), shard_index, shards_.size()))
    shard.Grow();
  const size_t mask = shard.slots.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    Slot& s = shard.slots[i];
    if (s.lsn == 0) {
      s.id = id;
      s.lsn = lsn.value();
      ++shard.size;
      ++size_;
      return true;
    }
    if (s.id == id) return false;
  }
}

std::optional<Lsn> EventIdMap::Find(const Uuid& id) const {
  const uint64_t h = Hash(id);
  const Shard& shard = ShardFor(h);
  if (shard.slots.empty()) return std::nullopt;
  const size_t mask = shard.slots.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    const Slot& s = shard.slots[i];
    if (s.lsn == 0) return std::nullopt;
    if (s.id == id) return Lsn(s.lsn);
  }
}

void EventIdMap::Prefetch(const Uuid& id) const {
  const uint64_t h = Hash(id);
  const Shard& shard = ShardFor(h);
  if (!shard.slots.empty()) __builtin_prefetch(&shard.slots[h & (shard.slots.size() - 1)]);
}

void EventIdMap::Shard::Grow() { slots = Rehashed(slots.empty() ? 64 : slots.size() * 2); }

ZeroedTable<EventIdMap::Slot> EventIdMap::Shard::Rehashed(size_t slot_count) const {
  ZeroedTable<Slot> table(slot_count);
  const size_t mask = slot_count - 1;
  for (const Slot& s : slots) {
    if (s.lsn == 0) continue;
    size_t i = Hash(s.id) & mask;
    while (table[i].lsn != 0) i = (i + 1) & mask;
    table[i] = s;
  }
  return table;
}

EventIdMap::Growth EventIdMap::PrepareGrowth(std::span<const Uuid> ids) const {
  std::array<size_t, size_t{1} << kShardBits> adding{};
  for (const Uuid& id : ids) ++adding[Hash(id) >> (64 - kShardBits)];
  Growth growth;
  for (size_t i = 0; i < shards_.size(); ++i) {
    if (adding[i] == 0) continue;
    const Shard& shard = shards_[i];
    size_t slot_count = shard.slots.size();
    while (shard.size + adding[i] > ShardGrowthLimit(slot_count, i, shards_.size()))
      slot_count = slot_count == 0 ? 64 : slot_count * 2;
    if (slot_count != shard.slots.size())
      growth.tables_.push_back({i, shard.size, shard.Rehashed(slot_count)});
  }
  return growth;
}

void EventIdMap::CommitGrowth(Growth growth) {
  for (Growth::Table& t : growth.tables_) {
    Shard& shard = shards_[t.shard];
    ANNAL_CHECK_MSG(shard.size == t.entries, "EventIdMap: the map changed between PrepareGrowth "
                                             "and CommitGrowth");
    shard.slots = std::move(t.slots);
  }
}

}  // namespace annal::store
