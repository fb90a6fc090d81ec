// The store with Parquet checkpoints: restart = Parquet files + WAL tail, identical state,
// WAL segments deleted only when checkpointed, crash at every checkpoint/compaction step,
// damaged files stop start-up, compaction with pins, the background thread.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <fstream>
#include <iterator>
#include <set>

#include "core/crc32c.h"
#include "storage/file_names.h"
#include "store/event_store.h"
#include "store/store_test_util.h"

namespace annal::store {
namespace {

using testing::AppendOk;
using testing::Ev;
using testing::Expecting;
using testing::OpenOrDie;
using testing::OptionsFor;
using testing::TempDir;
using testing::WaitUntil;
namespace fs = std::filesystem;

// Options for deterministic tests: no background thread, optionally no final checkpoint.
StoreOptions Manual(const fs::path& dir, bool checkpoint_on_close = true) {
  StoreOptions o = OptionsFor(dir);
  o.checkpoint_interval = std::chrono::milliseconds(0);
  o.checkpoint_on_close = checkpoint_on_close;
  return o;
}

// Event i of a deterministic workload: entities, types, tenants and metadata vary.
NewEvent Nth(int i) {
  NewEvent e = Ev("e" + std::to_string(i % 7), i % 3 ? "item.created" : "item.closed",
                  R"({"i":)" + std::to_string(i) + R"(,"s":")" + (i % 2 ? "odd" : "even") + "\"}",
                  i % 5 == 0 ? "acme" : "default");
  if (i % 4 == 0) e.metadata = R"({"by":"test"})";
  return e;
}

// Appends events [from, to) in batches of up to 4.
void AppendRange(EventStore& store, int from, int to) {
  for (int i = from; i < to;) {
    std::vector<NewEvent> batch;
    for (int k = 0; k < 4 && i < to; ++k, ++i) batch.push_back(Nth(i));
    AppendOutcome out = store.Append(std::move(batch));
    ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  }
}

// Everything a client can read, rendered for comparison.
std::string Dump(const EventStore& store) {
  std::string out;
  auto r = store.QueryEvents(Query{});
  EXPECT_TRUE(r.ok());
  for (const Event* e : r->events)
    out += std::to_string(e->sequence.value()) + "|" + e->id.ToString() + "|" + e->tenant_id +
           "|" + e->event_type + "|" + e->entity_id + "|" + e->payload + "|" +
           e->metadata.value_or("-") + "|" + std::to_string(e->timestamp) + "|" +
           std::to_string(e->entity_version.value()) + "\n";
  Query by_type;
  by_type.event_type = "item.closed";
  out += "closed=" + std::to_string(store.QueryEvents(by_type)->total_count) + "\n";
  for (int k = 0; k < 7; ++k) {
    auto st = store.GetEntityState(std::nullopt, "e" + std::to_string(k), std::nullopt);
    out += "e" + std::to_string(k) + " " + (st ? st->current_state : "none") + "\n";
  }
  for (const auto& e : store.ListEntities(testing::ListOptions(100)).items)
    out += e.entity_id + " " + std::to_string(e.event_count) + " " + e.last_event_type + "\n";
  for (const auto& t : store.ListEventTypes(100, 0).items)
    out += t.event_type + " " + std::to_string(t.event_count) + "\n";
  Stats s = store.GetStats();
  out += std::to_string(s.total_events) + " " + std::to_string(s.total_entities) + " " +
         std::to_string(s.total_event_types) + "\n";
  return out;
}

// The events a store shows must be exactly Nth(0..n-1) with sequences 1..n: nothing lost,
// nothing duplicated, nothing reordered.
void ExpectExactlyTheWorkload(const EventStore& store, int n) {
  auto r = store.QueryEvents(Query{});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->events.size(), static_cast<size_t>(n));
  std::set<Uuid> ids;
  for (int i = 0; i < n; ++i) {
    const Event& e = *r->events[i];
    const NewEvent want = Nth(i);
    ASSERT_EQ(e.sequence, Lsn(i + 1));
    ASSERT_EQ(e.payload, want.payload) << "lsn " << i + 1;
    ASSERT_EQ(e.entity_id, want.entity_id);
    ASSERT_EQ(e.tenant_id, want.tenant_id);
    ASSERT_EQ(e.metadata, want.metadata);
    ASSERT_TRUE(ids.insert(e.id).second) << "duplicate id at lsn " << i + 1;
  }
}

