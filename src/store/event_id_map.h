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
// A slot is 8 bytes: the event's LSN (36 bits) and the low 28 bits of its id's hash, not the
// id itself (24 bytes a slot before; zeroing the fresh memory of grown tables was 15% of the
// server's CPU under batch ingest). The slot index is taken from those same low bits, so a
// rehash needs nothing but the slot. A probe whose bits match reads the event's id where the
// event is (`IdAt`, the event log) to confirm it: that is the lookup's answer for an id that
// is there, and rare otherwise (two ids in one neighbourhood agreeing in the bits above the
// index, 1 in 1024 at 2^18 slots a shard).
//
// Not synchronized; guarded like the other indexes (see indexes.h).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "core/types.h"
#include "core/uuid.h"
#include "store/zeroed_table.h"

namespace annal::store {

class EventIdMap {
 public:
  // The id of the event at `lsn`, for every LSN the map holds. It must stay valid, and give
  // the same answer, for the map's life (the store's event log).
  using IdAt = std::function<const Uuid&(Lsn lsn)>;
  // The largest LSN a slot can hold: 2^36 - 1, some 68 billion events (in memory at over
  // 200 bytes each). Insert stops the process beyond it.
  static constexpr uint64_t kMaxLsn = (uint64_t{1} << 36) - 1;

  explicit EventIdMap(IdAt id_at) : id_at_(std::move(id_at)) {}
  EventIdMap(const EventIdMap&) = delete;
  EventIdMap& operator=(const EventIdMap&) = delete;

  // The hash the map files `id` under. It needs no lock, so an appender computes it for its
  // whole batch before it takes the store's locks; the overloads taking it REQUIRE
  // hash == Hash(id).
  static uint64_t Hash(const Uuid& id);

  // Returns false (and changes nothing) if `id` is already present. REQUIRES: lsn != 0, and
  // IdAt(lsn) == id already.
  bool Insert(const Uuid& id, Lsn lsn) { return Insert(id, lsn, Hash(id)); }
  bool Insert(const Uuid& id, Lsn lsn, uint64_t hash);
  std::optional<Lsn> Find(const Uuid& id) const { return Find(id, Hash(id)); }
  std::optional<Lsn> Find(const Uuid& id, uint64_t hash) const;
  // Starts loading the slot where the id with this hash would be: a batch looks up many ids,
  // each about one cache (and TLB) miss in a table of millions, so asking a few ids ahead
  // overlaps the misses.
  void Prefetch(uint64_t hash) const;
  size_t size() const { return size_; }

  // Growing ahead of inserts, in two steps, so that the rehash does not run under the lock
  // readers wait for: PrepareGrowth only reads the map (it may run while readers use it, but
  // not beside an Insert) and builds, for every shard that inserting the ids with these hashes
  // (Hash(id) each) would push past its limit, the grown table; CommitGrowth swaps them in, O(1) per shard, and leaves the old
  // tables in `growth`, to be freed after the caller's locks are released. Insert still grows
  // a shard itself when nothing was prepared.
  class Growth {
   private:
    friend class EventIdMap;
    struct Table;
    std::vector<Table> tables_;
  };
  Growth PrepareGrowth(std::span<const uint64_t> id_hashes) const;
  void CommitGrowth(Growth& growth);

  // A grown table is fresh memory, and faulting it in (zeroing 2 MiB pages) was most of a
  // rehash's time, all of it under the store's sequencing lock. So a shard nearing its limit
  // asks for its next table, and FillSpareTables, called by appenders after they released the
  // store's locks, allocates and faults those in; the rehash then takes one ready-made.
  // Thread-safe (own mutex), also against every other member.
  void FillSpareTables();

 private:
  static constexpr int kShardBits = 6;
  static constexpr int kHashBits = 28;
  static constexpr uint64_t kHashMask = (uint64_t{1} << kHashBits) - 1;
  // A shard never has more slots than the hash bits a slot keeps can index.
  static constexpr size_t kMaxShardSlots = size_t{1} << kHashBits;
  // LSN << kHashBits | the low kHashBits of the id's hash; 0 = empty (LSN 0 is never an event).
  struct Slot {
    uint64_t word;
    uint64_t lsn() const { return word >> kHashBits; }
    uint64_t hash_bits() const { return word & kHashMask; }
  };
  // Whether the slot holds `id`, whose hash is `h`. REQUIRES: the slot is not empty.
  bool Holds(Slot s, const Uuid& id, uint64_t h) const {
    return s.hash_bits() == (h & kHashMask) && id_at_(Lsn(s.lsn())) == id;
  }
  struct Shard {
    ZeroedTable<Slot> slots;  // size is 0 or a power of two
    size_t size = 0;
    size_t asked_for = 0;     // slot count of the spare table last asked for
    // This shard's entries moved into `table` (empty, a power of two, large enough).
    ZeroedTable<Slot> Rehashed(ZeroedTable<Slot> table) const;
  };
  struct Spare {
    size_t shard;
    size_t slot_count;
    ZeroedTable<Slot> table;  // empty until FillSpareTables made it
  };
  // A table of `slot_count` slots for shard `shard`: a spare if one is ready, else a new one.
  ZeroedTable<Slot> NewTable(size_t shard, size_t slot_count) const;
  void Grow(size_t shard);
  // After an insert: asks FillSpareTables for the shard's next table once it nears its limit.
  void MaybeAskForSpare(size_t shard);
  const Shard& ShardFor(uint64_t h) const { return shards_[h >> (64 - kShardBits)]; }

  IdAt id_at_;
  std::array<Shard, size_t{1} << kShardBits> shards_;
  size_t size_ = 0;
  mutable std::mutex spares_mu_;
  mutable std::vector<Spare> wanted_;  // guarded by spares_mu_: asked for, not made yet
  mutable std::vector<Spare> ready_;   // guarded by spares_mu_: made, faulted in
};

struct EventIdMap::Growth::Table {
  size_t shard;
  size_t entries;  // the shard's size when it was rehashed (checked on commit)
  ZeroedTable<Slot> slots;
};

}  // namespace annal::store
