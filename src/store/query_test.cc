// The read side: queries with every filter, cursor paging, entity state, listings, reopen.
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <thread>
#include <set>

#include "store/event_store.h"
#include "store/store_test_util.h"

namespace annal::store {
namespace {

using testing::AppendOk;
using testing::Ev;
using testing::ListOptions;
using testing::OpenOrDie;
using testing::OptionsFor;
using testing::TempDir;
using testing::WaitForClockPast;

// A store with a varied data set; every event gets its own timestamp so time filters bite.
class QueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_ = OptionsFor(dir_.path());
    store_ = OpenOrDie(options_);
    const char* types[] = {"order.created", "order.shipped", "order.cancelled", "user.created",
                           "user.renamed", "orderx"};
    const char* tenants[] = {"default", "acme"};
    TimestampMicros last = 0;
    for (int i = 0; i < 60; ++i) {
      WaitForClockPast(last);
      std::string payload = R"({"n":)" + std::to_string(i % 4) + R"(,"kind":")" +
                            (i % 3 == 0 ? "big" : "small") + R"(","nested":{"k":)" +
                            std::to_string(i % 2) + "}}";
      if (i == 7) payload = R"({"n":1.0})";
      last = AppendOk(*store_, Ev("ent-" + std::to_string(i % 7), types[i % 6], payload,
                                  tenants[i % 5 == 0 ? 1 : 0]))
                 .timestamp;
    }
  }

  // Every visible event, oldest first.
  std::vector<const Event*> All() const {
    auto r = store_->QueryEvents(Query{});
    EXPECT_TRUE(r.ok());
    return r->events;
  }

  // The same query evaluated by brute force over All().
  std::vector<const Event*> Reference(const Query& q,
                                      std::function<bool(const Event&)> payload_ok) const {
    std::vector<const Event*> out;
    for (const Event* e : All()) {
      if (e->sequence <= q.after) continue;
      if (q.entity_id && e->entity_id != *q.entity_id) continue;
      if (q.event_type && e->event_type != *q.event_type) continue;
      if (q.event_type_prefix && !e->event_type.starts_with(*q.event_type_prefix)) continue;
      if (q.tenant_id && e->tenant_id != *q.tenant_id) continue;
      if (q.since && e->timestamp < *q.since) continue;
      if (q.until && e->timestamp > *q.until) continue;
      if (q.as_of && e->timestamp > *q.as_of) continue;
      if (payload_ok && !payload_ok(*e)) continue;
      out.push_back(e);
    }
    return out;
  }

  void ExpectSameAsReference(const Query& q, std::function<bool(const Event&)> payload_ok = {}) {
    auto r = store_->QueryEvents(q);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    auto expected = Reference(q, payload_ok);
    EXPECT_EQ(r->total_count, expected.size());
    size_t cap = std::min(expected.size(), q.limit.value_or(expected.size()));
    ASSERT_EQ(r->events.size(), cap);
    for (size_t i = 0; i < cap; ++i) EXPECT_EQ(r->events[i], expected[i]) << i;
    EXPECT_EQ(r->has_more, cap < expected.size());
    if (r->has_more) {
      EXPECT_EQ(r->next_after, r->events.back()->sequence);
    }
  }

  TimestampMicros TimestampOf(size_t i) const { return All()[i]->timestamp; }

  TempDir dir_;
  StoreOptions options_;
  std::unique_ptr<EventStore> store_;
};

TEST_F(QueryTest, EachFilterAlone) {
  Query q;
  ExpectSameAsReference(q);
  q = {};
  q.entity_id = "ent-3";
  ExpectSameAsReference(q);
  q = {};
  q.entity_id = "nope";
  ExpectSameAsReference(q);
  q = {};
  q.event_type = "order.created";
  ExpectSameAsReference(q);
  q = {};
  q.event_type_prefix = "order.";
  ExpectSameAsReference(q);
  q = {};
  q.event_type_prefix = "order";  // includes "orderx"
  ExpectSameAsReference(q);
  q = {};
  q.event_type_prefix = "user.c";  // a single type
  ExpectSameAsReference(q);
  q = {};
  q.tenant_id = "acme";
  ExpectSameAsReference(q);
  q = {};
  q.since = TimestampOf(10);
  ExpectSameAsReference(q);
  q = {};
  q.until = TimestampOf(10);
  ExpectSameAsReference(q);
  q = {};
  q.as_of = TimestampOf(0);
  ExpectSameAsReference(q);
  q = {};
  q.after = Lsn(55);
  ExpectSameAsReference(q);
  q = {};
  q.limit = 5;
  ExpectSameAsReference(q);
  q = {};
  q.limit = 0;
  auto r = store_->QueryEvents(q);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->events.empty());
  EXPECT_EQ(r->total_count, 60u);
  EXPECT_TRUE(r->has_more);
  EXPECT_EQ(r->next_after, Lsn(0));
}

