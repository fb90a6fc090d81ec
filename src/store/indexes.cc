#include "store/indexes.h"

#include "core/status.h"

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
  auto it = streams_.find(scratch_key_);
  if (it != streams_.end()) return it->second;
  return streams_.emplace(scratch_key_, StreamState{}).first->second;
}

}  // namespace annal::store
