#include "event_source.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <chrono>

namespace annal::loadgen {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// splitmix64's output function: a bijective hash of 64 bits.
uint64_t Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

// The state is the hashed seed, not seed * increment: splitmix64 adds the increment per draw,
// so states seed*G and (seed+1)*G would be the same sequence shifted by one draw, and clients
// with consecutive seeds would make the same event ids a moment apart.
EventSource::EventSource(uint32_t entities, size_t payload_bytes, uint64_t seed)
    : entities_(entities),
      payload_bytes_(payload_bytes),
      rng_state_(Mix(seed ^ 0x5851F42D4C957F2Dull)) {
  assert(entities >= 1 && payload_bytes >= kMinPayloadBytes);
  pad_pool_.resize(std::max<size_t>(64 * 1024, 2 * payload_bytes));
  for (char& c : pad_pool_) c = kHex[Random() & 15];
  id_.resize(36);
  payload_.reserve(payload_bytes);
}

// splitmix64: fast, and good enough to spread entity picks and ids.
uint64_t EventSource::Random() { return Mix(rng_state_ += 0x9E3779B97F4A7C15ull); }

std::string_view EventSource::EntityName(uint32_t index) {
  char digits[16];
  const auto end = std::to_chars(digits, digits + sizeof digits, index).ptr;
  entity_.assign("entity-");
  entity_.append(digits, end);
  return entity_;
}

std::string_view EventSource::PickEntity() {
  return EntityName(static_cast<uint32_t>(Random() % entities_));
}

EventSource::Event EventSource::Next() {
  // UUIDv7: 48-bit Unix milliseconds, version 7, 12 random bits, variant 10, 62 random bits.
  const auto ms = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                            std::chrono::system_clock::now().time_since_epoch())
                                            .count());
  const uint64_t r1 = Random(), r2 = Random();
  const uint64_t hi = (ms << 16) | 0x7000 | (r1 & 0x0FFF);
  const uint64_t lo = (r2 & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;
  size_t pos = 0;
  auto put = [&](uint64_t v, int nibbles) {
    for (int i = nibbles - 1; i >= 0; --i) {
      if (pos == 8 || pos == 13 || pos == 18 || pos == 23) id_[pos++] = '-';
      id_[pos++] = kHex[(v >> (4 * i)) & 15];
    }
  };
  put(hi, 16);
  put(lo, 16);

  // {"n":<counter>,"pad":"<hex>"} padded to exactly payload_bytes_.
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, ++counter_).ptr;
  payload_.assign(R"({"n":)");
  payload_.append(digits, end);
  payload_.append(R"(,"pad":")");
  const size_t pad = payload_bytes_ - payload_.size() - 2;
  payload_.append(pad_pool_, Random() % (pad_pool_.size() - pad), pad);
  payload_.append(R"("})");
  const uint32_t entity = static_cast<uint32_t>(Random() % entities_);
  return Event{id_, EntityName(entity), payload_};
}

}  // namespace annal::loadgen
