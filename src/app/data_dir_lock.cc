#include "app/data_dir_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace annal::app {
namespace {

// The PID a server wrote into LOCK, or "" when there is none.
std::string LockHolderPid(int fd) {
  char buf[32] = {};
  ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
  if (n <= 0) return {};
  std::string holder(buf, static_cast<size_t>(n));
  while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
  return holder;
}

}  // namespace

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
      // Readers (inspect, export) hold it shared; a server holds it exclusively.
      if (::flock(fd, LOCK_SH | LOCK_NB) == 0) {
        ::close(fd);
        return IOError("data dir " + data_dir.string() +
                       " is being read by `annal inspect` or `annal export`; start the server "
                       "when they have finished (" + path.string() + " is locked)");
      }
      holder = LockHolderPid(fd);
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

Result<std::unique_ptr<DataDirLock>> DataDirLock::AcquireShared(const std::filesystem::path& data_dir) {
  std::filesystem::path path = data_dir / "LOCK";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::unique_ptr<DataDirLock>(new DataDirLock(std::move(path), -1));
    return ErrnoError("data dir " + data_dir.string() + ": open LOCK", errno);
  }
  if (::flock(fd, LOCK_SH | LOCK_NB) != 0) {
    int err = errno;
    std::string holder = err == EWOULDBLOCK ? LockHolderPid(fd) : std::string();
    ::close(fd);
    if (err == EWOULDBLOCK)
      return Unavailable("data dir " + data_dir.string() + " is in use by a running annal server" +
                         (holder.empty() ? std::string() : " (pid " + holder + ")"));
    return ErrnoError("data dir " + data_dir.string() + ": flock LOCK", err);
  }
  return std::unique_ptr<DataDirLock>(new DataDirLock(std::move(path), fd));
}

DataDirLock::~DataDirLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the descriptor drops the flock
}

}  // namespace annal::app
