#include "app/config_values.h"

#include <cctype>
#include <cmath>
#include <limits>

namespace annal::app {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string Quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

}  // namespace

Result<Role> ParseRole(std::string_view text) {
  std::string v = Lower(Trim(text));
  if (v == "leader") return Role::kLeader;
  if (v == "follower") return Role::kFollower;
  return InvalidArgument(Quoted(text) + " is not a role (expected leader or follower)");
}

Result<ReplicationMode> ParseReplicationMode(std::string_view text) {
  std::string v = Lower(Trim(text));
  if (v == "async") return ReplicationMode::kAsync;
  if (v == "semi-sync" || v == "semi_sync" || v == "semisync") return ReplicationMode::kSemiSync;
  if (v == "sync") return ReplicationMode::kSync;
  return InvalidArgument(Quoted(text) +
                         " is not a replication mode (expected async, semi-sync or sync)");
}

Result<AckTimeoutAction> ParseAckTimeoutAction(std::string_view text) {
  std::string v = Lower(Trim(text));
  if (v == "degrade") return AckTimeoutAction::kDegrade;
  if (v == "fail") return AckTimeoutAction::kFail;
  return InvalidArgument(Quoted(text) + " is not an ack-timeout action (expected degrade or fail)");
}

Result<bool> ParseBool(std::string_view text) {
  std::string v = Lower(Trim(text));
  if (v == "true" || v == "1" || v == "yes" || v == "on") return true;
  if (v == "false" || v == "0" || v == "no" || v == "off") return false;
  return InvalidArgument(Quoted(text) + " is not a boolean (expected true or false)");
}

Result<uint64_t> ParseUint(std::string_view text, uint64_t min, uint64_t max) {
  std::string_view t = Trim(text);
  if (t.empty()) return InvalidArgument("empty value (expected a number)");
  uint64_t v = 0;
  for (char c : t) {
    if (c < '0' || c > '9') return InvalidArgument(Quoted(text) + " is not a whole number");
    unsigned d = static_cast<unsigned>(c - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10)
      return InvalidArgument(Quoted(text) + " is too large");
    v = v * 10 + d;
  }
  if (v < min || v > max)
    return InvalidArgument(Quoted(text) + " is out of range (" + std::to_string(min) + "-" +
                           std::to_string(max) + ")");
  return v;
}

Result<uint16_t> ParsePort(std::string_view text, bool allow_zero) {
  auto v = ParseUint(text, allow_zero ? 0 : 1, 65535);
  if (!v.ok())
    return InvalidArgument(Quoted(text) + " is not a TCP port (" + (allow_zero ? "0" : "1") +
                           "-65535)");
  return static_cast<uint16_t>(*v);
}

Result<uint64_t> ParseSize(std::string_view text, uint64_t min, uint64_t max) {
  std::string_view t = Trim(text);
  size_t i = 0;
  while (i < t.size() && (std::isdigit(static_cast<unsigned char>(t[i])) || t[i] == '.')) ++i;
  std::string_view number = t.substr(0, i);
  std::string unit = Lower(Trim(t.substr(i)));
  if (number.empty() || number.front() == '.' || number.back() == '.' ||
      number.find('.') != number.rfind('.'))
    return InvalidArgument(Quoted(text) + " is not a size (e.g. 1048576, 512KiB, 256MiB, 1GiB)");

  long double mult = 0;
  if (unit.empty() || unit == "b") mult = 1;
  else if (unit == "k" || unit == "kib") mult = 1024.0L;
  else if (unit == "m" || unit == "mib") mult = 1024.0L * 1024;
  else if (unit == "g" || unit == "gib") mult = 1024.0L * 1024 * 1024;
  else if (unit == "t" || unit == "tib") mult = 1024.0L * 1024 * 1024 * 1024;
  else if (unit == "kb") mult = 1e3L;
  else if (unit == "mb") mult = 1e6L;
  else if (unit == "gb") mult = 1e9L;
  else if (unit == "tb") mult = 1e12L;
  else
    return InvalidArgument(Quoted(text) + " has an unknown size unit (use B, KiB, MiB, GiB, TiB, "
                                          "KB, MB, GB or TB)");

  // Parse by hand: std::stold depends on the locale and accepts things we do not want.
  long double value = 0;
  long double scale = 0;  // 0 = before the point
  for (char c : number) {
    if (c == '.') { scale = 1; continue; }
    if (scale == 0) {
      value = value * 10 + (c - '0');
    } else {
      scale /= 10;
      value += (c - '0') * scale;
    }
  }
  long double bytes = std::floor(value * mult);
  if (bytes > static_cast<long double>(std::numeric_limits<uint64_t>::max()) ||
      bytes > static_cast<long double>(max) || bytes < static_cast<long double>(min))
    return InvalidArgument(Quoted(text) + " is out of range (" + FormatSize(min) + " - " +
                           FormatSize(max) + ")");
  if (bytes != value * mult)
    return InvalidArgument(Quoted(text) + " is not a whole number of bytes");
  return static_cast<uint64_t>(bytes);
}

