#include "store/indexes.h"

#include <cstring>
#include <new>

#include "core/status.h"
#include "store/shard_growth.h"

namespace annal::store {

EntityEntry* Indexes::Add(const Event& e, EntityEntry* entity_hint, uint64_t id_hash) {
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

  if (last_event_type_ == nullptr || last_event_type_->first != e.event_type) {
    auto type_it = event_types_.find(e.event_type);
    if (type_it == event_types_.end()) {
      type_it = event_types_.emplace(e.event_type, EventTypeEntry{}).first;
      event_type_births_.push_back(e.sequence);
    }
    last_event_type_ = &*type_it;
  }
  last_event_type_->second.lsns.push_back(e.sequence);

  bool inserted = ids_.Insert(e.id, e.sequence, id_hash);
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

uint64_t StreamTable::Hash(std::string_view tenant_id, std::string_view entity_id) {
  // The shard comes from the top bits, the slot from the low bits: the final multiply mixes
  // both halves into the top.
  const std::hash<std::string_view> h;
  return (h(entity_id) ^ (h(tenant_id) * 0xC2B2AE3D27D4EB4FULL)) * 0x9E3779B97F4A7C15ULL;
}

bool StreamTable::Node::Is(std::string_view tenant_id, std::string_view entity_id) const {
  return tenant_size == tenant_id.size() && entity_size == entity_id.size() &&
         std::memcmp(key(), tenant_id.data(), tenant_size) == 0 &&
         std::memcmp(key() + tenant_size, entity_id.data(), entity_size) == 0;
}

StreamTable::Node* StreamTable::NewNode(std::string_view tenant_id, std::string_view entity_id) {
  const size_t bytes =
      (sizeof(Node) + tenant_id.size() + entity_id.size() + alignof(Node) - 1) & ~(alignof(Node) - 1);
  if (bytes > free_bytes_) {
    constexpr size_t kChunkBytes = size_t{64} << 10;
    const size_t chunk = std::max(bytes, kChunkBytes);
    chunks_.push_back(std::make_unique<char[]>(chunk));
    free_ = chunks_.back().get();
    free_bytes_ = chunk;
  }
  Node* node = new (free_) Node{StreamState{}, static_cast<uint32_t>(tenant_id.size()),
                                static_cast<uint32_t>(entity_id.size())};
  char* key = free_ + sizeof(Node);
  std::memcpy(key, tenant_id.data(), tenant_id.size());
  std::memcpy(key + tenant_id.size(), entity_id.data(), entity_id.size());
  free_ += bytes;
  free_bytes_ -= bytes;
  return node;
}

StreamState& StreamTable::FindOrCreate(std::string_view tenant_id, std::string_view entity_id,
                                       uint64_t hash) {
  const size_t shard_index = hash >> (64 - kShardBits);
  Shard& shard = shards_[shard_index];
  // A load factor of at most 1/2 to 5/8 keeps probe sequences short (shard_growth.h).
  if (shard.size + 1 > ShardGrowthLimit(shard.slots.size(), shard_index, shards_.size()))
    shard.Grow();
  const size_t mask = shard.slots.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    Slot& slot = shard.slots[i];
    if (slot.node == nullptr) {
      slot = Slot{hash, NewNode(tenant_id, entity_id)};
      ++shard.size;
      ++size_;
      return slot.node->state;
    }
    if (slot.hash == hash && slot.node->Is(tenant_id, entity_id)) return slot.node->state;
  }
}

void StreamTable::PrefetchSlot(uint64_t hash) const {
  const Shard& shard = ShardFor(hash);
  if (!shard.slots.empty()) __builtin_prefetch(&shard.slots[hash & (shard.slots.size() - 1)]);
}

void StreamTable::PrefetchStream(uint64_t hash) const {
  const Shard& shard = ShardFor(hash);
  if (shard.slots.empty()) return;
  const Slot& slot = shard.slots[hash & (shard.slots.size() - 1)];
  if (slot.hash == hash) __builtin_prefetch(slot.node);
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
