#include "replication/ack_tracker.h"
#include "core/thread_name.h"

#include <algorithm>

namespace annal::replication {

const char* AckModeName(AckMode mode) {
  switch (mode) {
    case AckMode::kAsync: return "async";
    case AckMode::kSemiSync: return "semi_sync";
    case AckMode::kSync: return "sync";
  }
  return "?";
}

AckTracker::AckTracker(AckPolicy policy, std::function<void(Lsn)> publish)
    : policy_(policy), publish_(std::move(publish)) {
  if (gates()) timer_ = NamedThread("annal-ack-timer", [this] { TimerLoop(); });
}

AckTracker::~AckTracker() { Stop(); }

void AckTracker::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  wake_.notify_all();
  if (timer_.joinable()) timer_.join();
}

uint32_t AckTracker::RequiredLocked() const {
  switch (policy_.mode) {
    case AckMode::kAsync: return 0;
    case AckMode::kSemiSync: return policy_.min_acks;
    case AckMode::kSync: {
      uint32_t in_sync = 0;
      for (const auto& [id, f] : followers_) in_sync += f.in_sync ? 1 : 0;
      return std::max(policy_.min_acks, in_sync);
    }
  }
  return 0;
}

Lsn AckTracker::QuorumLsnLocked() const {
  const uint32_t required = RequiredLocked();
  if (required == 0) return durable_;
  std::vector<Lsn> acked;
  for (const auto& [id, f] : followers_) {
    // Sync waits for the in-sync followers; one catching up still counts towards min_acks.
    acked.push_back(f.acked);
  }
  if (acked.size() < required) return Lsn(0);
  std::sort(acked.begin(), acked.end(), [](Lsn a, Lsn b) { return a > b; });
  Lsn quorum = acked[required - 1];
  if (policy_.mode == AckMode::kSync) {
    for (const auto& [id, f] : followers_)
      if (f.in_sync) quorum = std::min(quorum, f.acked);
  }
  return quorum;
}

void AckTracker::OnDurable(Lsn lsn) {
  {
    std::lock_guard lock(mu_);
    if (lsn <= durable_) return;
    durable_ = lsn;
    if (gates()) pending_.emplace_back(lsn, std::chrono::steady_clock::now() + policy_.timeout);
  }
  if (gates()) {
    wake_.notify_all();
    Advance();
  }
}

uint64_t AckTracker::AddFollower(std::string name) {
  std::lock_guard lock(mu_);
  uint64_t id = next_id_++;
  followers_[id] = Follower{std::move(name), Lsn(0), false};
  return id;
}

void AckTracker::RemoveFollower(uint64_t id) {
  {
    std::lock_guard lock(mu_);
    followers_.erase(id);
  }
  Advance();  // sync mode: one fewer follower to wait for
}

void AckTracker::SetInSync(uint64_t id, bool in_sync) {
  {
    std::lock_guard lock(mu_);
    auto it = followers_.find(id);
    if (it == followers_.end()) return;
    it->second.in_sync = in_sync;
  }
  Advance();
}

void AckTracker::OnAck(uint64_t id, Lsn lsn) {
  {
    std::lock_guard lock(mu_);
    auto it = followers_.find(id);
    if (it == followers_.end() || lsn <= it->second.acked) return;
    it->second.acked = lsn;
  }
  Advance();
}

WriteAck AckTracker::AckFor(Lsn lsn) const {
  std::lock_guard lock(mu_);
  WriteAck a;
  a.mode = policy_.mode;
  a.required = RequiredLocked();
  for (const auto& [id, f] : followers_) a.acks += f.acked >= lsn ? 1 : 0;
  a.acked = a.required == 0 || (a.acks >= a.required && QuorumLsnLocked() >= lsn);
  return a;
}

uint64_t AckTracker::timeouts() const {
  std::lock_guard lock(mu_);
  return timeouts_;
}

void AckTracker::Advance() {
  if (!gates()) return;
  std::lock_guard publish_lock(publish_mu_);
  Lsn target;
  {
    std::lock_guard lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    target = std::min(QuorumLsnLocked(), durable_);
    // Timed-out writes are published too (and everything before them: visibility is a prefix).
    for (const auto& [lsn, deadline] : pending_) {
      if (deadline > now) break;
      if (lsn > target) {
        target = lsn;
        ++timeouts_;
      }
    }
    if (stop_) target = durable_;
    if (target <= published_) return;
    published_ = target;
    while (!pending_.empty() && pending_.front().first <= target) pending_.pop_front();
  }
  publish_(target);
}

void AckTracker::TimerLoop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    if (pending_.empty()) {
      wake_.wait(lock);
      continue;
    }
    auto deadline = pending_.front().second;
    if (std::chrono::steady_clock::now() < deadline) {
      wake_.wait_until(lock, deadline);
      continue;
    }
    lock.unlock();
    Advance();
    lock.lock();
  }
  lock.unlock();
  Advance();  // stop_: publish everything durable
}

}  // namespace annal::replication
