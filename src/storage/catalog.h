// Catalog: the live set of Parquet files under <data>/storage, backed by the MANIFEST, plus
// pins on files that someone (replication's snapshot sender) is still reading.
//
// Every change is a CatalogEdit applied by Apply(): the new manifest is written atomically
// (the commit point), then files the edit removed are deleted — at once when unpinned, else
// when their last FilePin goes. A crash leaves files the manifest does not list; RemoveOrphans
// deletes them at the next start.
//
// Thread-safety: all methods are thread-safe. Apply() calls are serialized internally (one
// manifest writer at a time); readers (current(), Pin(), stats()) never wait for manifest I/O.
// Locks, in order: edit_mu_ (held across a whole Apply, including I/O) -> State::mu (short,
// never held during I/O).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/types.h"
#include "storage/crash_points.h"
#include "storage/manifest.h"

namespace annal::storage {

// One change to the catalog (leveldb's VersionEdit idea): files in, files out, and the new
// checkpoint LSN. The result must again cover 1..checkpoint_lsn exactly (checked).
struct CatalogEdit {
  std::vector<FileMeta> added;
  std::vector<std::string> removed;  // names of live files
  std::optional<Lsn> checkpoint_lsn;  // unchanged when absent
};

struct CatalogStats {
  Lsn checkpoint_lsn;
  uint64_t generation = 0;
  size_t files = 0;               // live files
  uint64_t bytes = 0;             // their total size
  size_t pinned_files = 0;        // files with at least one pin (live or retired)
  size_t retired_pinned_files = 0;  // removed from the manifest, waiting for their last unpin
};

class FilePin;

class Catalog {
 public:
  // Loads <dir>/MANIFEST (creating `dir` if missing; no manifest = empty catalog at LSN 0) and
  // checks that every listed file exists with the recorded size. Corruption naming the file
  // otherwise. Touches nothing on disk except creating `dir`. Contents are checked (CRC) when
  // the files are read (ReadCheckedEventFile).
  static Result<std::unique_ptr<Catalog>> Open(const std::filesystem::path& dir);

  Catalog(const Catalog&) = delete;
  Catalog& operator=(const Catalog&) = delete;
  ~Catalog();

  const std::filesystem::path& dir() const { return dir_; }
  // A snapshot of the committed manifest.
  Manifest current() const;
  Lsn checkpoint_lsn() const;
  CatalogStats stats() const;

  // Deletes what a crashed checkpoint or compaction left behind: every "*.tmp" and every event
  // file that is neither live nor pinned. Files with other names are left alone (logged).
  // Call once start-up has validated everything, so a start-up that fails deletes nothing.
  Status RemoveOrphans(std::vector<std::string>* removed = nullptr);

  // Commits `edit`: writes the new manifest (hook: kManifestTempWritten, kManifestCommitted),
  // then deletes the removed files that are not pinned (hook: after_deletions, if given).
  // On failure before the commit nothing changed (in memory or in the manifest).
  Status Apply(const CatalogEdit& edit, const CrashHook& hook = {},
               std::optional<CrashPoint> after_deletions = std::nullopt);

  // Pins a live file: it stays on disk while the pin lives, even if an edit removes it.
  // NotFound when `name` is not live.
  Result<FilePin> Pin(std::string_view name);
  // Pins every live file at once: a consistent set covering 1..checkpoint (for a snapshot).
  struct PinnedSnapshot;
  PinnedSnapshot PinAll();

 private:
  friend class FilePin;
  struct State;
  Catalog(std::filesystem::path dir, std::shared_ptr<State> state);

  const std::filesystem::path dir_;
  std::mutex edit_mu_;
  // Shared with the pins, so a pin outliving the catalog can still delete its retired file.
  std::shared_ptr<State> state_;
};

// RAII pin on one catalog file. Move-only. Dropping the last pin on a file that an edit has
// removed deletes the file.
class FilePin {
 public:
  FilePin() = default;
  FilePin(FilePin&& o) noexcept = default;
  FilePin& operator=(FilePin&& o) noexcept;
  FilePin(const FilePin&) = delete;
  FilePin& operator=(const FilePin&) = delete;
  ~FilePin() { Release(); }

  const FileMeta& file() const { return meta_; }
  // Full path of the pinned file (valid to open while the pin lives).
  std::filesystem::path path() const;
  bool valid() const { return state_ != nullptr; }
  void Release();

 private:
  friend class Catalog;
  FilePin(std::shared_ptr<Catalog::State> state, FileMeta meta)
      : state_(std::move(state)), meta_(std::move(meta)) {}
  std::shared_ptr<Catalog::State> state_;
  FileMeta meta_;
};

struct Catalog::PinnedSnapshot {
  Lsn checkpoint_lsn;        // the files cover exactly 1..checkpoint_lsn
  std::vector<FilePin> files;  // ascending LSN order
};

}  // namespace annal::storage