TEST_F(QueryTest, TimeBoundsAreInclusive) {
  Query q;
  q.since = TimestampOf(20);
  q.until = TimestampOf(30);
  auto r = store_->QueryEvents(q);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->events.size(), 11u);
  EXPECT_EQ(r->events.front()->sequence, Lsn(21));
  EXPECT_EQ(r->events.back()->sequence, Lsn(31));
  q.as_of = TimestampOf(25);  // the tighter of until and as_of wins
  ExpectSameAsReference(q);
  q = {};
  q.since = TimestampOf(30);
  q.until = TimestampOf(20);  // empty range is fine
  ExpectSameAsReference(q);
}

TEST_F(QueryTest, CombinedFilters) {
  Query q;
  q.entity_id = "ent-2";
  q.event_type_prefix = "order.";
  q.tenant_id = "default";
  q.since = TimestampOf(5);
  ExpectSameAsReference(q);
  q = {};
  q.event_type = "user.created";
  q.event_type_prefix = "user.";
  q.until = TimestampOf(40);
  q.after = Lsn(3);
  ExpectSameAsReference(q);
  q = {};
  q.event_type = "user.created";
  q.event_type_prefix = "order.";  // contradictory: nothing
  ExpectSameAsReference(q);
  q = {};
  q.entity_id = "ent-1";
  q.event_type = "order.shipped";
  q.limit = 1;
  ExpectSameAsReference(q);
}

TEST_F(QueryTest, PayloadFilters) {
  Query q;
  q.payload_filter = {{"n", "1"}};
  // i % 4 == 1, plus event 7 whose payload is {"n":1.0}.
  ExpectSameAsReference(q, [](const Event& e) {
    return e.sequence.value() % 4 == 2 || e.sequence == Lsn(8);
  });
  q.payload_filter = {{"n", "1.0"}, {"nested", R"({"k":1})"}};
  ExpectSameAsReference(q, [](const Event& e) { return e.sequence.value() % 4 == 2; });
  q.payload_filter = {{"kind", R"("big")"}};
  q.entity_id = "ent-0";
  ExpectSameAsReference(q, [](const Event& e) {
    return (e.sequence.value() - 1) % 3 == 0 && e.sequence != Lsn(8);
  });
  q.payload_filter = {{"kind", "not json"}};
  auto r = store_->QueryEvents(q);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(QueryTest, CursorPagingWalksEveryMatchExactlyOnce) {
  for (int variant = 0; variant < 3; ++variant) {
    Query q;
    if (variant == 1) q.event_type_prefix = "order";
    if (variant == 2) q.payload_filter = {{"kind", R"("small")"}};
    q.limit = 7;
    auto first = store_->QueryEvents(q);
    ASSERT_TRUE(first.ok());
    const size_t total = first->total_count;
    std::vector<const Event*> walked;
    size_t pages = 0;
    while (true) {
      auto r = store_->QueryEvents(q);
      ASSERT_TRUE(r.ok());
      EXPECT_EQ(r->total_count, total - walked.size());  // counts what is after the cursor
      walked.insert(walked.end(), r->events.begin(), r->events.end());
      ++pages;
      if (!r->has_more) break;
      ASSERT_TRUE(r->next_after);
      q.after = *r->next_after;
      ASSERT_LT(pages, 100u);
    }
    Query all = q;
    all.after = Lsn(0);
    all.limit.reset();
    auto expected = store_->QueryEvents(all);
    ASSERT_TRUE(expected.ok());
    EXPECT_EQ(walked, expected->events) << "variant " << variant;
    EXPECT_EQ(walked.size(), total);
    EXPECT_EQ(pages, (total + 6) / 7);
  }
}

TEST_F(QueryTest, MaxQueryResultsCapsUnlimitedQueries) {
  store_.reset();
  options_.max_query_results = 10;
  store_ = OpenOrDie(options_);
  auto r = store_->QueryEvents(Query{});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->events.size(), 10u);
  EXPECT_EQ(r->total_count, 60u);
  EXPECT_TRUE(r->has_more);
  EXPECT_EQ(r->next_after, Lsn(10));
  Query q;
  q.limit = 50;  // a larger limit is capped too
  EXPECT_EQ(store_->QueryEvents(q)->events.size(), 10u);
}

