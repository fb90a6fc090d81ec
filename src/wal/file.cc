#include "wal/file.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace annal::wal {
namespace {

Status PathError(std::string_view what, const std::filesystem::path& path, int err) {
  std::string m(what);
  m += " ";
  m += path.string();
  return ErrnoError(m, err);
}

}  // namespace

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
  if (this != &o) {
    reset();
    fd_ = o.release();
  }
  return *this;
}

void UniqueFd::reset() {
  // close() errors are ignored on purpose: durability is decided by the fdatasync calls made
  // before, and retrying close after EINTR is wrong on Linux.
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Result<UniqueFd> OpenFile(const std::filesystem::path& path, int flags, int mode) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return PathError("open", path, errno);
  return UniqueFd(fd);
}

Result<size_t> ReadAt(int fd, uint64_t offset, std::span<std::byte> out,
                      const std::filesystem::path& path) {
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return PathError("read", path, errno);
    }
    if (n == 0) break;  // EOF
    done += static_cast<size_t>(n);
  }
  return done;
}

Result<uint64_t> FileSize(int fd, const std::filesystem::path& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return PathError("stat", path, errno);
  return static_cast<uint64_t>(st.st_size);
}

namespace {

// writev/pwritev over every iovec, looping over short writes and IOV_MAX. offset < 0: writev.
Status WriteVector(int fd, std::span<iovec> iov, int64_t offset, const std::filesystem::path& path) {
  size_t i = 0;
  while (i < iov.size()) {
    if (iov[i].iov_len == 0) {
      ++i;
      continue;
    }
    int count = static_cast<int>(std::min<size_t>(iov.size() - i, IOV_MAX));
    ssize_t n = offset < 0 ? ::writev(fd, &iov[i], count) : ::pwritev(fd, &iov[i], count, offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      return PathError("write", path, errno);
    }
    if (offset >= 0) offset += n;
    // Short write: skip the iovecs fully written, advance into the partially written one.
    auto left = static_cast<size_t>(n);
    while (left > 0 && i < iov.size()) {
      size_t take = std::min(left, iov[i].iov_len);
      iov[i].iov_base = static_cast<char*>(iov[i].iov_base) + take;
      iov[i].iov_len -= take;
      left -= take;
      if (iov[i].iov_len == 0) ++i;
    }
  }
  return Status::Ok();
}

}  // namespace

Status WriteAll(int fd, std::span<iovec> iov, const std::filesystem::path& path) {
  return WriteVector(fd, iov, -1, path);
}

Status WriteAllAt(int fd, uint64_t offset, std::span<iovec> iov, const std::filesystem::path& path) {
  return WriteVector(fd, iov, static_cast<int64_t>(offset), path);
}

Status SyncData(int fd, const std::filesystem::path& path) {
  // No retry loop on EINTR: fdatasync does not return EINTR on Linux, and after any failure the
  // dirty pages' state is unknown (the kernel may have dropped them), so the caller poisons.
  if (::fdatasync(fd) != 0) return PathError("fdatasync", path, errno);
  return Status::Ok();
}

void DropCachedPages(int fd) { (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED); }

Status Truncate(int fd, uint64_t size, const std::filesystem::path& path) {
  int rc;
  do {
    rc = ::ftruncate(fd, static_cast<off_t>(size));
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return PathError("ftruncate", path, errno);
  return Status::Ok();
}

Status SyncDir(const std::filesystem::path& dir) {
  ANNAL_ASSIGN_OR_RETURN(UniqueFd fd, OpenFile(dir, O_RDONLY | O_DIRECTORY));
  if (::fsync(fd.get()) != 0) return PathError("fsync directory", dir, errno);
  return Status::Ok();
}

}  // namespace annal::wal
