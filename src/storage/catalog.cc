#include "storage/catalog.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>
#include <system_error>

#include "storage/file_names.h"
#include "wal/file.h"

namespace annal::storage {

struct Catalog::State {
  explicit State(std::filesystem::path d) : dir(std::move(d)) {}
  const std::filesystem::path dir;
  std::mutex mu;
  Manifest manifest;  // guarded by mu: the committed manifest
  struct Pins {
    size_t count = 0;
    bool retired = false;  // no longer live: delete when count drops to 0
  };
  std::map<std::string, Pins, std::less<>> pins;  // guarded by mu; only entries with count > 0

  // Deletes a file no manifest lists any more. A failure only leaves an orphan, which the next
  // start removes, so it is logged, not returned.
  void DeleteRetired(const std::string& name) {
    std::error_code ec;
    std::filesystem::remove(dir / name, ec);
    if (ec) spdlog::warn("storage: could not delete replaced file {}: {}", name, ec.message());
  }
};

Result<std::unique_ptr<Catalog>> Catalog::Open(const std::filesystem::path& dir) {
  std::error_code ec;
  bool created = std::filesystem::create_directories(dir, ec);
  if (ec) return IOError("create " + dir.string() + ": " + ec.message());
  if (created && dir.has_parent_path())
    ANNAL_RETURN_IF_ERROR(wal::SyncDir(std::filesystem::absolute(dir).parent_path()));

  ANNAL_ASSIGN_OR_RETURN(std::optional<Manifest> loaded, ReadManifest(dir));
  Manifest m = loaded ? std::move(*loaded) : Manifest{};
  for (const FileMeta& f : m.files) {
    auto size = std::filesystem::file_size(dir / f.name, ec);
    if (ec)
      return Corruption("storage/" + f.name + ": listed in " + (dir / kManifestName).string() +
                        " but cannot be read: " + ec.message());
    if (size != f.bytes)
      return Corruption("storage/" + f.name + ": " + std::to_string(size) +
                        " bytes, the manifest says " + std::to_string(f.bytes));
  }
  auto state = std::make_shared<State>(dir);
  state->manifest = std::move(m);
  spdlog::info("storage: catalog {} at checkpoint LSN {} ({} files, {} bytes, generation {})",
               dir.string(), state->manifest.checkpoint_lsn.value(), state->manifest.files.size(),
               state->manifest.total_bytes(), state->manifest.generation);
  return std::unique_ptr<Catalog>(new Catalog(dir, std::move(state)));
}

Catalog::Catalog(std::filesystem::path dir, std::shared_ptr<State> state)
    : dir_(std::move(dir)), state_(std::move(state)) {}

Catalog::~Catalog() = default;

Manifest Catalog::current() const {
  std::lock_guard lock(state_->mu);
  return state_->manifest;
}

Lsn Catalog::checkpoint_lsn() const {
  std::lock_guard lock(state_->mu);
  return state_->manifest.checkpoint_lsn;
}

CatalogStats Catalog::stats() const {
  std::lock_guard lock(state_->mu);
  CatalogStats s;
  s.checkpoint_lsn = state_->manifest.checkpoint_lsn;
  s.generation = state_->manifest.generation;
  s.files = state_->manifest.files.size();
  s.bytes = state_->manifest.total_bytes();
  s.pinned_files = state_->pins.size();
  for (const auto& [name, p] : state_->pins) s.retired_pinned_files += p.retired ? 1 : 0;
  return s;
}

Status Catalog::RemoveOrphans(std::vector<std::string>* removed) {
  std::lock_guard edit(edit_mu_);  // no Apply may add a file while we decide what is orphaned
  std::set<std::string, std::less<>> keep;
  {
    std::lock_guard lock(state_->mu);
    for (const FileMeta& f : state_->manifest.files) keep.insert(f.name);
    for (const auto& [name, p] : state_->pins) keep.insert(name);
  }
  std::error_code ec;
  size_t count = 0;
  for (std::filesystem::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const bool temp = name.ends_with(kTempSuffix);
    const bool event_file = ParseEventFileName(name).has_value();
    if (name == kManifestName || keep.contains(name)) continue;
    if (!temp && !event_file) {
      spdlog::warn("storage: leaving unexpected file {} in {} alone", name, dir_.string());
      continue;
    }
    std::error_code rm;
    std::filesystem::remove(it->path(), rm);
    if (rm) return IOError("remove orphan " + it->path().string() + ": " + rm.message());
    spdlog::info("storage: removed orphan {} (left by an interrupted checkpoint or compaction)", name);
    if (removed) removed->push_back(name);
    ++count;
  }
  if (ec) return IOError("list " + dir_.string() + ": " + ec.message());
  if (count > 0) ANNAL_RETURN_IF_ERROR(wal::SyncDir(dir_));
  return Status::Ok();
}

Status Catalog::Apply(const CatalogEdit& edit, const CrashHook& hook,
                      std::optional<CrashPoint> after_deletions) {
  std::lock_guard edit_lock(edit_mu_);
  Manifest next = current();
  // Only Apply changes the manifest and edit_mu_ is held, so `next` stays based on the
  // committed manifest until we swap it in below.
  for (const std::string& name : edit.removed) {
    auto it = std::find_if(next.files.begin(), next.files.end(),
                           [&](const FileMeta& f) { return f.name == name; });
    if (it == next.files.end()) return Internal("catalog edit removes " + name + ", which is not live");
    next.files.erase(it);
  }
  for (const FileMeta& f : edit.added) next.files.push_back(f);
  std::sort(next.files.begin(), next.files.end(),
            [](const FileMeta& a, const FileMeta& b) { return a.first_lsn < b.first_lsn; });
  if (edit.checkpoint_lsn) next.checkpoint_lsn = *edit.checkpoint_lsn;
  ++next.generation;
  // WriteManifest validates `next` (contiguous 1..checkpoint): a buggy edit is refused here,
  // before it can reach the disk.
  ANNAL_RETURN_IF_ERROR(WriteManifest(dir_, next, hook));

  std::vector<std::string> to_delete;
  {
    std::lock_guard lock(state_->mu);
    state_->manifest = std::move(next);
    for (const std::string& name : edit.removed) {
      auto pin = state_->pins.find(name);
      if (pin != state_->pins.end()) {
        pin->second.retired = true;  // the last FilePin deletes it
      } else {
        to_delete.push_back(name);
      }
    }
  }
  for (const std::string& name : to_delete) state_->DeleteRetired(name);
  // Deletions need no directory fsync: if one is lost in a crash, the file is an orphan.
  if (after_deletions) Reach(hook, *after_deletions);
  return Status::Ok();
}

Result<FilePin> Catalog::Pin(std::string_view name) {
  std::lock_guard lock(state_->mu);
  for (const FileMeta& f : state_->manifest.files) {
    if (f.name != name) continue;
    auto [it, inserted] = state_->pins.try_emplace(f.name);
    ++it->second.count;
    return FilePin(state_, f);
  }
  return NotFound("storage file " + std::string(name) + " is not live");
}

Catalog::PinnedSnapshot Catalog::PinAll() {
  std::lock_guard lock(state_->mu);
  PinnedSnapshot snap;
  snap.checkpoint_lsn = state_->manifest.checkpoint_lsn;
  for (const FileMeta& f : state_->manifest.files) {
    ++state_->pins[f.name].count;
    snap.files.push_back(FilePin(state_, f));
  }
  return snap;
}

FilePin& FilePin::operator=(FilePin&& o) noexcept {
  if (this != &o) {
    Release();
    state_ = std::move(o.state_);
    meta_ = std::move(o.meta_);
  }
  return *this;
}

std::filesystem::path FilePin::path() const {
  return state_ ? state_->dir / meta_.name : std::filesystem::path();
}

void FilePin::Release() {
  if (!state_) return;
  std::shared_ptr<Catalog::State> state = std::move(state_);
  state_ = nullptr;
  bool remove = false;
  {
    std::lock_guard lock(state->mu);
    auto it = state->pins.find(meta_.name);
    ANNAL_CHECK(it != state->pins.end() && it->second.count > 0);
    if (--it->second.count == 0) {
      remove = it->second.retired;
      state->pins.erase(it);
    }
  }
  if (remove) state->DeleteRetired(meta_.name);
}

}  // namespace annal::storage
