// The write path: sequencing, batches, OCC, idempotency, visibility, reopen, close.
#include "store/event_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "store/store_test_util.h"

namespace annal::store {
namespace {

using testing::AppendOk;
using testing::Ev;
using testing::Expecting;
using testing::OpenOrDie;
using testing::OptionsFor;
using testing::TempDir;
using testing::WithId;

std::vector<const Event*> AllEvents(const EventStore& store) {
  auto r = store.QueryEvents(Query{});
  EXPECT_TRUE(r.ok());
  return r->events;
}

TEST(EventStoreTest, AssignsConsecutiveSequencesAndEntityVersions) {
  TempDir dir;
  auto store = OpenOrDie(OptionsFor(dir.path()));
  AppendResult a = AppendOk(*store, Ev("a"));
  EXPECT_EQ(a.sequence, Lsn(1));
  EXPECT_EQ(a.entity_version, EntityVersion(1));
  EXPECT_FALSE(a.duplicate);
  EXPECT_GT(a.timestamp, 0);

  AppendOutcome out = store->Append({Ev("a"), Ev("b"), Ev("a")});
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  ASSERT_EQ(out.results.size(), 3u);
  EXPECT_EQ(out.results[0].sequence, Lsn(2));
  EXPECT_EQ(out.results[1].sequence, Lsn(3));
  EXPECT_EQ(out.results[2].sequence, Lsn(4));
  EXPECT_EQ(out.results[0].entity_version, EntityVersion(2));
  EXPECT_EQ(out.results[1].entity_version, EntityVersion(1));
  EXPECT_EQ(out.results[2].entity_version, EntityVersion(3));
  EXPECT_GE(out.results[0].timestamp, a.timestamp);
  EXPECT_NE(out.results[0].event_id, out.results[2].event_id);

  // The stored events carry what the results said.
  auto stored = store->GetEvent(out.results[2].event_id);
  ASSERT_TRUE(stored);
  EXPECT_EQ((*stored)->sequence, Lsn(4));
  EXPECT_EQ((*stored)->entity_version, EntityVersion(3));
  EXPECT_EQ((*stored)->timestamp, out.results[2].timestamp);
  EXPECT_EQ(store->visible_lsn(), Lsn(4));
  EXPECT_EQ(store->GetStats().total_ingested, 4u);
}

TEST(EventStoreTest, StreamsAreKeyedByTenantAndEntity) {
  TempDir dir;
  auto store = OpenOrDie(OptionsFor(dir.path()));
  EXPECT_EQ(AppendOk(*store, Ev("x", "t.a", "{}", "t1")).entity_version, EntityVersion(1));
  EXPECT_EQ(AppendOk(*store, Ev("x", "t.a", "{}", "t2")).entity_version, EntityVersion(1));
  EXPECT_EQ(AppendOk(*store, Expecting(Ev("x", "t.a", "{}", "t1"), 1)).entity_version,
            EntityVersion(2));
}

TEST(EventStoreTest, InvalidEventInBatchWritesNothing) {
  TempDir dir;
  auto store = OpenOrDie(OptionsFor(dir.path()));
  AppendOk(*store, Ev("a"));
  AppendOutcome out = store->Append({Ev("a"), Ev("b", "Bad.Type"), Ev("c")});
  EXPECT_EQ(out.status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(out.failed_index, 1u);
  EXPECT_TRUE(out.status.message().starts_with("events[1]: ")) << out.status.message();
  EXPECT_TRUE(out.results.empty());
  EXPECT_EQ(store->GetStats().total_events, 1u);

  // A single invalid event: the message stands alone.
  out = store->Append({Ev("")});
  EXPECT_EQ(out.status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(out.failed_index, 0u);
  EXPECT_FALSE(out.status.message().starts_with("events[")) << out.status.message();

  out = store->Append({});
  EXPECT_EQ(out.status.code(), StatusCode::kInvalidArgument);

  EXPECT_EQ(AppendOk(*store, Ev("a")).sequence, Lsn(2));
  EXPECT_EQ(store->GetStats().total_events, 2u);
}

TEST(EventStoreTest, VersionConflictInBatchWritesNothing) {
  TempDir dir;
  auto store = OpenOrDie(OptionsFor(dir.path()));
  AppendOk(*store, Ev("a"));  // a at version 1
  // events[1] expects 1, but events[0] of the same batch already moved a to 2.
  AppendOutcome out = store->Append({Ev("a"), Expecting(Ev("a"), 1), Ev("b")});
  EXPECT_EQ(out.status.code(), StatusCode::kVersionConflict);
  EXPECT_EQ(out.failed_index, 1u);
  EXPECT_EQ(out.expected_version, EntityVersion(1));
  EXPECT_EQ(out.current_version, EntityVersion(2));
  EXPECT_TRUE(out.results.empty());
  EXPECT_EQ(store->GetStats().total_events, 1u);
  EXPECT_EQ(store->visible_lsn(), Lsn(1));

  // Nothing of the failed batch counts: the version is still 1 and b does not exist.
  AppendResult r = AppendOk(*store, Expecting(Ev("a"), 1));
  EXPECT_EQ(r.sequence, Lsn(2));
  EXPECT_EQ(r.entity_version, EntityVersion(2));
  EXPECT_EQ(AppendOk(*store, Expecting(Ev("b"), 0)).entity_version, EntityVersion(1));

  // A good batch may chain expectations on one entity.
  out = store->Append({Expecting(Ev("c"), 0), Expecting(Ev("c"), 1), Expecting(Ev("c"), 2)});
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  EXPECT_EQ(out.results[2].entity_version, EntityVersion(3));
  EXPECT_EQ(out.results[0].sequence, Lsn(4));
  EXPECT_EQ(out.results[2].sequence, Lsn(6));
}

TEST(EventStoreTest, OccRaceHasExactlyOneWinnerPerVersion) {
  TempDir dir;
  auto store = OpenOrDie(OptionsFor(dir.path()));
  constexpr int kThreads = 8;
  constexpr uint64_t kVersions = 60;
  std::mutex mu;
  std::vector<uint64_t> won;  // entity versions won, all threads
  std::atomic<int> conflicts{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      uint64_t expected = 0;
      while (expected < kVersions) {
        AppendOutcome out = store->Append(
            {Expecting(Ev("hot", "hot.write", "{\"t\":" + std::to_string(t) + "}"), expected)});
        if (out.status.ok()) {
          EXPECT_EQ(out.results[0].entity_version.value(), expected + 1);
          std::lock_guard lock(mu);
          won.push_back(out.results[0].entity_version.value());
          expected = out.results[0].entity_version.value();
        } else {
          ASSERT_EQ(out.status.code(), StatusCode::kVersionConflict) << out.status.ToString();
          EXPECT_EQ(out.expected_version.value(), expected);
          // Someone else won `expected + 1`, so the entity is at least there.
          EXPECT_GT(out.current_version.value(), expected);
          EXPECT_LE(out.current_version.value(), kVersions);
          expected = out.current_version.value();
          ++conflicts;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  std::sort(won.begin(), won.end());
  ASSERT_EQ(won.size(), kVersions);
  for (uint64_t v = 1; v <= kVersions; ++v) EXPECT_EQ(won[v - 1], v);
  Query q;
  q.entity_id = "hot";
  auto r = store->QueryEvents(q);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->events.size(), kVersions);
  for (uint64_t v = 1; v <= kVersions; ++v)
    EXPECT_EQ(r->events[v - 1]->entity_version, EntityVersion(v));
}

TEST(EventStoreTest, IdempotentRetryReturnsTheOriginalAndSurvivesReopen) {
  TempDir dir;
  auto options = OptionsFor(dir.path());
  const Uuid id = *Uuid::Parse("0190a5d0-ac96-774b-bcce-b302099a8057");
  AppendResult original;
  {
    auto store = OpenOrDie(options);
    AppendOk(*store, Ev("other"));
    original = AppendOk(*store, WithId(Expecting(Ev("a", "t.x", R"({"v":1})"), 0), id));
    EXPECT_EQ(original.event_id, id);
    Stats before = store->GetStats();

    // Same content (expected_version included, which no longer holds): the original result.
    AppendResult retry = AppendOk(*store, WithId(Expecting(Ev("a", "t.x", R"({"v":1})"), 0), id));
    EXPECT_TRUE(retry.duplicate);
    EXPECT_EQ(retry.event_id, id);
    EXPECT_EQ(retry.sequence, original.sequence);
    EXPECT_EQ(retry.timestamp, original.timestamp);
    EXPECT_EQ(retry.entity_version, original.entity_version);
    Stats after = store->GetStats();
    EXPECT_EQ(after.total_events, before.total_events);
    EXPECT_EQ(after.total_ingested, before.total_ingested);
    EXPECT_EQ(store->visible_lsn(), original.sequence);

    // Different content under the same id: refused, nothing written.
    AppendOutcome clash = store->Append({WithId(Ev("a", "t.x", R"({"v":2})"), id)});
    EXPECT_EQ(clash.status.code(), StatusCode::kDuplicateEventId);
    EXPECT_EQ(clash.duplicate_event_id, id);
    EXPECT_EQ(clash.failed_index, 0u);
    EXPECT_EQ(store->GetStats().total_events, before.total_events);
    ASSERT_TRUE(store->Close().ok());
  }
  auto store = OpenOrDie(options);
  AppendResult retry = AppendOk(*store, WithId(Ev("a", "t.x", R"({"v":1})"), id));
  EXPECT_TRUE(retry.duplicate);
  EXPECT_EQ(retry.sequence, original.sequence);
  EXPECT_EQ(retry.timestamp, original.timestamp);
  EXPECT_EQ(store->GetStats().total_events, 2u);
  EXPECT_EQ(store->GetStats().total_ingested, 0u);
  AppendOutcome clash = store->Append({WithId(Ev("a", "t.y", R"({"v":1})"), id)});
  EXPECT_EQ(clash.status.code(), StatusCode::kDuplicateEventId);
}

TEST(EventStoreTest, DuplicatesWithinAndAcrossBatches) {
  TempDir dir;
  auto store = OpenOrDie(OptionsFor(dir.path()));
  const Uuid x = Uuid::NewV7(), y = Uuid::NewV7(), z = Uuid::NewV7();
  AppendOutcome out = store->Append({WithId(Ev("a"), x), WithId(Ev("b"), y), WithId(Ev("a"), x)});
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  EXPECT_FALSE(out.results[0].duplicate);
  EXPECT_TRUE(out.results[2].duplicate);
  EXPECT_EQ(out.results[2].sequence, out.results[0].sequence);
  EXPECT_EQ(out.results[2].event_id, x);
  EXPECT_EQ(store->GetStats().total_events, 2u);
  EXPECT_EQ(store->GetStats().total_ingested, 2u);

  // Same id, other content, in one batch: the whole batch fails at the second one.
  out = store->Append({WithId(Ev("c"), z), WithId(Ev("c", "other.type"), z)});
  EXPECT_EQ(out.status.code(), StatusCode::kDuplicateEventId);
  EXPECT_EQ(out.failed_index, 1u);
  EXPECT_EQ(out.duplicate_event_id, z);
  EXPECT_EQ(store->GetStats().total_events, 2u);

  // A retried batch mixing old and new events writes only the new ones.
  out = store->Append({WithId(Ev("a"), x), WithId(Ev("c"), z)});
  ASSERT_TRUE(out.status.ok());
  EXPECT_TRUE(out.results[0].duplicate);
  EXPECT_EQ(out.results[0].sequence, Lsn(1));
  EXPECT_FALSE(out.results[1].duplicate);
  EXPECT_EQ(out.results[1].sequence, Lsn(3));

  // Entirely duplicate batch: writes nothing, answers with the originals.
  out = store->Append({WithId(Ev("b"), y), WithId(Ev("c"), z)});
  ASSERT_TRUE(out.status.ok());
  EXPECT_TRUE(out.results[0].duplicate && out.results[1].duplicate);
  EXPECT_EQ(out.results[0].sequence, Lsn(2));
  EXPECT_EQ(out.results[1].sequence, Lsn(3));
  EXPECT_EQ(store->GetStats().total_events, 3u);
  EXPECT_EQ(store->GetStats().total_ingested, 3u);
}

TEST(EventStoreTest, IdsRepeatedManyTimesInOneLargeBatch) {
  TempDir dir;
  auto store = OpenOrDie(OptionsFor(dir.path()));
  const Uuid stored = Uuid::NewV7();
  ASSERT_TRUE(store->Append({WithId(Ev("s"), stored)}).status.ok());

  // 3000 events over 1000 ids: each id three times, each time with the same content; and
  // the stored id twice in the middle.
  std::vector<Uuid> ids(1000);
  for (Uuid& id : ids) id = Uuid::NewV7();
  auto batch_of = [&] {
    std::vector<NewEvent> batch;
    for (size_t k = 0; k < 3000; ++k) {
      if (k == 1500 || k == 2500) batch.push_back(WithId(Ev("s"), stored));
      batch.push_back(WithId(Ev("e" + std::to_string(k % 1000)), ids[k % 1000]));
    }
    return batch;
  };
  AppendOutcome out = store->Append(batch_of());
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  ASSERT_EQ(out.results.size(), 3002u);
  EXPECT_EQ(store->GetStats().total_events, 1001u);
  for (size_t i = 0; i < out.results.size(); ++i) {
    const bool is_stored = i == 1500 || i == 2501;
    const size_t k = i - (i > 1500) - (i > 2501);  // the index into ids
    if (is_stored) {
      EXPECT_TRUE(out.results[i].duplicate);
      EXPECT_EQ(out.results[i].sequence, Lsn(1));
    } else {
      EXPECT_EQ(out.results[i].event_id, ids[k % 1000]);
      EXPECT_EQ(out.results[i].duplicate, k >= 1000) << i;
      EXPECT_EQ(out.results[i].sequence, Lsn(2 + k % 1000)) << i;
    }
  }

  // The same batch with the third use of one id changed fails at that event, writing nothing.
  std::vector<NewEvent> changed = batch_of();
  changed[2700] = WithId(Ev("other"), ids[2698 % 1000]);  // index 2700 is k = 2698
  out = store->Append(std::move(changed));
  EXPECT_EQ(out.status.code(), StatusCode::kDuplicateEventId);
  EXPECT_EQ(out.failed_index, 2700u);
  EXPECT_EQ(out.duplicate_event_id, ids[698]);
  EXPECT_EQ(store->GetStats().total_events, 1001u);

  // A new batch whose first use of an id differs from its second: fails at the second.
  const Uuid fresh = Uuid::NewV7();
  out = store->Append({WithId(Ev("f"), fresh), Ev("g"), WithId(Ev("f", "other.type"), fresh)});
  EXPECT_EQ(out.status.code(), StatusCode::kDuplicateEventId);
  EXPECT_EQ(out.failed_index, 2u);
  EXPECT_EQ(store->GetStats().total_events, 1001u);
}

TEST(EventStoreTest, ConcurrentAppendsAreGapFreeWithMonotonicTimestamps) {
  TempDir dir;
  auto store = OpenOrDie(OptionsFor(dir.path()));
  constexpr int kThreads = 8, kRounds = 60;
  std::atomic<uint64_t> written{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRounds; ++i) {
        std::vector<NewEvent> batch;
        int size = 1 + (i % 4);
        for (int k = 0; k < size; ++k)
          batch.push_back(Ev("e" + std::to_string((t * 7 + i + k) % 13)));
        AppendOutcome out = store->Append(std::move(batch));
        ASSERT_TRUE(out.status.ok()) << out.status.ToString();
        for (int k = 1; k < size; ++k)  // a batch gets consecutive sequences
          EXPECT_EQ(out.results[k].sequence, out.results[k - 1].sequence.next());
        written += size;
      }
    });
  }
  for (auto& th : threads) th.join();
  auto events = AllEvents(*store);
  ASSERT_EQ(events.size(), written.load());
  std::map<std::string, uint64_t> versions;
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i]->sequence, Lsn(i + 1));
    if (i > 0) {
      EXPECT_GE(events[i]->timestamp, events[i - 1]->timestamp);
    }
    EXPECT_EQ(events[i]->entity_version.value(), ++versions[events[i]->entity_id]);
  }
  EXPECT_EQ(store->visible_lsn(), Lsn(written.load()));
}

