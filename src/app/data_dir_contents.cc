#include "app/data_dir_contents.h"

#include <algorithm>
#include <map>
#include <system_error>

#include "storage/file_names.h"
#include "wal/segment.h"

namespace annal::app {
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
      if (auto range = storage::ParseEventFileName(name)) {
        EventFileEntry e;
        e.name = name;
        e.path = it->path();
        e.first_lsn = range->first;
        e.last_lsn = range->last;
        std::error_code size_ec;
        e.bytes = fs::file_size(it->path(), size_ec);
        c.event_files.push_back(std::move(e));
      } else if (name == storage::kManifestName) {
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

  if (c.has_manifest) {
    auto m = storage::ReadManifest(c.storage_dir);
    if (!m.ok()) {
      c.manifest_error = m.status().message();
    } else if (*m) {
      c.manifest = std::move(**m);
      c.checkpoint_lsn = c.manifest.checkpoint_lsn;
      std::map<std::string, const storage::FileMeta*> listed;
      for (const storage::FileMeta& f : c.manifest.files) listed[f.name] = &f;
      for (EventFileEntry& e : c.event_files) {
        auto it = listed.find(e.name);
        if (it == listed.end()) continue;
        e.live = true;
        e.meta = *it->second;
        listed.erase(it);
      }
      for (const auto& [name, meta] : listed) c.missing_files.push_back(name);
    }
  }
  return c;
}

}  // namespace annal::app
