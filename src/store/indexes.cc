#include "store/indexes.h"

#include "core/status.h"
#include "store/shard_growth.h"

namespace annal::store {

EntityEntry* Indexes::Add(const Event& e, EntityEntry* entity_hint) {
  EntityEntry* entity = entity_hint;
  if (entity == nullptr) {
    auto it = entities_.find(e.entity_id);
    if (it == entities_.end()) {
      it = entities_.emplace(e.entity_id, EntityEntry{}).first;
      entity_births_.push_back(e.sequence);
    }
    entity = &it->second;
  }
  entity->lsns.push_back(e.sequence);

  auto type_it = event_types_.find(e.event_type);
  if (type_it == event_types_.end()) {
    type_it = event_types_.emplace(e.event_type, EventTypeEntry{}).first;
    event_type_births_.push_back(e.sequence);
  }
  type_it->second.lsns.push_back(e.sequence);

  bool inserted = ids_.Insert(e.id, e.sequence);
  // The store deduplicates client ids before sequencing; a collision here is a bug (or two
  // generated v7 ids colliding, which their 74 random bits make practically impossible).
  ANNAL_CHECK_MSG(inserted, "event id indexed twice: " + e.id.ToString());
  return entity;
}

const EntityEntry* Indexes::FindEntity(std::string_view entity_id) const {
  auto it = entities_.find(entity_id);
  return it == entities_.end() ? nullptr : &it->second;
}

const EventTypeEntry* Indexes::FindEventType(std::string_view event_type) const {
  auto it = event_types_.find(event_type);
  return it == event_types_.end() ? nullptr : &it->second;
}

std::optional<Lsn> Indexes::FindEventId(const Uuid& id) const {
  return ids_.Find(id);
}

StreamState& StreamTable::FindOrCreate(std::string_view tenant_id, std::string_view entity_id) {
  scratch_key_.assign(tenant_id);
  scratch_key_.push_back('\0');
  scratch_key_.append(entity_id);
  // The shard comes from the top bits, the slot from the low bits.
  const uint64_t hash = std::hash<std::string_view>()(scratch_key_) * 0x9E3779B97F4A7C15ULL;
  const size_t shard_index = hash >> (64 - kShardBits);
  Shard& shard = shards_[shard_index];
  // A load factor of at most 1/2 to 5/8 keeps probe sequences short (shard_growth.h).
  if (shard.size + 1 > ShardGrowthLimit(shard.slots.size(), shard_index, shards_.size()))
    shard.Grow();
  const size_t mask = shard.slots.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    Slot& slot = shard.slots[i];
    if (slot.node == nullptr) {
      Node& node = nodes_.emplace_back(Node{scratch_key_, StreamState{}});
      slot = Slot{hash, &node};
      ++shard.size;
      return node.state;
    }
    if (slot.hash == hash && slot.node->key == scratch_key_) return slot.node->state;
  }
}

void StreamTable::Shard::Grow() {
  std::vector<Slot> old = std::move(slots);
  slots.assign(old.empty() ? 64 : old.size() * 2, Slot{});
  const size_t mask = slots.size() - 1;
  for (const Slot& s : old) {
    if (s.node == nullptr) continue;
    size_t i = s.hash & mask;
    while (slots[i].node != nullptr) i = (i + 1) & mask;
    slots[i] = s;
  }
}

}  // namespace annal::store
