// Secondary indexes over the EventLog, and the per-stream write state.
//
// Every LSN list is ascending. Because events are indexed when they are sequenced (before they
// are durable), a list may end with a short tail of *pending* LSNs > visible_lsn; readers cut
// that tail off with VisibleEnd(). Pending events are never removed (a WAL failure poisons the
// store instead), so lists only grow.
//
// Synchronization (see store_impl.h for the lock order):
// - Indexes: mutated only with the sequencing lock AND the index lock held exclusively; read
//   with the index lock shared, or with the sequencing lock alone (no writer can be active).
// - StreamTable: only ever touched with the sequencing lock held (or during single-threaded
//   replay). Readers never look at it.
#pragma once

#include <algorithm>
#include <array>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/event.h"
#include "core/types.h"
#include "core/uuid.h"
#include "store/event_id_map.h"
#include "store/event_log.h"
#include "store/lsn_list.h"

namespace annal::store {

// One entity_id across all tenants (entities and streams are listed by entity_id).
struct EntityEntry {
  LsnList lsns;  // every event of this entity_id, any tenant
  Lsn first_lsn() const { return lsns.front(); }
};

struct EventTypeEntry {
  LsnList lsns;
};

class Indexes {
 public:
  using EntityMap = std::map<std::string, EntityEntry, std::less<>>;
  using EventTypeMap = std::map<std::string, EventTypeEntry, std::less<>>;

  // Looks event ids up in `log` (EventIdMap::IdAt), which must outlive the indexes and hold
  // every event before it is added.
  explicit Indexes(const EventLog& log)
      : ids_([&log](Lsn lsn) -> const Uuid& { return log.At(lsn).id; }) {}
  // A copy's remembered event type would point into the original's map.
  Indexes(const Indexes&) = delete;
  Indexes& operator=(const Indexes&) = delete;

  // Indexes `e`. REQUIRES: e.sequence is greater than every LSN indexed before. `entity_hint`,
  // when not null, must be the entry for e.entity_id (a cached result of an earlier Add);
  // returns the entity's entry, whose address is stable for the index's life.
  EntityEntry* Add(const Event& e, EntityEntry* entity_hint) {
    return Add(e, entity_hint, EventIdMap::Hash(e.id));
  }
  // REQUIRES: id_hash == EventIdMap::Hash(e.id).
  EntityEntry* Add(const Event& e, EntityEntry* entity_hint, uint64_t id_hash);
  // Starts loading where Add will append to this entity's LSN list: a batch spread over many
  // entities misses the cache there for nearly every event.
  static void PrefetchAdd(const EntityEntry& entity) { entity.lsns.PrefetchNextSlot(); }

  const EntityEntry* FindEntity(std::string_view entity_id) const;
  const EventTypeEntry* FindEventType(std::string_view event_type) const;
  // The LSN of the event with this id, pending or visible.
  std::optional<Lsn> FindEventId(const Uuid& id) const { return ids_.Find(id); }
  // REQUIRES: id_hash == EventIdMap::Hash(id).
  std::optional<Lsn> FindEventId(const Uuid& id, uint64_t id_hash) const {
    return ids_.Find(id, id_hash);
  }
  void PrefetchEventId(uint64_t id_hash) const { ids_.Prefetch(id_hash); }
  // EventIdMap::PrepareGrowth / CommitGrowth: PrepareIdGrowth needs only the sequencing lock
  // (no Add may run beside it), CommitIdGrowth the index lock as well.
  EventIdMap::Growth PrepareIdGrowth(std::span<const uint64_t> id_hashes) const {
    return ids_.PrepareGrowth(id_hashes);
  }
  void CommitIdGrowth(EventIdMap::Growth& growth) { ids_.CommitGrowth(growth); }
  // EventIdMap::FillSpareTables. Thread-safe; call without the store's locks.
  void FillSpareIdTables() { ids_.FillSpareTables(); }

  const EntityMap& entities() const { return entities_; }
  const EventTypeMap& event_types() const { return event_types_; }