namespace {

// "1.5" -> (15, 10): the digits of a decimal number without sign or exponent, scaled.
bool ParseDecimal(std::string_view number, uint64_t* numerator, uint64_t* denominator) {
  if (number.empty() || number.front() == '.' || number.back() == '.' ||
      number.find('.') != number.rfind('.'))
    return false;
  uint64_t num = 0, den = 1;
  bool fraction = false;
  for (char c : number) {
    if (c == '.') { fraction = true; continue; }
    if (c < '0' || c > '9') return false;
    if (num > (std::numeric_limits<uint64_t>::max() / 10 - 9) || den > 1'000'000'000'000ull)
      return false;
    num = num * 10 + static_cast<uint64_t>(c - '0');
    if (fraction) den *= 10;
  }
  *numerator = num;
  *denominator = den;
  return true;
}

}  // namespace

Result<std::chrono::milliseconds> ParseDuration(std::string_view text, std::chrono::milliseconds min,
                                                std::chrono::milliseconds max) {
  std::string_view t = Trim(text);
  size_t i = 0;
  while (i < t.size() && (std::isdigit(static_cast<unsigned char>(t[i])) || t[i] == '.')) ++i;
  std::string_view number = t.substr(0, i);
  std::string unit = Lower(Trim(t.substr(i)));
  uint64_t num = 0, den = 1;
  if (!ParseDecimal(number, &num, &den))
    return InvalidArgument(Quoted(text) + " is not a duration (e.g. 500ms, 30s, 5m)");
  uint64_t ms_per_unit = 0;
  if (unit == "ms") ms_per_unit = 1;
  else if (unit == "s") ms_per_unit = 1000;
  else if (unit == "m" || unit == "min") ms_per_unit = 60'000;
  else if (unit == "h") ms_per_unit = 3'600'000;
  else if (unit.empty() && num == 0) ms_per_unit = 1;  // a bare 0 needs no unit
  else if (unit.empty())
    return InvalidArgument(Quoted(text) + " needs a unit: ms, s, m or h (e.g. " +
                           std::string(number) + "s)");
  else
    return InvalidArgument(Quoted(text) + " has an unknown duration unit (use ms, s, m or h)");
  if (num > std::numeric_limits<uint64_t>::max() / ms_per_unit)
    return InvalidArgument(Quoted(text) + " is too large");
  uint64_t scaled = num * ms_per_unit;
  if (scaled % den != 0)
    return InvalidArgument(Quoted(text) + " is not a whole number of milliseconds");
  uint64_t ms = scaled / den;
  if (ms < static_cast<uint64_t>(min.count()) || ms > static_cast<uint64_t>(max.count()))
    return InvalidArgument(Quoted(text) + " is out of range (" + FormatDuration(min) + " - " +
                           FormatDuration(max) + ")");
  return std::chrono::milliseconds(static_cast<int64_t>(ms));
}

Result<storage::Compression> ParseParquetCompression(std::string_view text) {
  std::string v = Lower(Trim(text));
  if (v == "zstd") return storage::Compression::kZstd;
  if (v == "snappy") return storage::Compression::kSnappy;
  if (v == "none") return storage::Compression::kNone;
  return InvalidArgument(Quoted(text) + " is not a Parquet compression (expected zstd, snappy or none)");
}

std::string_view ParquetCompressionName(storage::Compression c) {
  switch (c) {
    case storage::Compression::kZstd: return "zstd";
    case storage::Compression::kSnappy: return "snappy";
    case storage::Compression::kNone: return "none";
  }
  return "zstd";
}

std::string FormatDuration(std::chrono::milliseconds d) {
  int64_t ms = d.count();
  if (ms == 0) return "0";
  if (ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

Result<std::string> ParseHostPort(std::string_view text) {
  std::string_view t = Trim(text);
  if (auto p = t.find("://"); p != std::string_view::npos) t.remove_prefix(p + 3);
  while (!t.empty() && t.back() == '/') t.remove_suffix(1);
  auto bad = [&] {
    return InvalidArgument(Quoted(text) + " is not HOST:PORT (e.g. 10.0.0.5:3910)");
  };
  size_t colon = t.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return bad();
  std::string_view host = t.substr(0, colon);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return bad();
  } else if (host.find(':') != std::string_view::npos) {
    return bad();  // a bare IPv6 address needs brackets
  }
  for (char c : host)
    if (std::isspace(static_cast<unsigned char>(c)) || c == '/') return bad();
  auto port = ParsePort(t.substr(colon + 1), /*allow_zero=*/false);
  if (!port.ok()) return bad();
  return std::string(host) + ":" + std::to_string(*port);
}

std::string_view RoleName(Role r) { return r == Role::kLeader ? "leader" : "follower"; }

std::string_view ReplicationModeName(ReplicationMode m) {
  switch (m) {
    case ReplicationMode::kAsync: return "async";
    case ReplicationMode::kSemiSync: return "semi_sync";
    case ReplicationMode::kSync: return "sync";
  }
  return "async";
}

std::string_view AckTimeoutActionName(AckTimeoutAction a) {
  return a == AckTimeoutAction::kDegrade ? "degrade" : "fail";
}

std::string FormatSize(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int u = 0;
  uint64_t v = bytes;
  while (u < 6 && v != 0 && v % 1024 == 0) {
    v /= 1024;
    ++u;
  }
  return std::to_string(v) + " " + kUnits[u];
}

}  // namespace annal::app
