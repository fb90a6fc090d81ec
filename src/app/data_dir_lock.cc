#include "app/data_dir_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace annal::app {

Result<std::unique_ptr<DataDirLock>> DataDirLock::Acquire(const std::filesystem::path& data_dir) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec)
    return IOError("data dir " + data_dir.string() + " cannot be created: " + ec.message());
  if (!std::filesystem::is_directory(data_dir, ec))
    return IOError("data dir " + data_dir.string() + " is not a directory");

  std::filesystem::path path = data_dir / "LOCK";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError("data dir " + data_dir.string() + " is not usable: open LOCK", errno);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    std::string holder;
    if (err == EWOULDBLOCK) {
      char buf[32] = {};
      ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
      if (n > 0) {
        holder.assign(buf, static_cast<size_t>(n));
        while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
      }
    }
    ::close(fd);
    if (err == EWOULDBLOCK)
      return IOError("data dir " + data_dir.string() + " is in use by another annal process" +
                     (holder.empty() ? std::string() : " (pid " + holder + ")") + "; " +
                     path.string() + " is locked");
    return ErrnoError("data dir " + data_dir.string() + ": flock LOCK", err);
  }
  // Record who holds it, for the message above. Best effort: the flock is what matters.
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    int err = errno;
    ::close(fd);
    return ErrnoError("data dir " + data_dir.string() + " is not writable: LOCK", err);
  }
  return std::unique_ptr<DataDirLock>(new DataDirLock(std::move(path), fd));
}

DataDirLock::~DataDirLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the descriptor drops the flock
}

}  // namespace annal::app
