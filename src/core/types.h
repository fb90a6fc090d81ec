// Strong types for the numbers that must never be mixed up.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>

namespace annal {

template <typename Tag>
class StrongU64 {
 public:
  constexpr StrongU64() = default;
  constexpr explicit StrongU64(uint64_t v) : v_(v) {}
  constexpr uint64_t value() const { return v_; }
  constexpr StrongU64 next() const { return StrongU64(v_ + 1); }
  constexpr StrongU64 prev() const { return StrongU64(v_ - 1); }
  constexpr auto operator<=>(const StrongU64&) const = default;

 private:
  uint64_t v_ = 0;
};

// Global log sequence number: 1, 2, 3, ... gap-free, never reused. 0 means "none yet".
using Lsn = StrongU64<struct LsnTag>;
// Leadership term; stored in every WAL record. Starts at 1.
using Epoch = StrongU64<struct EpochTag>;
// 1-based position of an event in its (tenant, entity) stream. 0 means "no events yet".
using EntityVersion = StrongU64<struct EntityVersionTag>;

}  // namespace annal

template <typename Tag>
struct std::hash<annal::StrongU64<Tag>> {
  size_t operator()(const annal::StrongU64<Tag>& v) const noexcept {
    return std::hash<uint64_t>()(v.value());
  }
};
