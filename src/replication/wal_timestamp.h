// The time stamp of a replicated WAL entry, in the two text forms the protocol needs:
//   wire (JSON `wal_timestamp`): RFC 3339 UTC, "2026-11-21T14:03:07.123456Z", the form of
//     chrono's serde for DateTime<Utc>, which is what AllSource sends;
//   checksum input: "2026-11-21 14:03:07.123456 UTC", chrono's Display for DateTime<Utc>,
//     which is what AllSource feeds its CRC-32.
// Both print the shortest exact fraction among 3, 6 and 9 digits, and none when it is zero.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"

namespace annal::replication {

// A wall-clock instant with nanosecond resolution. AllSource stamps WAL entries with
// nanoseconds and its checksum covers all of them, so they must survive decoding even though
// Annal itself keeps microseconds. int64 nanoseconds cover 1677..2262.
struct WalTimestamp {
  int64_t unix_nanos = 0;
  // REQUIRES: t within the int64 nanosecond range (any time an Annal clock produced).
  static WalTimestamp FromMicros(TimestampMicros t) { return {t * 1000}; }
  friend bool operator==(const WalTimestamp&, const WalTimestamp&) = default;
};

std::string FormatWalTimestampRfc3339(WalTimestamp t);
// Any RFC 3339 form core/clock.h's ParseRfc3339 accepts (1-9 fraction digits, offsets), kept
// to the nanosecond. nullopt when unparseable or outside the int64 nanosecond range.
std::optional<WalTimestamp> ParseWalTimestamp(std::string_view text);

// "YYYY-MM-DD HH:MM:SS[.fff|.ffffff|.fffffffff] UTC".
std::string FormatAllSourceWalTimestamp(WalTimestamp t);
std::string FormatAllSourceWalTimestamp(TimestampMicros t);

}  // namespace annal::replication
