// EventIdMap: event id -> LSN, for idempotency checks and GetEvent.
//
// Every event gets an entry, so this is the biggest index and sits on the append hot path.
// Open addressing with linear probing over one flat array: an insert or lookup costs about one
// cache miss and no allocation (std::unordered_map costs a node allocation per insert and a
// pointer chase per probe, which profiling showed as the top append cost). Nothing is ever
// erased. The table is split into 64 shards chosen by the top hash bits; each grows by
// doubling on its own, so the rehash that runs under the caller's exclusive lock touches 1/64
// of the ids (one flat table of millions of ids stalled every appender for ~100 ms).
//
// Not synchronized; guarded like the other indexes (see indexes.h).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/types.h"
#include "core/uuid.h"
#include "store/zeroed_table.h"

namespace annal::store {

class EventIdMap {
 public:
  // Returns false (and changes nothing) if `id` is already present. REQUIRES: lsn != 0.
  bool Insert(const Uuid& id, Lsn lsn);
  std::optional<Lsn> Find(const Uuid& id) const;
  // Starts loading the slot where `id` would be: a batch looks up many ids, each about one
  // cache (and TLB) miss in a table of millions, so asking a few ids ahead overlaps the misses.
  void Prefetch(const Uuid& id) const;
  size_t size() const { return size_; }

  // Growing ahead of inserts, in two steps, so that the rehash does not run under the lock
  // readers wait for: PrepareGrowth only reads the map (it may run while readers use it, but
  // not beside an Insert) and builds, for every shard that inserting `ids` would push past its
  // limit, the grown table; CommitGrowth swaps them in, O(1) per shard. Insert still grows a
  // shard itself when nothing was prepared.
  class Growth {
   private:
    friend class EventIdMap;
    struct Table;
    std::vector<Table> tables_;
  };
  Growth PrepareGrowth(std::span<const Uuid> ids) const;
  void CommitGrowth(Growth growth);

 private:
  static constexpr int kShardBits = 6;
  struct Slot {
    Uuid id;
    uint64_t lsn;  // 0 = empty (LSN 0 is never an event)
  };
  struct Shard {
    ZeroedTable<Slot> slots;  // size is 0 or a power of two
    size_t size = 0;
    void Grow();
    // A copy of this shard's entries in a table of `slot_count` slots.
    ZeroedTable<Slot> Rehashed(size_t slot_count) const;
  };
  static uint64_t Hash(const Uuid& id);
  const Shard& ShardFor(uint64_t h) const { return shards_[h >> (64 - kShardBits)]; }

  std::array<Shard, size_t{1} << kShardBits> shards_;
  size_t size_ = 0;
};

struct EventIdMap::Growth::Table {
  size_t shard;
  size_t entries;  // the shard's size when it was rehashed (checked on commit)
  ZeroedTable<Slot> slots;
};

}  // namespace annal::store
