#include "store/event_id_map.h"

#include <new>
#include <string>
#include <utility>

#include "core/status.h"
#include "store/shard_growth.h"

namespace annal::store {
namespace {

// Smaller tables are cheap to fault in where they are needed.
constexpr size_t kSpareTableBytes = size_t{256} << 10;

}  // namespace

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

bool EventIdMap::Insert(const Uuid& id, Lsn lsn, uint64_t h) {
  ANNAL_CHECK(lsn.value() != 0);
  ANNAL_CHECK_MSG(lsn.value() <= kMaxLsn,
                  "EventIdMap: LSN " + std::to_string(lsn.value()) + " is beyond 2^36 - 1");
  const size_t shard_index = h >> (64 - kShardBits);
  Shard& shard = shards_[shard_index];
  // A load factor of at most 1/2 to 5/8 keeps probe sequences short (shard_growth.h).
  if (shard.size + 1 > ShardGrowthLimit(shard.slots.size(), shard_index, shards_.size()))
    Grow(shard_index);
  const size_t mask = shard.slots.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    Slot& s = shard.slots[i];
    if (s.word == 0) {
      s.word = lsn.value() << kHashBits | (h & kHashMask);
      ++shard.size;
      ++size_;
      MaybeAskForSpare(shard_index);
      return true;
    }
    if (Holds(s, id, h)) return false;
  }
}

std::optional<Lsn> EventIdMap::Find(const Uuid& id, uint64_t h) const {
  const Shard& shard = ShardFor(h);
  if (shard.slots.empty()) return std::nullopt;
  const size_t mask = shard.slots.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    const Slot s = shard.slots[i];
    if (s.word == 0) return std::nullopt;
    if (Holds(s, id, h)) return Lsn(s.lsn());
  }
}

void EventIdMap::Prefetch(uint64_t h) const {
  const Shard& shard = ShardFor(h);
  if (!shard.slots.empty()) __builtin_prefetch(&shard.slots[h & (shard.slots.size() - 1)]);
}

void EventIdMap::Grow(size_t shard) {
  Shard& s = shards_[shard];
  s.slots = s.Rehashed(NewTable(shard, s.slots.empty() ? 64 : s.slots.size() * 2));
}

ZeroedTable<EventIdMap::Slot> EventIdMap::Shard::Rehashed(ZeroedTable<Slot> table) const {
  ANNAL_CHECK_MSG(table.size() <= kMaxShardSlots, "EventIdMap: a shard outgrew its hash bits");
  const size_t mask = table.size() - 1;
  for (const Slot s : slots) {
    if (s.word == 0) continue;
    size_t i = s.hash_bits() & mask;
    while (table[i].word != 0) i = (i + 1) & mask;
    table[i] = s;
  }
  return table;
}

void EventIdMap::MaybeAskForSpare(size_t shard_index) {
  Shard& shard = shards_[shard_index];
  // Past 31/32 of its limit, a shard asks for its next table (once per size). That is a few
  // hundred thousand inserts ahead at millions of ids, ample for an appender to make it, while
  // only the few shards that close to growing hold a spare (at 7/8, half of them did: ~6% more
  // memory).
  const size_t limit = ShardGrowthLimit(shard.slots.size(), shard_index, shards_.size());
  const size_t next = shard.slots.size() * 2;
  if (shard.size * 32 <= limit * 31 || shard.asked_for == next ||
      next * sizeof(Slot) < kSpareTableBytes)
    return;
  shard.asked_for = next;
  std::lock_guard lock(spares_mu_);
  std::erase_if(wanted_, [&](const Spare& w) { return w.shard == shard_index; });
  wanted_.push_back({shard_index, next, {}});
}

ZeroedTable<EventIdMap::Slot> EventIdMap::NewTable(size_t shard, size_t slot_count) const {
  {
    std::lock_guard lock(spares_mu_);
    // The shard grows now: a table it asked for and nobody made yet is no longer needed.
    std::erase_if(wanted_, [&](const Spare& w) { return w.shard == shard; });
    for (auto it = ready_.begin(); it != ready_.end(); ++it) {
      if (it->shard != shard) continue;
      // A shard grows only once per size, so any other spare of it is stale.
      ZeroedTable<Slot> table = std::move(it->table);
      const bool fits = it->slot_count == slot_count;
      ready_.erase(it);
      if (fits) return table;
      break;
    }
  }
  return ZeroedTable<Slot>(slot_count);
}

void EventIdMap::FillSpareTables() {
  for (;;) {
    Spare spare{};
    {
      std::lock_guard lock(spares_mu_);
      if (wanted_.empty()) return;
      spare = std::move(wanted_.back());
      wanted_.pop_back();
    }
    try {
      spare.table = ZeroedTable<Slot>(spare.slot_count);
    } catch (const std::bad_alloc&) {
      return;  // only the head start is lost: the rehash allocates (and fails loudly) itself
    }
    spare.table.FaultIn();
    std::lock_guard lock(spares_mu_);
    ready_.push_back(std::move(spare));
  }
}

EventIdMap::Growth EventIdMap::PrepareGrowth(std::span<const uint64_t> id_hashes) const {
  std::array<size_t, size_t{1} << kShardBits> adding{};
  for (const uint64_t h : id_hashes) ++adding[h >> (64 - kShardBits)];
  Growth growth;
  for (size_t i = 0; i < shards_.size(); ++i) {
    if (adding[i] == 0) continue;
    const Shard& shard = shards_[i];
    size_t slot_count = shard.slots.size();
    while (shard.size + adding[i] > ShardGrowthLimit(slot_count, i, shards_.size()))
      slot_count = slot_count == 0 ? 64 : slot_count * 2;
    if (slot_count != shard.slots.size())
      growth.tables_.push_back({i, shard.size, shard.Rehashed(NewTable(i, slot_count))});
  }
  return growth;
}

void EventIdMap::CommitGrowth(Growth& growth) {
  for (Growth::Table& t : growth.tables_) {
    Shard& shard = shards_[t.shard];
    ANNAL_CHECK_MSG(shard.size == t.entries, "EventIdMap: the map changed between PrepareGrowth "
                                             "and CommitGrowth");
    std::swap(shard.slots, t.slots);  // the old table is freed with `growth`
  }
}

}  // namespace annal::store
