// Parsers for the text form of configuration values. Flags, environment variables and the TOML
// file all go through these, so one value means the same thing wherever it is written.
// Each returns InvalidArgument with a message that does not name the source; the caller
// prefixes the flag, variable or file key.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"
#include "storage/parquet/event_file.h"

namespace annal::app {

enum class Role { kLeader, kFollower };
enum class ReplicationMode { kAsync, kSemiSync, kSync };
enum class AckTimeoutAction { kDegrade, kFail };

// "leader" | "follower", case-insensitive.
Result<Role> ParseRole(std::string_view text);
// "async"; "semi-sync", "semi_sync", "semisync"; "sync" -- case-insensitive.
Result<ReplicationMode> ParseReplicationMode(std::string_view text);
// "degrade" | "fail", case-insensitive.
Result<AckTimeoutAction> ParseAckTimeoutAction(std::string_view text);
// true/false, 1/0, yes/no, on/off, case-insensitive.
Result<bool> ParseBool(std::string_view text);
// A decimal integer in [min, max]; no sign, no fraction, no trailing junk.
Result<uint64_t> ParseUint(std::string_view text, uint64_t min, uint64_t max);
// A TCP port 0-65535 (0 = let the OS pick; useful in tests) or 1-65535 when !allow_zero.
Result<uint16_t> ParsePort(std::string_view text, bool allow_zero);
// A byte size: "1048576", "512KiB", "256MiB", "1.5GiB", "10MB", "64k". Units are
// case-insensitive: B; K/KiB, M/MiB, G/GiB, T/TiB are powers of 1024; KB, MB, GB, TB are powers
// of 1000. A space between number and unit is allowed. Result must be in [min, max].
Result<uint64_t> ParseSize(std::string_view text, uint64_t min, uint64_t max);
// A duration: a number and a unit, "500ms", "30s", "1.5s", "5m", "1h" (units ms, s, m, h,
// case-insensitive, optional space), or a bare "0". Must be a whole number of milliseconds
// in [min, max].
Result<std::chrono::milliseconds> ParseDuration(std::string_view text, std::chrono::milliseconds min,
                                                std::chrono::milliseconds max);
// "zstd" | "snappy" | "none", case-insensitive: the Parquet page compression.
Result<storage::Compression> ParseParquetCompression(std::string_view text);
// "host:port" with a non-empty host and a port 1-65535. Accepts "[v6addr]:port" and an optional
// "scheme://" prefix and trailing "/" (AllSource's ALLSOURCE_LEADER_URL is sometimes a URL);
// returns the normalized "host:port".
Result<std::string> ParseHostPort(std::string_view text);

std::string_view RoleName(Role r);
// The name /health reports: "async", "semi_sync", "sync".
std::string_view ReplicationModeName(ReplicationMode m);
std::string_view AckTimeoutActionName(AckTimeoutAction a);
// "256 MiB", "1 GiB", "1000 B": exact when possible.
std::string FormatSize(uint64_t bytes);
// "60s", "500ms", "5m", "0": the largest unit that is exact.
std::string FormatDuration(std::chrono::milliseconds d);
std::string_view ParquetCompressionName(storage::Compression c);

}  // namespace annal::app
