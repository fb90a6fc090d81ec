#include "store/event_log.h"

#include <memory>
#include <new>
#include <utility>

#include "core/status.h"
#include "store/zeroed_table.h"

namespace annal::store {

EventLog::Chunk::Chunk() : events(static_cast<Event*>(::operator new(kChunkBytes))) {}

EventLog::Chunk::~Chunk() {
  std::destroy_n(events, size);
  ::operator delete(events);
}

const Event* EventLog::Append(Event&& e) {
  ANNAL_CHECK(e.sequence == next_lsn());
  if (size_ % kChunkEvents == 0) {
    std::unique_ptr<Chunk> chunk;
    if (spare_ready_.load(std::memory_order_acquire)) {
      std::lock_guard lock(spare_mu_);
      chunk = std::move(spare_);
      spare_ready_.store(false, std::memory_order_release);
    }
    if (!chunk) chunk = std::make_unique<Chunk>();
    chunks_.push_back(std::move(chunk));
  }
  Chunk& chunk = *chunks_.back();
  Event* stored = new (&chunk.events[chunk.size]) Event(std::move(e));
  ++chunk.size;
  ++size_;
  return stored;
}

void EventLog::PrepareNextChunk() {
  if (spare_ready_.load(std::memory_order_acquire) || preparing_.exchange(true)) return;
  std::unique_ptr<Chunk> chunk;
  try {
    chunk = std::make_unique<Chunk>();
  } catch (const std::bad_alloc&) {
    // Only the head start is lost: Append allocates the chunk itself (and fails loudly there).
    preparing_.store(false, std::memory_order_release);
    return;
  }
  FaultInPages(chunk->events, kChunkBytes);  // raw storage, no objects in it yet
  {
    std::lock_guard lock(spare_mu_);
    spare_ = std::move(chunk);
    spare_ready_.store(true, std::memory_order_release);
  }
  preparing_.store(false, std::memory_order_release);
}

namespace {

// Binary search over LSNs [lo, hi] for the first one where pred(event) is true, given that
// pred is monotone (false...false true...true) along the log.
template <typename Pred>
Lsn PartitionPoint(const EventLog& log, Lsn lo, Lsn hi, Pred pred) {
  uint64_t a = lo.value(), b = hi.value() + 1;  // search in [a, b)
  while (a < b) {
    uint64_t mid = a + (b - a) / 2;
    if (pred(log.At(Lsn(mid)))) {
      b = mid;
    } else {
      a = mid + 1;
    }
  }
  return Lsn(a);
}

}  // namespace

Lsn EventLog::LowerBoundTimestamp(Lsn lo, Lsn hi, TimestampMicros t) const {
  if (lo > hi) return lo;
  return PartitionPoint(*this, lo, hi, [t](const Event& e) { return e.timestamp >= t; });
}

Lsn EventLog::UpperBoundTimestamp(Lsn lo, Lsn hi, TimestampMicros t) const {
  if (lo > hi) return lo;
  return PartitionPoint(*this, lo, hi, [t](const Event& e) { return e.timestamp > t; });
}

}  // namespace annal::store
