// An exclusive lock on a data directory: <data-dir>/LOCK held with flock(2) for the life of the
// process, so two servers can never open the same data directory. The kernel drops the lock
// when the process exits, however it exits (SIGKILL included), so a stale LOCK file is harmless.
#pragma once

#include <filesystem>
#include <memory>

#include "core/status.h"

namespace annal::app {

class DataDirLock {
 public:
  // Creates `data_dir` if missing, then takes the lock without waiting. Fails with an error
  // naming the directory (and the holder's PID when known) if another process holds it, or if
  // the directory cannot be created or written.
  static Result<std::unique_ptr<DataDirLock>> Acquire(const std::filesystem::path& data_dir);

  // For readers of a stopped server's files (`annal inspect`, `annal export`): takes a SHARED
  // lock without waiting, so that no server can start on the directory while they read (and
  // several readers can run at once). Creates and writes nothing: when there is no LOCK file
  // (no server ever ran here) the returned object holds no lock. Unavailable, naming the
  // server's PID when known, if a server holds the lock.
  static Result<std::unique_ptr<DataDirLock>> AcquireShared(const std::filesystem::path& data_dir);
  ~DataDirLock();  // releases the lock (the file stays)
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  DataDirLock(std::filesystem::path path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::filesystem::path path_;
  int fd_;
};

}  // namespace annal::app