TEST(EventStoreTest, CompletedAppendIsVisibleAndVisibleNeverPassesDurable) {
  TempDir dir;
  auto store = OpenOrDie(OptionsFor(dir.path(), "interval:5"));
  std::atomic<bool> stop{false};
  std::atomic<int> violations{0};
  std::thread watcher([&] {
    while (!stop) {
      Lsn visible = store->visible_lsn();
      if (visible > store->durable_lsn()) ++violations;
      // A read only shows events up to the watermark read after it.
      auto r = store->QueryEvents(Query{});
      Lsn after = store->visible_lsn();
      if (!r.ok()) ++violations;
      for (const Event* e : r->events) {
        if (e->sequence > after) ++violations;
      }
    }
  });

  constexpr int kAppends = 400;
  std::mutex mu;
  std::condition_variable cv;
  int completed = 0;
  std::atomic<int> not_visible{0};
  for (int i = 0; i < kAppends; ++i) {
    store->AppendAsync({Ev("v" + std::to_string(i % 5))}, [&](AppendOutcome out) {
      ASSERT_TRUE(out.status.ok()) << out.status.ToString();
      // By the time `done` runs, readers can see the event.
      if (!store->GetEvent(out.results[0].event_id)) ++not_visible;
      if (store->visible_lsn() < out.results[0].sequence) ++not_visible;
      std::lock_guard lock(mu);
      ++completed;
      cv.notify_all();
    });
  }
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return completed == kAppends; }));
  }
  stop = true;
  watcher.join();
  EXPECT_EQ(violations.load(), 0);
  EXPECT_EQ(not_visible.load(), 0);
  EXPECT_EQ(store->GetStats().total_events, static_cast<uint64_t>(kAppends));
}