// Events of entity e<k> in tenant "default" among Nth(0..n-1): its stream's version.
uint64_t DefaultVersionOf(int k, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v += (i % 7 == k && i % 5 != 0);
  return v;
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void WriteFile(const fs::path& p, const std::string& data) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

std::vector<std::string> FilesIn(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

size_t ParquetFiles(const fs::path& data) {
  size_t n = 0;
  for (const std::string& name : FilesIn(data / "storage")) n += name.ends_with(".parquet");
  return n;
}

TEST(CheckpointTest, ReopenAfterCheckpointIsIdenticalAndReplaysTheWalTail) {
  TempDir dir;
  const StoreOptions options = Manual(dir.path(), /*checkpoint_on_close=*/false);
  std::string before;
  Uuid early_id;
  {
    auto store = OpenOrDie(options);
    AppendRange(*store, 0, 50);
    early_id = store->QueryEvents(Query{})->events[3]->id;
    auto cp = store->Checkpoint();
    ASSERT_TRUE(cp.ok()) << cp.status().ToString();
    EXPECT_EQ(cp->checkpoint_lsn, Lsn(50));
    EXPECT_EQ(cp->files_written, 1u);
    EXPECT_EQ(store->checkpoint_lsn(), Lsn(50));
    StorageStats s = store->storage_stats();
    EXPECT_EQ(s.files, 1u);
    EXPECT_GT(s.bytes, 0u);
    EXPECT_EQ(s.checkpoint_files_written, 1u);
    // The WAL tail: not in Parquet, only in the WAL (no final checkpoint on close).
    AppendRange(*store, 50, 70);
    before = Dump(*store);
    ASSERT_TRUE(store->Close().ok());
    EXPECT_EQ(store->checkpoint_lsn(), Lsn(50));
  }
  EXPECT_EQ(ParquetFiles(dir.path()), 1u);
  auto store = OpenOrDie(options);
  EXPECT_EQ(store->checkpoint_lsn(), Lsn(50));
  EXPECT_EQ(store->visible_lsn(), Lsn(70));
  EXPECT_EQ(Dump(*store), before);
  ExpectExactlyTheWorkload(*store, 70);
  // Sequences, entity versions and idempotency continue across the restart.
  const uint64_t e1 = DefaultVersionOf(1, 70);
  AppendResult next = AppendOk(*store, Expecting(Ev("e1"), e1));
  EXPECT_EQ(next.sequence, Lsn(71));
  EXPECT_EQ(next.entity_version, EntityVersion(e1 + 1));
  NewEvent retry = Nth(3);
  retry.event_id = early_id;
  AppendResult dup = AppendOk(*store, std::move(retry));
  EXPECT_TRUE(dup.duplicate);
  EXPECT_EQ(dup.sequence, Lsn(4));
}

TEST(CheckpointTest, CloseCheckpointsEverythingAndReopenReadsParquet) {
  TempDir dir;
  std::string before;
  {
    auto store = OpenOrDie(Manual(dir.path()));
    AppendRange(*store, 0, 30);
    before = Dump(*store);
    ASSERT_TRUE(store->Close().ok());
    EXPECT_EQ(store->checkpoint_lsn(), Lsn(30));
  }
  auto store = OpenOrDie(Manual(dir.path()));
  EXPECT_EQ(store->checkpoint_lsn(), Lsn(30));
  EXPECT_EQ(Dump(*store), before);
  // A second close with nothing new writes no file.
  ASSERT_TRUE(store->Close().ok());
  EXPECT_EQ(ParquetFiles(dir.path()), 1u);
}

TEST(CheckpointTest, WalSegmentsGoOnlyWhenCheckpointedAndOutsideRetention) {
  TempDir dir;
  StoreOptions options = Manual(dir.path(), /*checkpoint_on_close=*/false);
  options.wal_segment_bytes = 1;  // every batch rotates: segment k holds LSN k
  options.wal_retention_bytes = 0;
  auto store = OpenOrDie(options);
  for (int i = 0; i < 10; ++i) AppendOk(*store, Nth(i));
  const fs::path wal = dir.path() / "wal";
  ASSERT_EQ(FilesIn(wal).size(), 11u);  // 10 full segments + the active one at LSN 11
  // Nothing checkpointed: nothing deleted, whatever the retention.
  ASSERT_TRUE(store->Close().ok());
  EXPECT_EQ(FilesIn(wal).size(), 11u);

  store = OpenOrDie(options);
  auto cp = store->Checkpoint();
  ASSERT_TRUE(cp.ok()) << cp.status().ToString();
  EXPECT_EQ(cp->wal_segments_removed.size(), 10u);
  EXPECT_EQ(FilesIn(wal), (std::vector<std::string>{"wal-00000000000000000011.log"}));
  EXPECT_EQ(store->storage_stats().wal_segments_removed, 10u);
  AppendOk(*store, Nth(10));
  AppendOk(*store, Nth(11));
  ASSERT_TRUE(store->Close().ok());

  // With a retention, checkpointed segments inside it stay.
  options.wal_retention_bytes = 1ull << 30;
  store = OpenOrDie(options);
  ExpectExactlyTheWorkload(*store, 12);
  ASSERT_TRUE(store->Checkpoint().ok());
  EXPECT_EQ(FilesIn(wal).size(), 3u);  // 11, 12, active 13
  ASSERT_TRUE(store->Close().ok());
  store = OpenOrDie(options);
  ExpectExactlyTheWorkload(*store, 12);
}

TEST(CheckpointTest, EmptyWalAfterCheckpointContinuesAtCheckpointPlusOne) {
  TempDir dir;
  {
    auto store = OpenOrDie(Manual(dir.path()));
    AppendRange(*store, 0, 12);
  }  // final checkpoint at 12
  fs::remove_all(dir.path() / "wal");  // every segment gone (all were checkpointed)
  {
    auto store = OpenOrDie(Manual(dir.path()));
    EXPECT_EQ(store->visible_lsn(), Lsn(12));
    EXPECT_TRUE(fs::exists(dir.path() / "wal" / "wal-00000000000000000013.log"));
    const uint64_t e3 = DefaultVersionOf(3, 12);
    ASSERT_GT(e3, 0u);
    AppendResult next = AppendOk(*store, Expecting(Ev("e3"), e3));
    EXPECT_EQ(next.sequence, Lsn(13));
    EXPECT_EQ(next.entity_version, EntityVersion(e3 + 1));
    ASSERT_TRUE(store->Close().ok());
  }
  auto store = OpenOrDie(Manual(dir.path()));
  EXPECT_EQ(store->visible_lsn(), Lsn(13));
  EXPECT_EQ(store->checkpoint_lsn(), Lsn(13));
}

TEST(CheckpointTest, WalThatStartsAfterTheCheckpointIsCorruption) {
  TempDir dir;
  StoreOptions options = Manual(dir.path(), /*checkpoint_on_close=*/false);
  options.wal_segment_bytes = 1;
  options.wal_retention_bytes = 0;
  {
    auto store = OpenOrDie(options);
    for (int i = 0; i < 4; ++i) AppendOk(*store, Nth(i));
    ASSERT_TRUE(store->Checkpoint().ok());
    for (int i = 4; i < 8; ++i) AppendOk(*store, Nth(i));
  }
  fs::remove(dir.path() / "wal" / "wal-00000000000000000005.log");  // LSN 5 lost
  auto store = EventStore::Open(options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kCorruption);
  EXPECT_NE(store.status().message().find("wal-00000000000000000006.log"), std::string::npos)
      << store.status().message();
}

TEST(CheckpointTest, DamagedParquetFileOrManifestStopsOpenNamingIt) {
  TempDir dir;
  {
    auto store = OpenOrDie(Manual(dir.path()));
    AppendRange(*store, 0, 20);
  }
  const fs::path storage = dir.path() / "storage";
  const std::string file = storage::EventFileName(Lsn(1), Lsn(20));
  const std::string good = ReadFile(storage / file);
  for (size_t at : {good.size() / 3, good.size() / 2, good.size() - 10}) {
    std::string bad = good;
    bad[at] = static_cast<char>(bad[at] ^ 0x04);
    WriteFile(storage / file, bad);
    auto store = EventStore::Open(Manual(dir.path()));
    ASSERT_FALSE(store.ok()) << "byte " << at;
    EXPECT_EQ(store.status().code(), StatusCode::kCorruption);
    EXPECT_NE(store.status().message().find(file), std::string::npos) << store.status().message();
  }
  WriteFile(storage / file, good);
  ASSERT_TRUE(EventStore::Open(Manual(dir.path())).ok());

  std::string manifest = ReadFile(storage / "MANIFEST");
  manifest[manifest.size() / 2] ^= 0x01;
  WriteFile(storage / "MANIFEST", manifest);
  auto store = EventStore::Open(Manual(dir.path()));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kCorruption);
  EXPECT_NE(store.status().message().find("MANIFEST"), std::string::npos) << store.status().message();
  // A failed start-up deleted nothing.
  EXPECT_TRUE(fs::exists(storage / file));
}

TEST(CheckpointTest, OrphansOfACrashedCheckpointAreRemovedAtOpen) {
  TempDir dir;
  {
    auto store = OpenOrDie(Manual(dir.path()));
    AppendRange(*store, 0, 5);
  }
  const fs::path storage = dir.path() / "storage";
  WriteFile(storage / (storage::EventFileName(Lsn(6), Lsn(9)) + ".tmp"), "partial");
  WriteFile(storage / storage::EventFileName(Lsn(6), Lsn(9)), "unlisted");
  WriteFile(storage / "MANIFEST.tmp", "half a manifest");
  auto store = OpenOrDie(Manual(dir.path()));
  EXPECT_EQ(FilesIn(storage),
            (std::vector<std::string>{"MANIFEST", storage::EventFileName(Lsn(1), Lsn(5))}));
  ExpectExactlyTheWorkload(*store, 5);
}

TEST(CheckpointTest, AppendsProceedWhileACheckpointIsWriting) {
  TempDir dir;
  StoreOptions options = Manual(dir.path(), /*checkpoint_on_close=*/false);
  EventStore* raw = nullptr;
  Status during = Internal("hook did not run");
  // The hook runs on the checkpointing thread in the middle of the checkpoint (file written,
  // not committed). An append from there must complete: the checkpoint holds no append lock.
  options.storage_crash_hook = [&](storage::CrashPoint p) {
    if (p == storage::CrashPoint::kCheckpointTempWritten && raw != nullptr) {
      during = raw->Append({Nth(10)}).status;
      raw = nullptr;
    }
  };
  {
    auto store = OpenOrDie(options);
    AppendRange(*store, 0, 10);
    raw = store.get();
    auto cp = store->Checkpoint();
    ASSERT_TRUE(cp.ok()) << cp.status().ToString();
    EXPECT_TRUE(during.ok()) << during.ToString();
    EXPECT_EQ(cp->checkpoint_lsn, Lsn(10));  // the range was fixed before the append
    EXPECT_EQ(store->visible_lsn(), Lsn(11));
  }
  auto store = OpenOrDie(Manual(dir.path()));
  ExpectExactlyTheWorkload(*store, 11);
}

// --- Crash at every step: a forked child runs the store and _exit()s at the step, with no
// destructor, no Close and no cleanup; the parent restarts from what it left on disk.

std::atomic<bool> g_armed{false};

StoreOptions CrashingOptions(const fs::path& dir, storage::CrashPoint at) {
  StoreOptions o = Manual(dir);
  o.wal_segment_bytes = 1;  // many segments, so the retention step has something to delete
  o.wal_retention_bytes = 0;
  o.storage_crash_hook = [at](storage::CrashPoint p) {
    if (g_armed.load() && p == at) ::_exit(0);
  };
  return o;
}

void ExpectRestartIsExact(const fs::path& dir, int n) {
  auto store = OpenOrDie(Manual(dir));
  ExpectExactlyTheWorkload(*store, n);
  for (const std::string& name : FilesIn(dir / "storage")) EXPECT_FALSE(name.ends_with(".tmp")) << name;
  // Everything on disk is live: the orphans of the crash are gone.
  EXPECT_EQ(ParquetFiles(dir), store->storage_stats().files);
  // The store goes on: the next event is n+1, and a checkpoint + restart keeps it all.
  AppendResult next = AppendOk(*store, Nth(n));
  EXPECT_EQ(next.sequence, Lsn(n + 1));
  ASSERT_TRUE(store->Close().ok());
  auto again = OpenOrDie(Manual(dir));
  ExpectExactlyTheWorkload(*again, n + 1);
  EXPECT_EQ(again->checkpoint_lsn(), Lsn(n + 1));
}

std::string CrashPointTestName(const ::testing::TestParamInfo<storage::CrashPoint>& info) {
  std::string name(storage::CrashPointName(info.param));
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return name;
}

class CheckpointCrashTest : public ::testing::TestWithParam<storage::CrashPoint> {};
class CompactionCrashTest : public ::testing::TestWithParam<storage::CrashPoint> {};

TEST_P(CheckpointCrashTest, RestartLosesNothingAndDuplicatesNothing) {
  GTEST_FLAG_SET(death_test_style, "fast");  // fork: the child sees the parent's temp dir
  TempDir dir;
  const storage::CrashPoint at = GetParam();
  EXPECT_EXIT(
      {
        auto store = EventStore::Open(CrashingOptions(dir.path(), at));
        if (!store.ok()) std::_Exit(2);
        AppendRange(**store, 0, 20);
        if (!(*store)->Checkpoint().ok()) std::_Exit(3);  // an earlier, complete checkpoint
        AppendRange(**store, 20, 35);
        g_armed = true;
        (void)(*store)->Checkpoint();
        std::_Exit(1);  // the crash point was not reached
      },
      ::testing::ExitedWithCode(0), "");
  ExpectRestartIsExact(dir.path(), 35);
}

TEST_P(CompactionCrashTest, RestartLosesNothingAndDuplicatesNothing) {
  GTEST_FLAG_SET(death_test_style, "fast");
  TempDir dir;
  const storage::CrashPoint at = GetParam();
  EXPECT_EXIT(
      {
        auto store = EventStore::Open(CrashingOptions(dir.path(), at));
        if (!store.ok()) std::_Exit(2);
        for (int round = 0; round < 3; ++round) {  // three small files
          AppendRange(**store, round * 8, round * 8 + 8);
          if (!(*store)->Checkpoint().ok()) std::_Exit(3);
        }
        AppendRange(**store, 24, 30);  // and a WAL tail
        g_armed = true;
        (void)(*store)->Compact();
        std::_Exit(1);
      },
      ::testing::ExitedWithCode(0), "");
  ExpectRestartIsExact(dir.path(), 30);
}

INSTANTIATE_TEST_SUITE_P(EveryStep, CheckpointCrashTest,
                         ::testing::Values(storage::CrashPoint::kCheckpointTempWritten,
                                           storage::CrashPoint::kCheckpointRenamed,
                                           storage::CrashPoint::kManifestTempWritten,
                                           storage::CrashPoint::kManifestCommitted,
                                           storage::CrashPoint::kWalSegmentsRemoved),
                         CrashPointTestName);
INSTANTIATE_TEST_SUITE_P(EveryStep, CompactionCrashTest,
                         ::testing::Values(storage::CrashPoint::kCompactionTempWritten,
                                           storage::CrashPoint::kCompactionRenamed,
                                           storage::CrashPoint::kManifestTempWritten,
                                           storage::CrashPoint::kManifestCommitted,
                                           storage::CrashPoint::kCompactionInputsDeleted),
                         CrashPointTestName);

TEST(CheckpointTest, CompactionMergesFilesAndPinnedFilesSurviveUntilUnpinned) {
  TempDir dir;
  std::string before;
  {
    auto store = OpenOrDie(Manual(dir.path()));
    for (int round = 0; round < 3; ++round) {
      AppendRange(*store, round * 10, round * 10 + 10);
      ASSERT_TRUE(store->Checkpoint().ok());
    }
    ASSERT_EQ(store->storage_stats().files, 3u);
    auto snapshot = store->PinStorageSnapshot();
    EXPECT_EQ(snapshot.checkpoint_lsn, Lsn(30));
    ASSERT_EQ(snapshot.files.size(), 3u);
    EXPECT_EQ(store->storage_stats().pinned_files, 3u);

    auto merged = store->Compact();
    ASSERT_TRUE(merged.ok()) << merged.status().ToString();
    EXPECT_EQ(merged->merges, 1u);
    EXPECT_EQ(store->storage_stats().files, 1u);
    EXPECT_EQ(store->storage_stats().compaction_merges, 1u);
    for (const auto& pin : snapshot.files) EXPECT_TRUE(fs::exists(pin.path())) << pin.file().name;
    EXPECT_EQ(ParquetFiles(dir.path()), 4u);
    snapshot.files.clear();
    EXPECT_EQ(ParquetFiles(dir.path()), 1u);
    EXPECT_EQ(store->storage_stats().pinned_files, 0u);
    before = Dump(*store);
  }
  auto store = OpenOrDie(Manual(dir.path()));
  EXPECT_EQ(Dump(*store), before);
  EXPECT_EQ(FilesIn(dir.path() / "storage"),
            (std::vector<std::string>{"MANIFEST", storage::EventFileName(Lsn(1), Lsn(30))}));
}

TEST(CheckpointTest, BackgroundThreadCheckpointsAndCompacts) {
  TempDir dir;
  StoreOptions options = OptionsFor(dir.path());
  options.checkpoint_interval = std::chrono::milliseconds(5);
  options.checkpoint_on_close = false;
  auto store = OpenOrDie(options);
  // Each wait ends on a condition, not a sleep; the deadline only bounds a broken build.
  for (int round = 0; round < 3; ++round) {
    AppendRange(*store, round * 5, round * 5 + 5);
    ASSERT_TRUE(WaitUntil([&] { return store->checkpoint_lsn() == Lsn(round * 5 + 5); }));
  }
  ASSERT_TRUE(WaitUntil([&] { return store->storage_stats().files == 1; }));
  EXPECT_GE(store->storage_stats().checkpoint_files_written, 3u);
  EXPECT_EQ(store->storage_stats().last_error, "");
  ASSERT_TRUE(store->Close().ok());
  auto reopened = OpenOrDie(Manual(dir.path()));
  ExpectExactlyTheWorkload(*reopened, 15);
}

}  // namespace
}  // namespace annal::store