  // Entities / event types that have at least one event with LSN <= visible. O(log n).
  size_t EntityCount(Lsn visible) const { return CountUpTo(entity_births_, visible); }
  size_t EventTypeCount(Lsn visible) const { return CountUpTo(event_type_births_, visible); }

 private:
  static size_t CountUpTo(const LsnList& births, Lsn visible) {
    return births.UpperBound(visible);
  }

  EntityMap entities_;
  EventTypeMap event_types_;
  // The entry Add used last: consecutive events mostly share their type.
  EventTypeMap::value_type* last_event_type_ = nullptr;
  EventIdMap ids_;
  // LSN of the first event of each entity / event type, ascending (they are created in LSN
  // order), so "how many exist as of LSN x" is a binary search.
  LsnList entity_births_;
  LsnList event_type_births_;
};

// Write-side state of one (tenant_id, entity_id) stream: its version counting pending events,
// which is what expected_version is checked against.
struct StreamState {
  EntityVersion version;
  EntityEntry* entity = nullptr;  // cached Indexes entry, set once the stream has an event
  // Scratch for checking a batch without touching `version` (so a rejected batch needs no
  // undo): valid only while batch_id equals the batch being checked.
  uint64_t batch_id = 0;
  EntityVersion batch_version;
};

class StreamTable {
 public:
  StreamTable() = default;
  StreamTable(const StreamTable&) = delete;
  StreamTable& operator=(const StreamTable&) = delete;

  // The hash FindOrCreate looks a stream up by. It needs no lock, so an appender computes it
  // for its whole batch before it takes the sequencing lock.
  static uint64_t Hash(std::string_view tenant_id, std::string_view entity_id);

  // Returned references stay valid for the table's life (nodes never move, nothing erased).
  StreamState& FindOrCreate(std::string_view tenant_id, std::string_view entity_id) {
    return FindOrCreate(tenant_id, entity_id, Hash(tenant_id, entity_id));
  }
  // REQUIRES: hash == Hash(tenant_id, entity_id).
  StreamState& FindOrCreate(std::string_view tenant_id, std::string_view entity_id,
                            uint64_t hash);

  // Two prefetch stages for a batch's lookups, each about one cache miss: PrefetchSlot starts
  // loading the slot `hash` probes first; PrefetchStream, issued once that slot is cached,
  // starts loading the stream it points to (key and state share the node).
  void PrefetchSlot(uint64_t hash) const;
  void PrefetchStream(uint64_t hash) const;

  size_t size() const { return size_; }

 private:
  // Every append looks its stream up here under the sequencing lock, and a workload with many
  // streams makes this the hottest table after the event ids. Open addressing over flat
  // (hash, node) slots costs one cache miss per probe where std::unordered_map walked a node
  // chain; 64 shards that grow on their own keep each rehash (under the lock) small. A node
  // holds the key bytes right after the state, so that checking a hit touches one node and no
  // separately allocated string.
  struct Node {
    StreamState state;
    uint32_t tenant_size;
    uint32_t entity_size;
    const char* key() const { return reinterpret_cast<const char*>(this + 1); }
    bool Is(std::string_view tenant_id, std::string_view entity_id) const;
  };
  struct Slot {
    uint64_t hash = 0;
    Node* node = nullptr;  // nullptr = empty
  };
  struct Shard {
    std::vector<Slot> slots;  // size is 0 or a power of two
    size_t size = 0;
    void Grow();
  };
  static constexpr int kShardBits = 6;

  const Shard& ShardFor(uint64_t hash) const { return shards_[hash >> (64 - kShardBits)]; }
  Node* NewNode(std::string_view tenant_id, std::string_view entity_id);

  std::array<Shard, size_t{1} << kShardBits> shards_;
  size_t size_ = 0;
  // Nodes are bump-allocated from chunks that are never freed (nothing is erased).
  std::vector<std::unique_ptr<char[]>> chunks_;
  char* free_ = nullptr;
  size_t free_bytes_ = 0;
};

}  // namespace annal::store
