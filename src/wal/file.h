// Thin, checked wrappers over the POSIX file calls the WAL needs. Every function retries EINTR
// and turns errno into an IOError naming the path and the operation.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include "core/status.h"

namespace annal::wal {

// Owns one file descriptor; closes it on destruction. Move-only.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset();

 private:
  int fd_ = -1;
};

// open(2) with O_CLOEXEC added.
Result<UniqueFd> OpenFile(const std::filesystem::path& path, int flags, int mode = 0644);
// Reads up to out.size() bytes at `offset`; returns how many were read (short only at EOF).
Result<size_t> ReadAt(int fd, uint64_t offset, std::span<std::byte> out,
                      const std::filesystem::path& path);
Result<uint64_t> FileSize(int fd, const std::filesystem::path& path);
// Writes every byte described by `iov` (the array is modified to track progress), looping over
// short writes and IOV_MAX.
Status WriteAll(int fd, std::span<iovec> iov, const std::filesystem::path& path);
// The same at an explicit file offset (pwritev), whatever the file position or O_APPEND.
Status WriteAllAt(int fd, uint64_t offset, std::span<iovec> iov, const std::filesystem::path& path);
Status SyncData(int fd, const std::filesystem::path& path);  // fdatasync
Status Truncate(int fd, uint64_t size, const std::filesystem::path& path);
// Asks the kernel to drop the file's clean cached pages (posix_fadvise POSIX_FADV_DONTNEED).
// Only advice: dirty pages stay until written back, and the file reads the same either way.
void DropCachedPages(int fd);
// fsync of a directory, so that created/renamed entries in it survive a crash.
Status SyncDir(const std::filesystem::path& dir);

}  // namespace annal::wal
