#include "app/data_dir_contents.h"

#include <algorithm>
#include <charconv>
#include <system_error>

#include "wal/segment.h"

namespace annal::app {
namespace {

constexpr std::string_view kEventFilePrefix = "events-";
constexpr std::string_view kEventFileSuffix = ".parquet";
constexpr size_t kLsnDigits = 20;

std::optional<Lsn> ParseLsnDigits(std::string_view digits) {
  if (digits.size() != kLsnDigits) return std::nullopt;
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return Lsn(v);
}

}  // namespace

std::optional<std::pair<Lsn, Lsn>> ParseEventFileName(std::string_view name) {
  if (name.size() != kEventFilePrefix.size() + kLsnDigits + 1 + kLsnDigits + kEventFileSuffix.size())
    return std::nullopt;
  if (!name.starts_with(kEventFilePrefix) || !name.ends_with(kEventFileSuffix)) return std::nullopt;
  std::string_view rest = name.substr(kEventFilePrefix.size());
  if (rest[kLsnDigits] != '-') return std::nullopt;
  auto first = ParseLsnDigits(rest.substr(0, kLsnDigits));
  auto last = ParseLsnDigits(rest.substr(kLsnDigits + 1, kLsnDigits));
  if (!first || !last || *first == Lsn(0) || *last < *first) return std::nullopt;
  return std::make_pair(*first, *last);
}

std::vector<const EventFileEntry*> DataDirContents::LiveEventFiles() const {
  std::vector<const EventFileEntry*> live;
  for (const EventFileEntry& f : event_files)
    if (f.live) live.push_back(&f);
  return live;
}

Result<DataDirContents> ListDataDir(const std::filesystem::path& data_dir) {
  namespace fs = std::filesystem;
  DataDirContents c;
  c.data_dir = data_dir;
  c.wal_dir = data_dir / "wal";
  c.storage_dir = data_dir / "storage";
  std::error_code ec;
  if (!fs::is_directory(data_dir, ec)) return NotFound(data_dir.string() + " is not a directory");
  bool has_wal = fs::is_directory(c.wal_dir, ec);
  bool has_storage = fs::is_directory(c.storage_dir, ec);
  if (!has_wal && !has_storage)
    return NotFound(data_dir.string() + " is not an annal data dir (neither wal/ nor storage/ in it)");

  if (has_wal) {
    ANNAL_ASSIGN_OR_RETURN(std::vector<wal::SegmentFile> segs, wal::ListSegments(c.wal_dir));
    for (const wal::SegmentFile& s : segs) {
      WalSegmentEntry e;
      e.name = s.path.filename().string();
      e.path = s.path;
      e.first_lsn = s.first_lsn;
      e.bytes = fs::file_size(s.path, ec);
      if (ec) e.bytes = 0;  // deleted while listing (a running server): reported when read
      c.segments.push_back(std::move(e));
    }
  }

  if (has_storage) {
    for (fs::directory_iterator it(c.storage_dir, ec), end; !ec && it != end; it.increment(ec)) {
      std::string name = it->path().filename().string();
      if (auto range = ParseEventFileName(name)) {
        EventFileEntry e;
        e.name = name;
        e.path = it->path();
        e.first_lsn = range->first;
        e.last_lsn = range->second;
        std::error_code size_ec;
        e.bytes = fs::file_size(it->path(), size_ec);
        c.event_files.push_back(std::move(e));
      } else if (name == "MANIFEST") {
        c.has_manifest = true;
      } else {
        c.unexpected_files.push_back(name);
      }
    }
    if (ec) return IOError("listing " + c.storage_dir.string() + ": " + ec.message());
    std::sort(c.event_files.begin(), c.event_files.end(),
              [](const EventFileEntry& a, const EventFileEntry& b) {
                return a.first_lsn != b.first_lsn ? a.first_lsn < b.first_lsn
                                                  : a.last_lsn < b.last_lsn;
              });
    std::sort(c.unexpected_files.begin(), c.unexpected_files.end());
  }
  return c;
}

}  // namespace annal::app
