// SpareSegment: prepares the WAL's next segment file ahead of time, on its own thread.
//
// Why: fdatasync after appending to a file must also write the inode (the file grew), a second
// synchronous device write per group commit. Overwriting blocks that already exist does not
// change the inode, so a group commit into a preallocated file costs one device write: on this
// project's VM, 11k instead of 7k fdatasyncs/s (docs/benchmarks.md, issue 5 change log).
//
// The spare is <wal dir>/spare-segment.tmp: `bytes` long, every byte written as zero and
// fdatasynced before it is offered. The writer takes it at rotation, writes the segment header
// into it, syncs it and renames it to the new segment's name (docs/format/wal.md, "Preallocated
// segments"). A name that does not start with "wal-" is ignored by every WAL reader, and a
// leftover spare (crash) is deleted, never used: only a spare this process zero-filled and
// synced is trusted to be zero.
//
// The same thread drops the page cache of the segments the writer closes (DropCache), before
// it zero-fills the next spare; the writer keeps the thread for that alone when it does not
// preallocate. Without that, every WAL byte ever written stays cached and
// each new segment is written into fresh memory; with it, the next spare's pages are mostly
// the ones just freed. Dropping 64 MiB of cached pages takes ~5 ms here, which the writer
// thread, with group commits waiting on it, does not spend.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "wal/file.h"

namespace annal::wal {

class SpareSegment {
 public:
  static constexpr std::string_view kFileName = "spare-segment.tmp";

  // Deletes a leftover spare file in `dir`. Starts no thread until the first Request().
  SpareSegment(std::filesystem::path dir, uint64_t bytes);
  ~SpareSegment();  // Stop()
  SpareSegment(const SpareSegment&) = delete;
  SpareSegment& operator=(const SpareSegment&) = delete;

  // Starts preparing a spare unless one is ready or being prepared. Cheap; never blocks on I/O.
  void Request();
  // The ready spare, open read-write, or nullopt (none requested, still being prepared, or
  // preparing failed). The caller owns the file from here on and must rename it away (or
  // delete it) before the next Request() completes.
  std::optional<UniqueFd> Take();
  // Takes a closed, synced segment's file: its cached pages are dropped on this object's thread
  // (POSIX_FADV_DONTNEED) and the file is closed. Never blocks on I/O.
  void DropCache(UniqueFd closed_segment);
  std::filesystem::path path() const { return dir_ / kFileName; }
  uint64_t bytes() const { return bytes_; }

  // Stops the thread (an unfinished spare is abandoned) and deletes an unused spare file.
  void Stop();

 private:
  enum class State { kNone, kRequested, kPreparing, kReady, kFailed, kStopped };
  void Run();
  // Creates and zero-fills the file; returns it open, or an error. Checks stop_ between chunks.
  Result<UniqueFd> Prepare();
  // Starts the thread if it is not running. REQUIRES: mu_ held.
  void StartThreadLocked();

  const std::filesystem::path dir_;
  const uint64_t bytes_;
  std::mutex mu_;
  std::condition_variable cv_;
  State state_ = State::kNone;  // guarded by mu_
  UniqueFd ready_;              // guarded by mu_: the spare when kReady
  std::vector<UniqueFd> to_drop_;  // guarded by mu_: closed segments whose cache to drop
  bool stop_ = false;           // guarded by mu_
  std::thread thread_;
};

}  // namespace annal::wal
