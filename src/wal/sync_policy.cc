// SyncPolicy parsing and printing (the --wal-sync flag).
#include <charconv>

#include "wal/wal.h"

namespace annal::wal {
namespace {

// An interval longer than this is almost certainly a unit mistake (seconds typed as ms would be
// fine; hours of unsynced acknowledged writes are not).
constexpr uint64_t kMaxIntervalMs = 60'000;

}  // namespace

Result<SyncPolicy> SyncPolicy::Parse(std::string_view text) {
  SyncPolicy p;
  if (text == "always") return p;
  if (text == "never") {
    p.mode = SyncMode::kNever;
    return p;
  }
  constexpr std::string_view kInterval = "interval:";
  if (text.starts_with(kInterval)) {
    std::string_view digits = text.substr(kInterval.size());
    uint64_t ms = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), ms);
    if (!digits.empty() && ec == std::errc() && end == digits.data() + digits.size() && ms >= 1 &&
        ms <= kMaxIntervalMs) {
      p.mode = SyncMode::kInterval;
      p.interval = std::chrono::milliseconds(ms);
      return p;
    }
    return InvalidArgument("wal sync policy: interval must be interval:<ms> with 1 <= ms <= " +
                           std::to_string(kMaxIntervalMs) + ", got '" + std::string(text) + "'");
  }
  return InvalidArgument("wal sync policy must be always, interval:<ms> or never, got '" +
                         std::string(text) + "'");
}

std::string SyncPolicy::ToString() const {
  switch (mode) {
    case SyncMode::kAlways: return "always";
    case SyncMode::kInterval: return "interval:" + std::to_string(interval.count());
    case SyncMode::kNever: return "never";
  }
  return "always";
}

}  // namespace annal::wal
