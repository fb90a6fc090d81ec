// AckTracker: which LSN each mode publishes, the ack level a write reports, and timeouts.
#include "replication/ack_tracker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace annal::replication {
namespace {

struct Published {
  std::atomic<uint64_t> lsn{0};
  std::function<void(Lsn)> fn() {
    return [this](Lsn l) { lsn = l.value(); };
  }
};

AckPolicy Policy(AckMode mode, uint32_t min_acks, int timeout_ms = 60000) {
  return AckPolicy{mode, min_acks, std::chrono::milliseconds(timeout_ms)};
}

TEST(AckTracker, SemiSyncPublishesWhatMinAcksFollowersHave) {
  Published p;
  AckTracker t(Policy(AckMode::kSemiSync, 2), p.fn());
  uint64_t a = t.AddFollower("a"), b = t.AddFollower("b"), c = t.AddFollower("c");
  t.OnDurable(Lsn(10));
  EXPECT_EQ(p.lsn, 0u);
  t.OnAck(a, Lsn(10));
  EXPECT_EQ(p.lsn, 0u) << "one ack is not two";
  EXPECT_FALSE(t.AckFor(Lsn(10)).acked);
  t.OnAck(b, Lsn(7));
  EXPECT_EQ(p.lsn, 7u) << "the second-highest ack";
  t.OnAck(c, Lsn(12));  // beyond durable: clamped
  EXPECT_EQ(p.lsn, 10u);
  WriteAck w = t.AckFor(Lsn(10));
  EXPECT_TRUE(w.acked);
  EXPECT_EQ(w.acks, 2u);
  EXPECT_EQ(w.required, 2u);
  EXPECT_EQ(t.AckFor(Lsn(8)).acks, 2u);
}

TEST(AckTracker, SyncWaitsForEveryInSyncFollower) {
  Published p;
  AckTracker t(Policy(AckMode::kSync, 1), p.fn());
  uint64_t a = t.AddFollower("a"), b = t.AddFollower("b");
  t.SetInSync(a, true);
  t.SetInSync(b, true);
  t.OnDurable(Lsn(5));
  t.OnAck(a, Lsn(5));
  EXPECT_EQ(p.lsn, 0u);
  EXPECT_EQ(t.AckFor(Lsn(5)).required, 2u);
  t.OnAck(b, Lsn(4));
  EXPECT_EQ(p.lsn, 4u);
  t.RemoveFollower(b);  // it dropped out: the remaining in-sync follower suffices
  EXPECT_EQ(p.lsn, 5u);
  EXPECT_TRUE(t.AckFor(Lsn(5)).acked);
}

TEST(AckTracker, TimeoutPublishesAndTheWriteReportsNotAcked) {
  Published p;
  AckTracker t(Policy(AckMode::kSemiSync, 1, 50), p.fn());
  t.OnDurable(Lsn(3));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (p.lsn != 3 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ(p.lsn, 3u);
  EXPECT_FALSE(t.AckFor(Lsn(3)).acked);
  EXPECT_EQ(t.timeouts(), 1u);
}

TEST(AckTracker, AsyncNeverGatesAndStopPublishesEverything) {
  Published p;
  AckTracker async(Policy(AckMode::kAsync, 1), p.fn());
  EXPECT_FALSE(async.gates());
  EXPECT_TRUE(async.AckFor(Lsn(1)).acked);
  Published q;
  {
    AckTracker t(Policy(AckMode::kSemiSync, 1), q.fn());
    t.OnDurable(Lsn(9));
    EXPECT_EQ(q.lsn, 0u);
  }  // Stop: the waiting writes are answered (as not acked)
  EXPECT_EQ(q.lsn, 9u);
}

}  // namespace
}  // namespace annal::replication
