#include "store/event_log.h"

#include <utility>

#include "core/status.h"

namespace annal::store {

const Event* EventLog::Append(Event e) {
  ANNAL_CHECK(e.sequence == next_lsn());
  if (size_ % kChunkEvents == 0) {
    auto chunk = std::make_unique<std::vector<Event>>();
    chunk->reserve(kChunkEvents);  // never grows past this, so addresses stay stable
    chunks_.push_back(std::move(chunk));
  }
  auto& chunk = *chunks_.back();
  chunk.push_back(std::move(e));
  ++size_;
  return &chunk.back();
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