TEST_F(QueryTest, GetEventFindsOnlyStoredIds) {
  auto all = All();
  auto found = store_->GetEvent(all[17]->id);
  ASSERT_TRUE(found);
  EXPECT_EQ(*found, all[17]);
  EXPECT_FALSE(store_->GetEvent(Uuid::NewV7()));
}

TEST(LongScanTest, FilteredScanIsConsistentWhileAppendsContinue) {
  TempDir dir;
  auto store = OpenOrDie(OptionsFor(dir.path(), "never"));
  constexpr int kBatches = 5, kPerBatch = 1000;  // several lock holds' worth of candidates
  for (int b = 0; b < kBatches; ++b) {
    std::vector<NewEvent> batch;
    for (int i = 0; i < kPerBatch; ++i)
      batch.push_back(Ev("s" + std::to_string(i % 50), "scan.item",
                         R"({"hit":)" + std::string(i % 10 == 0 ? "true" : "false") + "}"));
    ASSERT_TRUE(store->Append(std::move(batch)).status.ok());
  }
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    while (!stop) ASSERT_TRUE(store->Append({Ev("s1", "scan.item", R"({"hit":true})")}).status.ok());
  });
  for (int round = 0; round < 20; ++round) {
    Query q;
    q.payload_filter = {{"hit", "true"}};
    q.until = NowMicros() - 1;  // leave out whatever the writer adds from now on...
    q.limit = 100;
    auto r = store->QueryEvents(q);
    ASSERT_TRUE(r.ok());
    // ...but a scan already in progress must not count anything twice or skip: the writer's
    // events all match, so total_count >= the base matches and results stay in order.
    EXPECT_GE(r->total_count, static_cast<size_t>(kBatches * kPerBatch / 10));
    for (size_t i = 1; i < r->events.size(); ++i)
      EXPECT_LT(r->events[i - 1]->sequence, r->events[i]->sequence);
    Query base = q;
    base.until.reset();
    base.after = Lsn(0);
    base.entity_id = "s0";  // entity s0 is never touched by the writer
    auto fixed = store->QueryEvents(base);
    ASSERT_TRUE(fixed.ok());
    EXPECT_EQ(fixed->total_count, static_cast<size_t>(kBatches * kPerBatch / 50));
  }
  stop = true;
  writer.join();
  Query all;
  all.payload_filter = {{"hit", "true"}};
  auto r = store->QueryEvents(all);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->total_count, static_cast<size_t>(store->visible_lsn().value()) -
                                kBatches * kPerBatch * 9 / 10);
}

TEST(EntityStateTest, MergesInOrderAndHonoursAsOfAndTenant) {
  TempDir dir;
  auto store = OpenOrDie(OptionsFor(dir.path()));
  auto r1 = AppendOk(*store, Ev("acct", "acct.opened", R"({"owner":"ann","balance":0})"));
  WaitForClockPast(r1.timestamp);
  auto r2 = AppendOk(*store, Ev("acct", "acct.credited", R"({"balance":10,"tags":["a"]})"));
  WaitForClockPast(r2.timestamp);
  AppendOk(*store, Ev("acct", "acct.opened", R"({"owner":"bob"})", "other"));
  auto r4 = AppendOk(*store, Ev("acct", "acct.renamed", R"({"owner":"cat"})"));

  auto all = store->GetEntityState(std::nullopt, "acct", std::nullopt);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->entity_id, "acct");
  EXPECT_EQ(all->event_count, 4u);
  EXPECT_EQ(all->current_state, R"({"owner":"cat","balance":10,"tags":["a"]})");
  EXPECT_EQ(all->last_updated, r4.timestamp);
  EXPECT_FALSE(all->as_of);
  ASSERT_EQ(all->history.size(), 4u);
  EXPECT_EQ(all->history[0]->sequence, Lsn(1));
  EXPECT_EQ(all->history[3]->sequence, Lsn(4));

  auto tenant = store->GetEntityState(std::string("other"), "acct", std::nullopt);
  ASSERT_TRUE(tenant);
  EXPECT_EQ(tenant->event_count, 1u);
  EXPECT_EQ(tenant->current_state, R"({"owner":"bob"})");

  auto past = store->GetEntityState(std::nullopt, "acct", r2.timestamp);
  ASSERT_TRUE(past);
  EXPECT_EQ(past->event_count, 2u);
  EXPECT_EQ(past->current_state, R"({"owner":"ann","balance":10,"tags":["a"]})");
  EXPECT_EQ(past->last_updated, r2.timestamp);
  EXPECT_EQ(past->as_of, r2.timestamp);

  EXPECT_FALSE(store->GetEntityState(std::nullopt, "acct", r1.timestamp - 1));
  EXPECT_FALSE(store->GetEntityState(std::nullopt, "nobody", std::nullopt));
  EXPECT_FALSE(store->GetEntityState(std::string("acme"), "acct", std::nullopt));
}