TEST(EventStoreTest, CloseFinishesInFlightAppendsAndRejectsLaterOnes) {
  TempDir dir;
  auto store = OpenOrDie(OptionsFor(dir.path(), "interval:20"));
  constexpr int kAppends = 200;
  std::atomic<int> ok{0}, failed{0};
  for (int i = 0; i < kAppends; ++i) {
    store->AppendAsync({Ev("c")}, [&](AppendOutcome out) {
      (out.status.ok() ? ok : failed)++;
    });
  }
  ASSERT_TRUE(store->Close().ok());
  EXPECT_EQ(ok.load(), kAppends);  // everything accepted before Close completes, durably
  EXPECT_EQ(failed.load(), 0);
  AppendOutcome late = store->Append({Ev("c")});
  EXPECT_EQ(late.status.code(), StatusCode::kUnavailable);
  EXPECT_TRUE(store->Close().ok());  // idempotent
  EXPECT_EQ(store->GetStats().total_events, static_cast<uint64_t>(kAppends));  // reads still work

  auto reopened = OpenOrDie(OptionsFor(dir.path()));
  EXPECT_EQ(reopened->visible_lsn(), Lsn(kAppends));
  EXPECT_EQ(AppendOk(*reopened, Expecting(Ev("c"), kAppends)).sequence, Lsn(kAppends + 1));
}

