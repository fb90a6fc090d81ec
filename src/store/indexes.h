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

namespace annal::store {

// Number of leading entries of an ascending LSN list that are <= visible. Scans from the back
// because only the (short) pending tail is ever beyond the watermark.
inline size_t VisibleEnd(std::span<const Lsn> lsns, Lsn visible) {
  size_t n = lsns.size();
  while (n > 0 && lsns[n - 1] > visible) --n;
  return n;
}

// One entity_id across all tenants (entities and streams are listed by entity_id).
struct EntityEntry {
  std::vector<Lsn> lsns;  // every event of this entity_id, any tenant
  Lsn first_lsn() const { return lsns.front(); }
};

struct EventTypeEntry {
  std::vector<Lsn> lsns;
};

class Indexes {
 public:
  using EntityMap = std::map<std::string, EntityEntry, std::less<>>;
  using EventTypeMap = std::map<std::string, EventTypeEntry, std::less<>>;

  // Indexes `e`. REQUIRES: e.sequence is greater than every LSN indexed before. `entity_hint`,
  // when not null, must be the entry for e.entity_id (a cached result of an earlier Add);
  // returns the entity's entry, whose address is stable for the index's life.
  EntityEntry* Add(const Event& e, EntityEntry* entity_hint);

  const EntityEntry* FindEntity(std::string_view entity_id) const;
  const EventTypeEntry* FindEventType(std::string_view event_type) const;
  // The LSN of the event with this id, pending or visible.
  std::optional<Lsn> FindEventId(const Uuid& id) const;
  void PrefetchEventId(const Uuid& id) const { ids_.Prefetch(id); }
  // EventIdMap::PrepareGrowth / CommitGrowth: PrepareIdGrowth needs only the sequencing lock
  // (no Add may run beside it), CommitIdGrowth the index lock as well.
  EventIdMap::Growth PrepareIdGrowth(std::span<const Uuid> ids) const {
    return ids_.PrepareGrowth(ids);
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
  static size_t CountUpTo(const std::vector<Lsn>& births, Lsn visible) {
    return std::upper_bound(births.begin(), births.end(), visible) - births.begin();
  }

  EntityMap entities_;
  EventTypeMap event_types_;
  EventIdMap ids_;
  // LSN of the first event of each entity / event type, ascending (they are created in LSN
  // order), so "how many exist as of LSN x" is a binary search.
  std::vector<Lsn> entity_births_;
  std::vector<Lsn> event_type_births_;
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
  // Returned references stay valid for the table's life (nodes never move, nothing erased).
  StreamState& FindOrCreate(std::string_view tenant_id, std::string_view entity_id);
  size_t size() const { return nodes_.size(); }

 private:
  // Every append looks its stream up here under the sequencing lock, and a workload with many
  // streams makes this the hottest table after the event ids. Open addressing over flat
  // (hash, node) slots costs one cache miss per probe where std::unordered_map walked a node
  // chain; 64 shards that grow on their own keep each rehash (under the lock) small.
  struct Node {
    std::string key;  // tenant_id + '\0' + entity_id ('\0' cannot occur in a tenant_id)
    StreamState state;
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

  std::array<Shard, size_t{1} << kShardBits> shards_;
  std::deque<Node> nodes_;   // stable addresses
  std::string scratch_key_;  // reused so a lookup of an existing stream does not allocate
};

}  // namespace annal::store
