// EventIdMap: event id -> LSN, for idempotency checks and GetEvent.
//
// Every event gets an entry, so this is the biggest index and sits on the append hot path.
// Open addressing with linear probing over one flat array: an insert or lookup costs about one
// cache miss and no allocation (std::unordered_map costs a node allocation per insert and a
// pointer chase per probe, which profiling showed as the top append cost). Nothing is ever
// erased. Growth doubles the table (amortized O(1); the rehash runs under the caller's
// exclusive lock).
//
// Not synchronized; guarded like the other indexes (see indexes.h).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/types.h"
#include "core/uuid.h"

namespace annal::store {

class EventIdMap {
 public:
  // Returns false (and changes nothing) if `id` is already present. REQUIRES: lsn != 0.
  bool Insert(const Uuid& id, Lsn lsn);
  std::optional<Lsn> Find(const Uuid& id) const;
  size_t size() const { return size_; }

 private:
  struct Slot {
    Uuid id;
    uint64_t lsn = 0;  // 0 = empty (LSN 0 is never an event)
  };
  size_t IndexFor(const Uuid& id) const;
  void Grow();

  std::vector<Slot> slots_;  // size is 0 or a power of two
  size_t size_ = 0;
};

}  // namespace annal::store