TEST(ListingTest, EntitiesStreamsTypesAndStats) {
  TempDir dir;
  auto store = OpenOrDie(OptionsFor(dir.path()));
  // Entities e0..e9; e3 and e7 are "closed"; every entity gets a "item.created".
  for (int i = 0; i < 10; ++i) {
    std::string id = "e" + std::to_string(i);
    AppendOk(*store, Ev(id, "item.created", R"({"status":"open","i":)" + std::to_string(i) + "}"));
    if (i % 4 == 3) AppendOk(*store, Ev(id, "item.closed", R"({"status":"closed"})"));
  }
  AppendOk(*store, Ev("e5", "audit.read", "{}", "acme"));

  auto page = store->ListEntities(ListOptions(4));
  EXPECT_EQ(page.total, 10u);
  EXPECT_TRUE(page.has_more);
  ASSERT_EQ(page.items.size(), 4u);
  EXPECT_EQ(page.items[0].entity_id, "e0");
  EXPECT_EQ(page.items[3].entity_id, "e3");
  EXPECT_EQ(page.items[3].event_count, 2u);
  EXPECT_EQ(page.items[3].last_event_type, "item.closed");
  page = store->ListEntities(ListOptions(4, 8));
  ASSERT_EQ(page.items.size(), 2u);
  EXPECT_FALSE(page.has_more);
  EXPECT_EQ(page.items[1].entity_id, "e9");
  EXPECT_TRUE(store->ListEntities(ListOptions(4, 20)).items.empty());

  EntityListOptions opts = ListOptions(100);
  opts.event_type_prefix = "item.cl";
  page = store->ListEntities(opts);
  ASSERT_EQ(page.total, 2u);
  EXPECT_EQ(page.items[0].entity_id, "e3");
  EXPECT_EQ(page.items[1].entity_id, "e7");
  // Filters apply to the current (merged) state: closed entities no longer say "open".
  opts = ListOptions(3, 1);
  opts.payload_filter = {{"status", R"("open")"}};
  page = store->ListEntities(opts);
  EXPECT_EQ(page.total, 8u);
  ASSERT_EQ(page.items.size(), 3u);
  EXPECT_EQ(page.items[0].entity_id, "e1");
  EXPECT_EQ(page.items[2].entity_id, "e4");
  EXPECT_TRUE(page.has_more);
  opts = ListOptions(100);
  opts.payload_filter = {{"status", R"("closed")"}, {"i", "7.0"}};
  page = store->ListEntities(opts);
  ASSERT_EQ(page.total, 1u);
  EXPECT_EQ(page.items[0].entity_id, "e7");

  auto streams = store->ListStreams(3, 1);
  EXPECT_EQ(streams.total, 10u);
  ASSERT_EQ(streams.items.size(), 3u);
  EXPECT_EQ(streams.items[0].stream_id, "e1");
  EXPECT_TRUE(streams.has_more);
  auto e5 = store->ListStreams(1, 5).items.at(0);
  EXPECT_EQ(e5.stream_id, "e5");
  EXPECT_EQ(e5.event_count, 2u);  // across tenants

  auto types = store->ListEventTypes(10, 0);
  EXPECT_EQ(types.total, 3u);
  ASSERT_EQ(types.items.size(), 3u);
  EXPECT_EQ(types.items[0].event_type, "audit.read");
  EXPECT_EQ(types.items[1].event_type, "item.closed");
  EXPECT_EQ(types.items[1].event_count, 2u);
  EXPECT_EQ(types.items[2].event_count, 10u);
  EXPECT_FALSE(types.has_more);
  types = store->ListEventTypes(1, 1);
  ASSERT_EQ(types.items.size(), 1u);
  EXPECT_EQ(types.items[0].event_type, "item.closed");
  EXPECT_TRUE(types.has_more);

  Stats stats = store->GetStats();
  EXPECT_EQ(stats.total_events, 13u);
  EXPECT_EQ(stats.total_entities, 10u);
  EXPECT_EQ(stats.total_event_types, 3u);
  EXPECT_EQ(stats.total_ingested, 13u);
}

