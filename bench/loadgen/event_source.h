// EventSource: what one load client writes and reads — event ids, entity picks and payloads — so
// that every backend is sent the same events. Deterministic for a seed, cheap enough that a
// single driver thread can produce hundreds of MB/s of events (payload padding is a slice of a
// random pool, not generated per event).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace annal::loadgen {

// The fields every backend stores for an event; the rest comes from EventSource.
inline constexpr std::string_view kEventType = "bench.event";
inline constexpr std::string_view kTenantId = "bench";
// The smallest --payload-bytes that fits the payload's own fields.
inline constexpr size_t kMinPayloadBytes = 40;

class EventSource {
 public:
  // REQUIRES: entities >= 1, payload_bytes >= kMinPayloadBytes.
  EventSource(uint32_t entities, size_t payload_bytes, uint64_t seed);

  struct Event {
    std::string_view event_id;  // UUIDv7 text (time-ordered, like the ids Annal makes itself)
    std::string_view entity_id;
    std::string_view payload;  // a JSON object of exactly payload_bytes bytes
  };
  // The next event to write. The views stay valid until the next call to Next or PickEntity.
  Event Next();
  // A uniformly chosen entity id, for a stream read. Valid until the next call.
  std::string_view PickEntity();

 private:
  uint64_t Random();
  std::string_view EntityName(uint32_t index);

  uint32_t entities_;
  size_t payload_bytes_;
  uint64_t rng_state_;
  uint64_t counter_ = 0;
  std::string pad_pool_;  // random lowercase hex, sliced into payloads
  std::string id_;
  std::string entity_;
  std::string payload_;
};

}  // namespace annal::loadgen
