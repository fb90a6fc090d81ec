// VisibilityTracker: the durable and visible watermarks, and the callbacks waiting on them.
//
// An event is *durable* once the WAL reports its batch synced, and *visible* once readers may
// see it. Normally visible follows durable directly; a semi-sync/sync leader gates the two
// (the store calls MarkDurable on the WAL's completion and Publish once the ack tracker says the
// write reached its ack level or timed out). Invariant: visible <= durable, and both only grow.
//
// Once poisoned (a WAL I/O error), the watermarks freeze: events that were pending stay
// invisible forever, every waiter beyond the visible watermark fails with the error, and so
// does every later wait.
//
// Thread-safe. Waiters run outside the internal lock, on the thread that advanced the
// watermark (the WAL writer) or, when the condition already holds, on the caller's thread.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "core/status.h"
#include "core/types.h"

namespace annal::store {

class VisibilityTracker {
 public:
  // Receives OK once the LSN is visible, otherwise the error that means it never will be.
  using Waiter = std::function<void(Status)>;

  // Everything up to `lsn` is durable and visible (recovered state). Call before any other
  // thread uses the tracker.
  void Init(Lsn lsn);

  Lsn visible() const { return visible_.load(std::memory_order_acquire); }
  Lsn durable() const { return durable_.load(std::memory_order_acquire); }
  bool poisoned() const { return poisoned_.load(std::memory_order_acquire); }
  // OK, or the error that poisoned the tracker.
  Status health() const;

  // Runs `w` once `lsn` is visible: inline when it already is (or when poisoned), otherwise
  // later from Publish/Poison/FailAll.
  void WaitFor(Lsn lsn, Waiter w);

  // The WAL completed the batch ending at `lsn` (in LSN order) with `status`: OK marks it
  // durable and publishes it; an error poisons.
  void OnDurable(Lsn lsn, const Status& status);
  void MarkDurable(Lsn lsn);
  // Advances the visible watermark to `lsn` (clamped to durable) and runs the waiters <= it.
  void Publish(Lsn lsn);
  // Freezes the watermarks and fails every waiter beyond visible with `error`. First error
  // wins.
  void Poison(Status error);
  // Fails every remaining waiter with `error` without poisoning (store shutdown).
  void FailAll(const Status& error);

 private:
  mutable std::mutex mu_;
  std::atomic<Lsn> visible_{Lsn(0)};
  std::atomic<Lsn> durable_{Lsn(0)};
  std::atomic<bool> poisoned_{false};
  Status poison_status_;                  // guarded by mu_
  std::multimap<Lsn, Waiter> waiters_;    // guarded by mu_; keyed by the LSN awaited
};

}  // namespace annal::store