// Renders everything a client can read, to compare stores.
std::string Snapshot(const EventStore& store) {
  std::string out;
  auto add_events = [&](const std::vector<const Event*>& events) {
    for (const Event* e : events) {
      out += std::to_string(e->sequence.value()) + "|" + e->id.ToString() + "|" + e->tenant_id +
             "|" + e->event_type + "|" + e->entity_id + "|" + e->payload + "|" +
             e->metadata.value_or("-") + "|" + std::to_string(e->timestamp) + "|" +
             std::to_string(e->entity_version.value()) + "\n";
    }
  };
  std::vector<Query> queries(5);
  queries[1].entity_id = "e2";
  queries[2].event_type = "item.closed";
  queries[3].event_type_prefix = "item";
  queries[3].tenant_id = "default";
  queries[4].payload_filter = {{"status", R"("open")"}};
  queries[4].limit = 3;
  for (const Query& q : queries) {
    auto r = store.QueryEvents(q);
    out += "q total=" + std::to_string(r->total_count) + " more=" + std::to_string(r->has_more) + "\n";
    add_events(r->events);
  }
  for (const char* id : {"e2", "e3", "e9"}) {
    auto st = store.GetEntityState(std::nullopt, id, std::nullopt);
    out += std::string(id) + " " + (st ? st->current_state : "none") + "\n";
  }
  for (const auto& e : store.ListEntities(testing::ListOptions(100)).items)
    out += e.entity_id + " " + std::to_string(e.event_count) + " " + e.last_event_type + "\n";
  for (const auto& t : store.ListEventTypes(100, 0).items)
    out += t.event_type + " " + std::to_string(t.event_count) + " " +
           std::to_string(t.last_event_at) + "\n";
  Stats s = store.GetStats();
  out += std::to_string(s.total_events) + " " + std::to_string(s.total_entities) + " " +
         std::to_string(s.total_event_types) + "\n";
  return out;
}

TEST(ReopenTest, RebuildsEveryIndexAndContinuesSequences) {
  TempDir dir;
  auto options = OptionsFor(dir.path());
  std::string before;
  Uuid client_id = Uuid::NewV7();
  {
    auto store = OpenOrDie(options);
    for (int i = 0; i < 10; ++i) {
      NewEvent e = Ev("e" + std::to_string(i % 4), i % 3 ? "item.created" : "item.closed",
                      R"({"status":")" + std::string(i % 2 ? "open" : "shut") + R"(","i":)" +
                          std::to_string(i) + "}");
      if (i == 4) e.metadata = R"({"by":"test"})";
      if (i == 6) e.event_id = client_id;
      AppendOk(*store, std::move(e));
    }
    ASSERT_TRUE(store->Append({Ev("e9"), Ev("e2", "x.y", "{}", "acme")}).status.ok());
    before = Snapshot(*store);
  }
  auto store = OpenOrDie(options);
  EXPECT_EQ(Snapshot(*store), before);
  EXPECT_EQ(store->visible_lsn(), Lsn(12));
  EXPECT_EQ(store->durable_lsn(), Lsn(12));
  // e2 has two events in tenant "default" (and one in "acme", a different stream).
  AppendResult next = AppendOk(*store, testing::Expecting(Ev("e2"), 2));
  EXPECT_EQ(next.sequence, Lsn(13));
  EXPECT_EQ(next.entity_version, EntityVersion(3));
  EXPECT_EQ(store->GetEvent(client_id).value()->sequence, Lsn(7));
}

}  // namespace
}  // namespace annal::store
