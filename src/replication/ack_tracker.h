// AckTracker: the leader's acknowledgement modes (DESIGN §5.5).
//
// The store gates visibility (StoreOptions::gate_visibility) in semi-sync and sync mode: a
// durable write becomes visible, and its appender is answered, only when this tracker calls
// `publish(lsn)` — once enough followers acked an LSN >= it, or when its ack timeout expired.
// Acks are cumulative, so the tracker keeps one acked LSN per follower.
//
//   async      publish at local durability (the store is not gated; the tracker only reports)
//   semi-sync  acked by >= min_acks followers
//   sync       acked by every in-sync follower, and by at least min_acks
// The wait targets the LSN of the write itself. A write that timed out is still published (the
// response then says acked:false; --on-ack-timeout decides between 200 degraded and 503).
//
// Thread-safe. `publish` is called without the tracker's lock held, from the thread that
// delivered the ack, the durable notification or the timeout.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/types.h"

namespace annal::replication {

enum class AckMode { kAsync, kSemiSync, kSync };
// "async", "semi_sync", "sync" (the spelling /health reports).
const char* AckModeName(AckMode mode);

struct AckPolicy {
  AckMode mode = AckMode::kAsync;
  uint32_t min_acks = 1;
  std::chrono::milliseconds timeout{5000};
};

// The ack level a write reached, reported on its response.
struct WriteAck {
  AckMode mode = AckMode::kAsync;
  bool acked = true;       // reached the mode's level (async: local durability)
  uint32_t acks = 0;       // followers that have the write durably
  uint32_t required = 0;   // followers the mode waited for (async: 0)
};

class AckTracker {
 public:
  AckTracker(AckPolicy policy, std::function<void(Lsn)> publish);
  ~AckTracker();  // Stop()

  const AckPolicy& policy() const { return policy_; }
  // Whether the store must gate visibility on this tracker.
  bool gates() const { return policy_.mode != AckMode::kAsync; }

  // A batch ending at `lsn` is durable on the leader: start its timeout clock.
  void OnDurable(Lsn lsn);

  // Follower bookkeeping. Ids are the tracker's; names are for reports.
  uint64_t AddFollower(std::string name);
  void RemoveFollower(uint64_t id);
  void SetInSync(uint64_t id, bool in_sync);
  void OnAck(uint64_t id, Lsn lsn);

  WriteAck AckFor(Lsn lsn) const;
  // Writes published because their timeout expired (not because they were acked).
  uint64_t timeouts() const;

  // Publishes everything durable and stops the timer thread. Idempotent.
  void Stop();

 private:
  struct Follower {
    std::string name;
    Lsn acked;
    bool in_sync = false;
  };
  // The highest LSN that has reached the ack level. REQUIRES: mu_ held.
  Lsn QuorumLsnLocked() const;
  uint32_t RequiredLocked() const;
  // Publishes what acks or timeouts allow. Called without mu_ held.
  void Advance();
  void TimerLoop();

  const AckPolicy policy_;
  const std::function<void(Lsn)> publish_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::map<uint64_t, Follower> followers_;
  uint64_t next_id_ = 1;
  Lsn durable_, published_;
  // Durable batches not yet published, oldest first, with their deadlines.
  std::deque<std::pair<Lsn, std::chrono::steady_clock::time_point>> pending_;
  uint64_t timeouts_ = 0;
  bool stop_ = false;
  std::mutex publish_mu_;  // serializes publish_ calls so they stay in LSN order
  std::thread timer_;
};

}  // namespace annal::replication
