// EventLog: the in-memory, append-only sequence of events, addressed by LSN.
//
// Events live in fixed-capacity chunks that are never reallocated or freed before the log, so
// a `const Event*` stays valid for the log's life (QueryResult and EntityState hand those out).
// LSNs are contiguous: the log holds exactly first_lsn()..last_lsn().
//
// Not internally synchronized. The store mutates it only while holding both its sequencing
// lock and its index lock exclusively; readers hold the index lock shared. An Event is
// immutable once appended, so a pointer obtained under the lock may be read without it.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "core/clock.h"
#include "core/event.h"
#include "core/types.h"

namespace annal::store {

class EventLog {
 public:
  explicit EventLog(Lsn first = Lsn(1)) : first_(first) {}

  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  // REQUIRES: e.sequence == next_lsn() and e.timestamp >= the previous event's timestamp
  // (the store guarantees both; the timestamp searches below rely on the second).
  const Event* Append(Event&& e);

  // Makes the chunk after the current one ready: allocated, and every page of it touched. The
  // Append that opens a chunk runs under the store's locks, and first touches of fresh memory
  // are page faults (a few µs each on a VM, ~200 per chunk) that every other appender and
  // reader would wait for. Thread-safe, also against Append; call it without the store's locks.
  // Out of memory, it does nothing.
  void PrepareNextChunk();

  Lsn first_lsn() const { return first_; }
  Lsn last_lsn() const { return Lsn(first_.value() + size_ - 1); }  // first-1 when empty
  Lsn next_lsn() const { return Lsn(first_.value() + size_); }
  size_t size() const { return size_; }
  bool Contains(Lsn lsn) const { return lsn >= first_ && lsn.value() < first_.value() + size_; }

  // REQUIRES: Contains(lsn).
  const Event& At(Lsn lsn) const {
    size_t i = lsn.value() - first_.value();
    return chunks_[i / kChunkEvents]->events[i % kChunkEvents];
  }

  // First LSN in [lo, hi] whose timestamp is >= t, or hi+1 when there is none.
  // REQUIRES: lo..hi within the log (or lo > hi).
  Lsn LowerBoundTimestamp(Lsn lo, Lsn hi, TimestampMicros t) const;
  // First LSN in [lo, hi] whose timestamp is > t, or hi+1 when there is none.
  Lsn UpperBoundTimestamp(Lsn lo, Lsn hi, TimestampMicros t) const;

 private:
  // ~1 MiB of Event headers per chunk: big enough that the chunk table stays small, small
  // enough that an empty store does not reserve much.
  static constexpr size_t kChunkEvents = 4096;
  static constexpr size_t kChunkBytes = kChunkEvents * sizeof(Event);

  // Room for kChunkEvents events, constructed in place one by one and never moved.
  struct Chunk {
    Chunk();
    ~Chunk();
    Chunk(const Chunk&) = delete;
    Chunk& operator=(const Chunk&) = delete;
    Event* events;    // raw storage; the first `size` are constructed
    size_t size = 0;
  };

  std::vector<std::unique_ptr<Chunk>> chunks_;
  Lsn first_;
  size_t size_ = 0;
  std::mutex spare_mu_;
  std::unique_ptr<Chunk> spare_;          // guarded by spare_mu_: the next chunk, if prepared
  std::atomic<bool> spare_ready_{false};  // spare_ != nullptr, readable without the mutex
  std::atomic<bool> preparing_{false};    // one PrepareNextChunk at a time does the work
};

}  // namespace annal::store