TEST(EventStoreTest, WalErrorPoisonsTheStoreAndHidesPendingEvents) {
  TempDir dir;
  auto options = OptionsFor(dir.path());
  options.wal_segment_bytes = 1;  // the WAL rotates after every batch
  auto store = OpenOrDie(options);
  AppendResult first = AppendOk(*store, Ev("p", "t.a", R"({"v":1})"));
  ASSERT_EQ(first.sequence, Lsn(1));
  ASSERT_TRUE(store->health().ok());
  // The WAL creates segments with O_EXCL: a squatting file makes the rotation after the next
  // batch fail, so that batch is never reported durable.
  { std::ofstream squat(dir.path() / "wal" / "wal-00000000000000000003.log"); }

  const Uuid pending_id = Uuid::NewV7();
  AppendOutcome failed = store->Append({WithId(Ev("p", "t.a", R"({"v":2})"), pending_id)});
  EXPECT_FALSE(failed.status.ok());
  EXPECT_TRUE(failed.results.empty());
  EXPECT_EQ(store->health().code(), failed.status.code());
  EXPECT_FALSE(store->health().ok());

  // The never-durable event is invisible everywhere; what was visible still reads fine.
  EXPECT_EQ(store->visible_lsn(), Lsn(1));
  EXPECT_LE(store->visible_lsn(), store->durable_lsn());
  EXPECT_FALSE(store->GetEvent(pending_id));
  auto all = store->QueryEvents(Query{});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->events.size(), 1u);
  EXPECT_EQ(all->events[0]->id, first.event_id);
  auto state = store->GetEntityState(std::nullopt, "p", std::nullopt);
  ASSERT_TRUE(state);
  EXPECT_EQ(state->current_state, R"({"v":1})");
  EXPECT_EQ(store->GetStats().total_events, 1u);
  EXPECT_EQ(store->ListEventTypes(10, 0).items.at(0).event_count, 1u);

  // Every later append fails, including a retry of the pending one (no silent success).
  AppendOutcome later = store->Append({Ev("q")});
  EXPECT_FALSE(later.status.ok());
  EXPECT_EQ(later.status.code(), failed.status.code());
  AppendOutcome retry = store->Append({WithId(Ev("p", "t.a", R"({"v":2})"), pending_id)});
  EXPECT_FALSE(retry.status.ok());
  EXPECT_EQ(store->GetStats().total_ingested, 1u);
  (void)store->Close();
}

TEST(EventStoreTest, HealthyStoreReportsOk) {
  TempDir dir;
  auto store = OpenOrDie(OptionsFor(dir.path()));
  EXPECT_TRUE(store->health().ok());
}

}  // namespace
}  // namespace annal::store
