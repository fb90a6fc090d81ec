#include "storage/file_names.h"

namespace annal::storage {
namespace {

constexpr size_t kDigits = 20;
constexpr std::string_view kPrefix = "events-";
constexpr std::string_view kSuffix = ".parquet";

void AppendPadded(std::string& out, Lsn lsn) {
  std::string digits = std::to_string(lsn.value());
  out.append(kDigits - digits.size(), '0');
  out += digits;
}

std::optional<uint64_t> ParseDigits(std::string_view digits) {
  uint64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

}  // namespace

std::string EventFileName(Lsn first, Lsn last) {
  std::string name(kPrefix);
  AppendPadded(name, first);
  name += '-';
  AppendPadded(name, last);
  name += kSuffix;
  return name;
}

std::optional<LsnRange> ParseEventFileName(std::string_view name) {
  if (name.size() != kPrefix.size() + 2 * kDigits + 1 + kSuffix.size()) return std::nullopt;
  if (!name.starts_with(kPrefix) || !name.ends_with(kSuffix)) return std::nullopt;
  if (name[kPrefix.size() + kDigits] != '-') return std::nullopt;
  auto first = ParseDigits(name.substr(kPrefix.size(), kDigits));
  auto last = ParseDigits(name.substr(kPrefix.size() + kDigits + 1, kDigits));
  if (!first || !last || *first == 0 || *first > *last) return std::nullopt;
  return LsnRange{Lsn(*first), Lsn(*last)};
}

}  // namespace annal::storage
