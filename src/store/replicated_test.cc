// The follower write path (ApplyReplicatedAsync), the visibility gate of semi-sync/sync
// leaders, read-only mode and epochs.
#include <gtest/gtest.h>

#include <future>

#include "store/store_test_util.h"

namespace annal::store {
namespace {

using testing::AppendOk;
using testing::Ev;
using testing::OpenOrDie;
using testing::OptionsFor;
using testing::TempDir;

Status ApplySync(EventStore& store, std::vector<Event> events) {
  std::promise<Status> p;
  auto f = p.get_future();
  store.ApplyReplicatedAsync(std::move(events), [&p](Status st) { p.set_value(std::move(st)); });
  return f.get();
}

// Copies the events of `leader` lsn first..last as a follower would receive them.
std::vector<Event> Entries(EventStore& leader, uint64_t first, uint64_t last) {
  Query q;
  q.after = Lsn(first - 1);
  q.limit = last - first + 1;
  auto r = leader.QueryEvents(q);
  ANNAL_CHECK(r.ok());
  std::vector<Event> out;
  for (const Event* e : r->events) out.push_back(*e);
  return out;
}

TEST(ReplicatedTest, FollowerKeepsLeaderLsnsVersionsAndSurvivesRestart) {
  TempDir ld, fd;
  auto leader = OpenOrDie(OptionsFor(ld.path()));
  for (int i = 0; i < 10; ++i) AppendOk(*leader, Ev(i % 2 ? "a" : "b"));
  StoreOptions fo = OptionsFor(fd.path());
  fo.read_only = true;
  {
    auto follower = OpenOrDie(fo);
    ASSERT_TRUE(ApplySync(*follower, Entries(*leader, 1, 4)).ok());
    ASSERT_TRUE(ApplySync(*follower, Entries(*leader, 5, 10)).ok());
    EXPECT_EQ(follower->visible_lsn(), Lsn(10));
    EXPECT_EQ(follower->durable_lsn(), Lsn(10));
  }
  auto follower = OpenOrDie(fo);  // reopened: replays its own WAL/Parquet
  for (uint64_t l = 1; l <= 10; ++l) {
    auto a = Entries(*leader, l, l), b = Entries(*follower, l, l);
    ASSERT_EQ(b.size(), 1u);
    EXPECT_EQ(a[0].id, b[0].id);
    EXPECT_EQ(a[0].timestamp, b[0].timestamp);
    EXPECT_EQ(a[0].entity_version, b[0].entity_version);
    EXPECT_EQ(a[0].epoch, b[0].epoch);
  }
  // Read-only: a client append is refused and nothing changes.
  std::vector<NewEvent> batch;
  batch.push_back(Ev("x"));
  AppendOutcome out = follower->Append(std::move(batch));
  EXPECT_EQ(out.status.code(), StatusCode::kReadOnly);
  EXPECT_EQ(follower->last_lsn(), Lsn(10));
}

TEST(ReplicatedTest, RefusesGapsDuplicatesAndBadVersionsWritingNothing) {
  TempDir ld, fd;
  auto leader = OpenOrDie(OptionsFor(ld.path()));
  for (int i = 0; i < 6; ++i) AppendOk(*leader, Ev("a"));
  auto follower = OpenOrDie(OptionsFor(fd.path()));
  ASSERT_TRUE(ApplySync(*follower, Entries(*leader, 1, 2)).ok());

  EXPECT_EQ(ApplySync(*follower, Entries(*leader, 4, 5)).code(), StatusCode::kCorruption);  // gap
  EXPECT_EQ(ApplySync(*follower, Entries(*leader, 2, 3)).code(), StatusCode::kCorruption);  // old
  auto dup = Entries(*leader, 3, 4);
  dup[1].id = dup[0].id;
  EXPECT_EQ(ApplySync(*follower, dup).code(), StatusCode::kCorruption);
  auto bad_version = Entries(*leader, 3, 3);
  bad_version[0].entity_version = EntityVersion(7);
  EXPECT_EQ(ApplySync(*follower, bad_version).code(), StatusCode::kCorruption);
  auto old_epoch = Entries(*leader, 3, 3);
  ASSERT_TRUE(follower->SetEpoch(Epoch(5)).ok());
  old_epoch[0].epoch = Epoch(2);
  EXPECT_EQ(ApplySync(*follower, old_epoch).code(), StatusCode::kCorruption);
  EXPECT_EQ(follower->last_lsn(), Lsn(2));  // none of the refused batches left a trace

  // Unknown (0) entity versions and epochs, as an AllSource leader sends them, are filled in.
  auto anon = Entries(*leader, 3, 6);
  for (Event& e : anon) {
    e.entity_version = EntityVersion(0);
    e.epoch = Epoch(0);
  }
  ASSERT_TRUE(ApplySync(*follower, anon).ok());
  auto got = Entries(*follower, 6, 6);
  EXPECT_EQ(got[0].entity_version, EntityVersion(6));
  EXPECT_EQ(got[0].epoch, Epoch(5));
}

TEST(ReplicatedTest, GatedLeaderShowsDurableEventsOnlyAfterPublish) {
  TempDir d;
  StoreOptions o = OptionsFor(d.path());
  o.gate_visibility = true;
  std::atomic<uint64_t> durable_seen{0};
  o.on_durable = [&](Lsn l) { durable_seen = l.value(); };
  auto store = OpenOrDie(o);
  std::promise<AppendOutcome> p;
  auto f = p.get_future();
  std::vector<NewEvent> batch;
  batch.push_back(Ev("a"));
  store->AppendAsync(std::move(batch), [&p](AppendOutcome out) { p.set_value(std::move(out)); });
  ASSERT_TRUE(testing::WaitUntil([&] { return durable_seen.load() == 1; }));
  EXPECT_EQ(store->durable_lsn(), Lsn(1));
  EXPECT_EQ(store->visible_lsn(), Lsn(0));
  EXPECT_EQ(store->QueryEvents(Query{})->events.size(), 0u);  // readers do not see it yet
  EXPECT_EQ(f.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
  store->Publish(Lsn(5));  // clamped to durable
  EXPECT_EQ(store->visible_lsn(), Lsn(1));
  AppendOutcome out = f.get();
  EXPECT_TRUE(out.status.ok());
  EXPECT_EQ(out.results[0].sequence, Lsn(1));
}

}  // namespace
}  // namespace annal::store

namespace annal::store {
namespace {

TEST(ReplicatedTest, EpochHistoryIsDurableAndFollowsTheLog) {
  TempDir ld, fd;
  StoreOptions lo = OptionsFor(ld.path());
  {
    auto leader = OpenOrDie(lo);
    AppendOk(*leader, Ev("a"));
    AppendOk(*leader, Ev("a"));
    ASSERT_TRUE(leader->SetEpoch(Epoch(2)).ok());  // a promotion that has not written yet
    EXPECT_FALSE(leader->SetEpoch(Epoch(2)).ok());
  }
  auto leader = OpenOrDie(lo);
  EXPECT_EQ(leader->epoch(), Epoch(2)) << "the promotion survived a restart";
  using E = storage::EpochHistory::Entry;
  EXPECT_EQ(leader->epoch_history().entries(), (std::vector<E>{{Epoch(1), Lsn(1)}, {Epoch(2), Lsn(3)}}));
  AppendOk(*leader, Ev("a"));
  auto entries = Entries(*leader, 1, 3);
  EXPECT_EQ(entries[2].epoch, Epoch(2));

  // A follower learns the epochs from the entries it applies, and keeps them across restarts.
  StoreOptions fo = OptionsFor(fd.path());
  {
    auto follower = OpenOrDie(fo);
    ASSERT_TRUE(ApplySync(*follower, Entries(*leader, 1, 3)).ok());
  }
  auto follower = OpenOrDie(fo);
  EXPECT_EQ(follower->epoch_history().entries(), (std::vector<E>{{Epoch(1), Lsn(1)}, {Epoch(2), Lsn(3)}}));
  EXPECT_EQ(follower->epoch_history().EpochAt(Lsn(2)), Epoch(1));
  EXPECT_EQ(follower->epoch(), Epoch(2));
}

}  // namespace
}  // namespace annal::store
