#include "store/visibility.h"

#include <utility>

namespace annal::store {

void VisibilityTracker::Init(Lsn lsn) {
  durable_.store(lsn, std::memory_order_release);
  visible_.store(lsn, std::memory_order_release);
}

Status VisibilityTracker::health() const {
  std::lock_guard lock(mu_);
  return poison_status_;
}

void VisibilityTracker::WaitFor(Lsn lsn, Waiter w) {
  Status fire_with;
  {
    std::lock_guard lock(mu_);
    // Checked under mu_ so a concurrent Publish cannot slip between the check and the insert.
    if (lsn <= visible_.load(std::memory_order_relaxed)) {
      fire_with = Status::Ok();
    } else if (poisoned_.load(std::memory_order_relaxed)) {
      fire_with = poison_status_;
    } else {
      waiters_.emplace(lsn, std::move(w));
      return;
    }
  }
  w(std::move(fire_with));
}

void VisibilityTracker::OnDurable(Lsn lsn, const Status& status) {
  if (!status.ok()) {
    Poison(status);
    return;
  }
  MarkDurable(lsn);
  Publish(lsn);
}

void VisibilityTracker::MarkDurable(Lsn lsn) {
  std::lock_guard lock(mu_);
  // After a failure nothing may count as durable-then-visible any more: an OK for a later
  // batch would contradict the WAL's contract, and publishing it could expose events whose
  // predecessors were lost.
  if (poisoned_.load(std::memory_order_relaxed)) return;
  if (lsn > durable_.load(std::memory_order_relaxed))
    durable_.store(lsn, std::memory_order_release);
}

void VisibilityTracker::Publish(Lsn lsn) {
  std::vector<Waiter> ready;
  {
    std::lock_guard lock(mu_);
    if (poisoned_.load(std::memory_order_relaxed)) return;
    Lsn durable = durable_.load(std::memory_order_relaxed);
    if (lsn > durable) lsn = durable;
    if (lsn <= visible_.load(std::memory_order_relaxed)) return;
    visible_.store(lsn, std::memory_order_release);
    auto end = waiters_.upper_bound(lsn);
    for (auto it = waiters_.begin(); it != end; ++it) ready.push_back(std::move(it->second));
    waiters_.erase(waiters_.begin(), end);
  }
  for (auto& w : ready) w(Status::Ok());  // in LSN order
}

void VisibilityTracker::Poison(Status error) {
  std::vector<Waiter> failed;
  Status first_error;
  {
    std::lock_guard lock(mu_);
    if (!poisoned_.load(std::memory_order_relaxed)) {
      poison_status_ = std::move(error);
      poisoned_.store(true, std::memory_order_release);
    }
    first_error = poison_status_;
    // Waiters <= visible were already run, so everything left is beyond the frozen watermark.
    for (auto& [lsn, w] : waiters_) failed.push_back(std::move(w));
    waiters_.clear();
  }
  for (auto& w : failed) w(first_error);
}

void VisibilityTracker::FailAll(const Status& error) {
  std::vector<Waiter> failed;
  {
    std::lock_guard lock(mu_);
    for (auto& [lsn, w] : waiters_) failed.push_back(std::move(w));
    waiters_.clear();
  }
  for (auto& w : failed) w(error);
}

}  // namespace annal::store
