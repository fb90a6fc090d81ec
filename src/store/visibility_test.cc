#include "store/visibility.h"

#include <gtest/gtest.h>

#include <vector>

namespace annal::store {
namespace {

TEST(VisibilityTrackerTest, WaitersRunInLsnOrderOncePublished) {
  VisibilityTracker t;
  t.Init(Lsn(3));
  std::vector<uint64_t> fired;
  t.WaitFor(Lsn(2), [&](Status st) { EXPECT_TRUE(st.ok()); fired.push_back(2); });  // inline
  EXPECT_EQ(fired, std::vector<uint64_t>({2}));
  t.WaitFor(Lsn(7), [&](Status st) { EXPECT_TRUE(st.ok()); fired.push_back(7); });
  t.WaitFor(Lsn(5), [&](Status st) { EXPECT_TRUE(st.ok()); fired.push_back(5); });
  t.WaitFor(Lsn(5), [&](Status st) { EXPECT_TRUE(st.ok()); fired.push_back(55); });
  t.OnDurable(Lsn(4), Status::Ok());
  EXPECT_EQ(t.visible(), Lsn(4));
  EXPECT_EQ(fired.size(), 1u);
  t.OnDurable(Lsn(6), Status::Ok());
  EXPECT_EQ(fired, std::vector<uint64_t>({2, 5, 55}));
  t.OnDurable(Lsn(7), Status::Ok());
  EXPECT_EQ(fired, std::vector<uint64_t>({2, 5, 55, 7}));
  EXPECT_EQ(t.durable(), Lsn(7));
}

TEST(VisibilityTrackerTest, PublishNeverPassesDurable) {
  VisibilityTracker t;
  t.Init(Lsn(0));
  t.MarkDurable(Lsn(3));
  t.Publish(Lsn(10));
  EXPECT_EQ(t.visible(), Lsn(3));
  t.Publish(Lsn(2));  // never goes back
  EXPECT_EQ(t.visible(), Lsn(3));
}

TEST(VisibilityTrackerTest, PoisonFreezesAndFailsWaiters) {
  VisibilityTracker t;
  t.Init(Lsn(1));
  std::vector<Status> results;
  t.WaitFor(Lsn(2), [&](Status st) { results.push_back(st); });
  t.WaitFor(Lsn(3), [&](Status st) { results.push_back(st); });
  t.OnDurable(Lsn(2), Status::Ok());
  t.OnDurable(Lsn(3), IOError("disk on fire"));
  ASSERT_EQ(results.size(), 2u);
  EXPECT_TRUE(results[0].ok());
  EXPECT_EQ(results[1].code(), StatusCode::kIOError);
  EXPECT_TRUE(t.poisoned());
  EXPECT_EQ(t.health().code(), StatusCode::kIOError);

  // A later OK must not expose anything; later waits fail at once.
  t.OnDurable(Lsn(4), Status::Ok());
  EXPECT_EQ(t.visible(), Lsn(2));
  EXPECT_EQ(t.durable(), Lsn(2));
  t.WaitFor(Lsn(4), [&](Status st) { results.push_back(st); });
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[2].code(), StatusCode::kIOError);
  // Already-visible LSNs are still fine (reads keep serving visible data).
  t.WaitFor(Lsn(2), [&](Status st) { results.push_back(st); });
  EXPECT_TRUE(results[3].ok());
}

}  // namespace
}  // namespace annal::store
