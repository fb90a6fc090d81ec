#include "store/event_id_map.h"

#include "core/status.h"

namespace annal::store {

size_t EventIdMap::IndexFor(const Uuid& id) const {
  // Client ids can be anything (sequential, crafted), so mix every bit into the low bits the
  // mask keeps (murmur3's 64-bit finalizer).
  uint64_t h = UuidHash()(id);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return static_cast<size_t>(h) & (slots_.size() - 1);
}

bool EventIdMap::Insert(const Uuid& id, Lsn lsn) {
  ANNAL_CHECK(lsn.value() != 0);
  // Keep the load factor <= 1/2 so probe sequences stay short.
  if ((size_ + 1) * 2 > slots_.size()) Grow();
  const size_t mask = slots_.size() - 1;
  for (size_t i = IndexFor(id);; i = (i + 1) & mask) {
    Slot& s = slots_[i];
    if (s.lsn == 0) {
      s.id = id;
      s.lsn = lsn.value();
      ++size_;
      return true;
    }
    if (s.id == id) return false;
  }
}

std::optional<Lsn> EventIdMap::Find(const Uuid& id) const {
  if (slots_.empty()) return std::nullopt;
  const size_t mask = slots_.size() - 1;
  for (size_t i = IndexFor(id);; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.lsn == 0) return std::nullopt;
    if (s.id == id) return Lsn(s.lsn);
  }
}

void EventIdMap::Grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.empty() ? 1024 : old.size() * 2, Slot{});
  const size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.lsn == 0) continue;
    size_t i = IndexFor(s.id);
    while (slots_[i].lsn != 0) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

}  // namespace annal::store
