#include "wal/writer.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <stdio.h>

#include <array>
#include <utility>

#include "wal/record.h"
#include "wal/segment.h"
#include "core/thread_name.h"

namespace annal::wal {
namespace {

// Preallocation pays off only for segments of real size; tests that rotate after every batch
// (tiny segment_bytes) keep the plain path.
constexpr uint64_t kMinPreallocatedSegment = 1 << 20;

// Bytes written into a segment before the spare for the next one is requested: a log that
// never grows this far never writes a spare.
uint64_t SpareTrigger(uint64_t segment_bytes) {
  return std::min<uint64_t>(1 << 20, segment_bytes / 8);
}

}  // namespace

Wal::Impl::Impl(WalOptions options, RecoveredLog log)
    : options_(std::move(options)),
      segment_path_(std::move(log.segment_path)),
      fd_(std::move(log.fd)),
      segment_bytes_(log.segment_bytes),
      write_offset_(log.segment_bytes),
      file_bytes_(log.file_bytes),
      writer_epoch_(log.last_epoch),
      last_sync_(Clock::now()),
      last_submitted_(log.last_lsn),
      last_submitted_atomic_(log.last_lsn.value()),
      durable_(log.last_lsn.value()),
      active_first_lsn_(log.segment_first_lsn.value()) {
  // The helper thread also drops closed segments from the page cache (Rotate), so it exists
  // for every log with segments of preallocated size, whether or not it preallocates.
  if (options_.segment_bytes >= kMinPreallocatedSegment) {
    spare_ = std::make_unique<SpareSegment>(options_.dir, options_.segment_bytes);
    preallocate_ = options_.preallocate;
  }
  if (options_.sync.mode == SyncMode::kNever)
    spdlog::warn("wal: sync policy 'never': acknowledged writes are lost on a machine crash "
                 "(benchmarks only)");
}

Wal::Impl::~Impl() { ANNAL_CHECK(!thread_.joinable()); }

void Wal::Impl::Start() { thread_ = NamedThread("annal-wal", [this] { Run(); }); }

void Wal::Impl::Submit(Batch batch, DoneFn done) {
  ANNAL_CHECK_MSG(!batch.empty(), "Wal::Submit: empty batch");
  bool wake;
  {
    std::unique_lock lock(mu_);
    if (closing_) {
      lock.unlock();
      done(Unavailable("WAL is closed"));
      return;
    }
    ANNAL_CHECK_MSG(batch.first_lsn() == last_submitted_.next(),
                    "Wal::Submit: batch starts at LSN " + std::to_string(batch.first_lsn().value()) +
                        ", expected " + std::to_string(last_submitted_.next().value()));
    last_submitted_ = batch.last_lsn();
    last_submitted_atomic_.store(last_submitted_.value(), std::memory_order_release);
    // The writer sleeps only when it saw an empty queue, so only the first push needs a wake-up.
    wake = queue_.empty();
    queue_.push_back({std::move(batch), std::move(done)});
  }
  if (wake) cv_.notify_one();
}

void Wal::Impl::Run() {
  std::vector<Pending> group;
  for (;;) {
    bool closing;
    {
      std::unique_lock lock(mu_);
      while (queue_.empty() && !closing_) {
        bool timer = options_.sync.mode == SyncMode::kInterval && unsynced_ && poison_.ok();
        if (!timer) {
          cv_.wait(lock);
        } else if (cv_.wait_until(lock, last_sync_ + options_.sync.interval) ==
                   std::cv_status::timeout) {
          break;
        }
      }
      // Swap, not copy: the next group fills the vector whose capacity the last one left.
      group.swap(queue_);
      closing = closing_;
    }
    if (!group.empty()) {
      CommitGroup(group);
      group.clear();
    }
    if (options_.sync.mode == SyncMode::kInterval && unsynced_ && poison_.ok() &&
        Clock::now() >= last_sync_ + options_.sync.interval) {
      double ignored = 0;
      Status st = SyncCurrent(&ignored);
      if (!st.ok()) Poison(st, "interval fdatasync (already acknowledged writes may be lost)");
    }
    // closing_ was read under the lock that swapped the queue, and Submit() refuses work once
    // closing_ is set, so this group held the last batches.
    if (closing) break;
  }
  if (unsynced_ && poison_.ok()) {
    double ignored = 0;
    Status st = SyncCurrent(&ignored);
    if (!st.ok()) Poison(st, "fdatasync on close");
  }
}

void Wal::Impl::CommitGroup(std::vector<Pending>& group) {
  if (!poison_.ok()) {
    for (Pending& p : group) p.done(poison_);
    return;
  }
  double fsync_seconds = 0;
  size_t records = 0;
  size_t durable_count = 0;  // leading batches that reached durability under the policy
  Status st;
  iov_.clear();
  if (preallocate_ && file_bytes_ < options_.segment_bytes && segment_bytes_ > kSegmentHeaderSize) {
    // The active segment is a plain file (a new or recovered log): move to a preallocated one
    // as soon as the spare is ready, between two batches like every rotation.
    if (auto spare = spare_->Take())
      st = Rotate(group.front().batch.first_lsn(), &fsync_seconds, std::move(spare));
  }
  for (size_t i = 0; i < group.size() && st.ok(); ++i) {
    const Batch& b = group[i].batch;
    std::span<const std::byte> bytes = b.data();
    iov_.push_back({const_cast<std::byte*>(bytes.data()), bytes.size()});
    segment_bytes_ += bytes.size();
    records += b.count();
    // Records of one batch share the writer's epoch; the first one's is enough for headers.
    writer_epoch_ = std::max(writer_epoch_, Epoch(GetU64(bytes.data() + 20)));
    if (segment_bytes_ > options_.segment_bytes) {
      // A batch never spans segments: rotate between batches, syncing the full segment first.
      st = FlushIov();
      if (st.ok()) st = Rotate(b.last_lsn().next(), &fsync_seconds);
      if (st.ok()) durable_count = i + 1;
    }
  }
  if (st.ok()) st = FlushIov();
  if (st.ok()) {
    // unsynced_ is false when the group ended with a rotation: that already synced everything.
    if (options_.sync.mode == SyncMode::kAlways && unsynced_) st = SyncCurrent(&fsync_seconds);
    if (st.ok()) durable_count = group.size();
  }
  if (!st.ok()) Poison(st, "writing a group");
  if (preallocate_ && st.ok() &&
      segment_bytes_ - kSegmentHeaderSize >= SpareTrigger(options_.segment_bytes))
    spare_->Request();
  if (durable_count > 0)
    durable_.store(group[durable_count - 1].batch.last_lsn().value(), std::memory_order_release);
  for (size_t i = 0; i < group.size(); ++i)
    group[i].done(i < durable_count ? Status::Ok() : poison_);
  if (options_.on_group_commit) options_.on_group_commit(fsync_seconds, records);
}

Status Wal::Impl::FlushIov() {
  if (iov_.empty()) return Status::Ok();
  uint64_t bytes = 0;
  for (const iovec& v : iov_) bytes += v.iov_len;
  Status st = WriteAllAt(fd_.get(), write_offset_, iov_, segment_path_);
  iov_.clear();
  write_offset_ += bytes;
  file_bytes_ = std::max(file_bytes_, write_offset_);
  unsynced_ = true;  // also after a failed write: some bytes may have reached the file
  return st;
}

Status Wal::Impl::SyncCurrent(double* seconds) {
  auto start = Clock::now();
  Status st = SyncData(fd_.get(), segment_path_);
  last_sync_ = Clock::now();
  *seconds += std::chrono::duration<double>(last_sync_ - start).count();
  if (st.ok()) unsynced_ = false;
  return st;
}

Status Wal::Impl::Rotate(Lsn next, double* fsync_seconds, std::optional<UniqueFd> spare) {
  // A closed segment ends at its last record (docs/format/wal.md): cut the preallocated zeros
  // before the sync that makes the segment final, and before its successor exists.
  if (file_bytes_ > write_offset_) {
    ANNAL_RETURN_IF_ERROR(Truncate(fd_.get(), write_offset_, segment_path_));
    file_bytes_ = write_offset_;
    unsynced_ = true;
  }
  ANNAL_RETURN_IF_ERROR(SyncCurrent(fsync_seconds));
  if (!spare && preallocate_) spare = spare_->Take();
  UniqueFd next_fd;
  if (spare) {
    ANNAL_RETURN_IF_ERROR(InstallSpare(next, *spare));
    next_fd = std::move(*spare);
    file_bytes_ = spare_->bytes();
  } else {
    SegmentHeader h{options_.node_id, std::max(options_.epoch, writer_epoch_), next};
    ANNAL_ASSIGN_OR_RETURN(next_fd, CreateSegment(options_.dir, h));
    file_bytes_ = kSegmentHeaderSize;
  }
  UniqueFd closed = std::exchange(fd_, std::move(next_fd));
  // The closed segment is synced, so its cached pages are clean, and nothing reads them in
  // normal operation (a follower catching up reads them from disk). Dropping them keeps the
  // WAL's page cache at about two segments instead of every byte ever written: each new
  // segment's pages then come from the ones just freed, not from fresh memory (see
  // SpareSegment::DropCache; docs/benchmarks.md, issue 5 change log 30). Segments too small
  // for a helper thread are dropped here, in microseconds.
  if (spare_) {
    spare_->DropCache(std::move(closed));
  } else if (closed.valid()) {
    DropCachedPages(closed.get());
  }
  segment_path_ = options_.dir / SegmentFileName(next);
  segment_bytes_ = write_offset_ = kSegmentHeaderSize;
  active_first_lsn_.store(next.value(), std::memory_order_release);
  return Status::Ok();
}

Status Wal::Impl::InstallSpare(Lsn next, const UniqueFd& spare) {
  const std::filesystem::path from = spare_->path();
  const std::filesystem::path to = options_.dir / SegmentFileName(next);
  std::array<std::byte, kSegmentHeaderSize> header;
  EncodeSegmentHeader({options_.node_id, std::max(options_.epoch, writer_epoch_), next}, header);
  iovec iov{header.data(), header.size()};
  ANNAL_RETURN_IF_ERROR(WriteAllAt(spare.get(), 0, std::span<iovec>(&iov, 1), from));
  // The header is durable before the name appears, so a segment file never lacks one.
  ANNAL_RETURN_IF_ERROR(SyncData(spare.get(), from));
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) != 0)
    return IOError("rename " + from.string() + " to " + to.string() + ": " +
                   std::generic_category().message(errno));
  return SyncDir(options_.dir);
}

void Wal::Impl::Poison(const Status& st, std::string_view when) {
  if (poison_.ok()) {
    poison_ = st;
    spdlog::error("wal: I/O error while {}: {}. The WAL is now unusable: every pending and later "
                  "append fails until restart.", when, st.ToString());
  }
}

Status Wal::Impl::Close() {
  std::lock_guard close_lock(close_mu_);
  if (closed_) return close_status_;
  {
    std::lock_guard lock(mu_);
    closing_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
  closed_ = true;
  close_status_ = poison_;
  if (poison_.ok() && fd_.valid() && file_bytes_ > write_offset_) {
    // A cleanly closed log has no preallocated tail: tools and the next Open see exactly the
    // records. (A tail left by a crash is harmless too: readers take zeros as the end.)
    Status st = Truncate(fd_.get(), write_offset_, segment_path_);
    if (st.ok()) st = SyncData(fd_.get(), segment_path_);
    if (!st.ok()) spdlog::warn("wal: cutting the preallocated tail on close: {}", st.ToString());
  }
  fd_.reset();
  if (spare_) spare_->Stop();
  return close_status_;
}

}  // namespace annal::wal
