// Wall-clock time as microseconds since the Unix epoch, and its RFC 3339 text form.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace annal {

using TimestampMicros = int64_t;

TimestampMicros NowMicros();

// "2026-11-21T14:03:07.123456Z" (always UTC, always 6 fractional digits).
std::string FormatRfc3339(TimestampMicros t);
void AppendRfc3339(std::string& out, TimestampMicros t);

// Parses RFC 3339 / ISO 8601 date-times: "2026-11-21T14:03:07Z", with optional fraction
// (1-9 digits, truncated to microseconds), "Z" or "+HH:MM"/"-HH:MM" offsets, 't'/'z'
// lowercase, and a space instead of 'T'. Also a bare date "2026-11-21" (midnight UTC).
std::optional<TimestampMicros> ParseRfc3339(std::string_view text);

}  // namespace annal
