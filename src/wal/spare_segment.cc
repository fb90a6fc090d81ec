#include "wal/spare_segment.h"
#include "core/thread_name.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <system_error>
#include <vector>

namespace annal::wal {
namespace {

// Zeros are written in chunks of this size, each followed by a check for Stop().
constexpr size_t kChunk = 1 << 20;

}  // namespace

SpareSegment::SpareSegment(std::filesystem::path dir, uint64_t bytes)
    : dir_(std::move(dir)), bytes_(bytes) {
  std::error_code ec;
  if (std::filesystem::remove(path(), ec))
    spdlog::info("wal: removed a leftover {} (a spare is trusted only when this process made it)",
                 path().string());
}

SpareSegment::~SpareSegment() { Stop(); }

void SpareSegment::Request() {
  std::lock_guard lock(mu_);
  if (state_ != State::kNone) return;
  state_ = State::kRequested;
  StartThreadLocked();
}

void SpareSegment::DropCache(UniqueFd closed_segment) {
  if (!closed_segment.valid()) return;
  std::lock_guard lock(mu_);
  if (stop_) return;  // closes it
  to_drop_.push_back(std::move(closed_segment));
  StartThreadLocked();
}

void SpareSegment::StartThreadLocked() {
  if (!thread_.joinable()) {
    thread_ = NamedThread("annal-wal-spare", [this] { Run(); });
  } else {
    cv_.notify_one();
  }
}

std::optional<UniqueFd> SpareSegment::Take() {
  std::lock_guard lock(mu_);
  if (state_ != State::kReady) return std::nullopt;
  state_ = State::kNone;
  return std::move(ready_);
}

void SpareSegment::Stop() {
  {
    std::lock_guard lock(mu_);
    if (state_ == State::kStopped) return;
    stop_ = true;
    ready_.reset();
    to_drop_.clear();
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mu_);
  state_ = State::kStopped;
  std::error_code ec;
  std::filesystem::remove(path(), ec);
}

void SpareSegment::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || state_ == State::kRequested || !to_drop_.empty(); });
    if (stop_) return;
    if (!to_drop_.empty()) {
      std::vector<UniqueFd> drop = std::move(to_drop_);
      to_drop_.clear();
      lock.unlock();
      for (UniqueFd& fd : drop) DropCachedPages(fd.get());
      drop.clear();  // closes them
      lock.lock();
      continue;
    }
    state_ = State::kPreparing;
    lock.unlock();
    Result<UniqueFd> fd = Prepare();
    lock.lock();
    if (stop_) return;
    if (fd.ok()) {
      ready_ = std::move(*fd);
      state_ = State::kReady;
    } else {
      // Only an optimization is lost: new segments are then created the plain way.
      spdlog::warn("wal: cannot preallocate the next segment ({}); continuing without",
                   fd.status().ToString());
      std::error_code ec;
      std::filesystem::remove(path(), ec);
      state_ = State::kFailed;
    }
  }
}

Result<UniqueFd> SpareSegment::Prepare() {
  const std::filesystem::path p = path();
  ANNAL_ASSIGN_OR_RETURN(UniqueFd fd, OpenFile(p, O_RDWR | O_CREAT | O_TRUNC));
  std::vector<std::byte> zeros(static_cast<size_t>(std::min<uint64_t>(bytes_, kChunk)));
  for (uint64_t off = 0; off < bytes_;) {
    {
      std::lock_guard lock(mu_);
      if (stop_) return Unavailable("stopped");
    }
    const size_t n = static_cast<size_t>(std::min<uint64_t>(zeros.size(), bytes_ - off));
    iovec iov{zeros.data(), n};  // WriteAllAt consumes it
    ANNAL_RETURN_IF_ERROR(WriteAllAt(fd.get(), off, std::span<iovec>(&iov, 1), p));
    off += n;
    // Sync as we go: one large writeback at the end would stall the writer's fdatasyncs.
    ANNAL_RETURN_IF_ERROR(SyncData(fd.get(), p));
  }
  return fd;
}

}  // namespace annal::wal
