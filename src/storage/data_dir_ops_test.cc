// TruncateLog and InstallSnapshot on real data dirs written by the embedded store, checked by
// reopening them with EventStore::Open. Crashes are real: a forked child runs the operation and
// _exit()s at a crash point, then the parent opens what is on disk.
#include "storage/data_dir_ops.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <map>

#include "storage/file_names.h"
#include "storage/manifest.h"
#include "storage/parquet/event_file.h"
#include "store/store_test_util.h"
#include "wal/segment.h"
#include "wal/test_util.h"

namespace annal::storage {
namespace {

using store::AppendOutcome;
using store::EventStore;
using store::StoreOptions;
using store::testing::AppendOk;
using store::testing::Ev;
using store::testing::OpenOrDie;
using store::testing::TempDir;
namespace fs = std::filesystem;

constexpr int kCrashExit = 86;
constexpr uint64_t kRetainAll = 256ull << 20;

StoreOptions Options(const fs::path& dir, uint64_t wal_retention = kRetainAll,
                     Compression codec = Compression::kZstd) {
  StoreOptions o = store::testing::OptionsFor(dir);
  o.checkpoint_interval = std::chrono::milliseconds(0);
  o.checkpoint_on_close = false;
  o.wal_segment_bytes = 1024;  // a few records per segment: many segments
  o.wal_retention_bytes = wal_retention;
  o.parquet.compression = codec;
  return o;
}

// The log every test starts from, LSNs 1..55:
//   events-1-20.parquet   single appends 1..20
//   events-21-35.parquet  three batches of five: 21..25, 26..30, 31..35
//   WAL only              single appends 36..45, a batch of five 46..50, single appends 51..55
// The WAL holds every LSN from 1 with the default retention; with retention 0 the checkpoints
// deleted its older segments. Event ids differ per `tag`. Returns the ids by LSN - 1.
constexpr uint64_t kLast = 55;
std::vector<Uuid> BuildLog(const fs::path& dir, const std::string& tag = "a",
                           uint64_t wal_retention = kRetainAll,
                           Compression codec = Compression::kZstd) {
  auto store = OpenOrDie(Options(dir, wal_retention, codec));
  std::vector<Uuid> ids;
  auto append = [&](size_t n) {
    std::vector<NewEvent> batch;
    for (size_t i = 0; i < n; ++i) {
      const size_t lsn = ids.size() + i + 1;
      batch.push_back(Ev(tag + "-" + std::to_string(lsn % 7), "thing.happened",
                         R"({"lsn":)" + std::to_string(lsn) + "}"));
    }
    AppendOutcome out = store->Append(std::move(batch));
    ANNAL_CHECK(out.status.ok());
    for (const auto& r : out.results) ids.push_back(r.event_id);
  };
  auto checkpoint = [&] { ANNAL_CHECK(store->Checkpoint().ok()); };
  for (int i = 0; i < 20; ++i) append(1);
  checkpoint();
  for (int i = 0; i < 3; ++i) append(5);
  checkpoint();
  for (int i = 0; i < 10; ++i) append(1);
  append(5);
  for (int i = 0; i < 5; ++i) append(1);
  ANNAL_CHECK(store->Close().ok());
  ANNAL_CHECK(ids.size() == kLast);
  return ids;
}

// Every event the store shows, oldest first, must be ids[0..n) as LSNs 1..n. Returns n.
uint64_t ExpectPrefixOf(const EventStore& store, const std::vector<Uuid>& ids) {
  auto all = store.QueryEvents(store::Query{});
  EXPECT_TRUE(all.ok()) << all.status().ToString();
  if (!all.ok()) return 0;
  EXPECT_LE(all->events.size(), ids.size());
  for (size_t i = 0; i < all->events.size() && i < ids.size(); ++i) {
    EXPECT_EQ(all->events[i]->sequence, Lsn(i + 1));
    EXPECT_EQ(all->events[i]->id, ids[i]) << "LSN " << i + 1;
  }
  EXPECT_EQ(store.visible_lsn(), Lsn(all->events.size()));
  return all->events.size();
}

// The store opens with exactly LSNs 1..keep = ids[0..keep), the next append gets keep + 1 and
// survives a reopen.
void ExpectLogIs(const fs::path& dir, const std::vector<Uuid>& ids, uint64_t keep) {
  {
    auto store = OpenOrDie(Options(dir));
    EXPECT_EQ(ExpectPrefixOf(*store, ids), keep);
    EXPECT_EQ(AppendOk(*store, Ev("after")).sequence, Lsn(keep + 1));
    ASSERT_TRUE(store->Close().ok());
  }
  auto store = OpenOrDie(Options(dir));
  EXPECT_EQ(store->visible_lsn(), Lsn(keep + 1));
}

// Every file below `dir` with its contents, to prove that nothing changed.
std::map<std::string, std::string> Tree(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file())
      out[fs::relative(e.path(), dir).string()] = wal::testing::ReadAll(e.path());
  return out;
}

std::vector<std::string> SegmentNames(const fs::path& data_dir) {
  std::vector<std::string> out;
  auto segs = wal::ListSegments(data_dir / kWalDirName);
  EXPECT_TRUE(segs.ok());
  if (segs.ok())
    for (const auto& s : *segs) out.push_back(s.path.filename().string());
  return out;
}

Manifest ManifestOf(const fs::path& data_dir) {
  auto m = ReadManifest(data_dir / kStorageDirName);
  EXPECT_TRUE(m.ok() && m->has_value()) << m.status().ToString();
  return m.ok() && m->has_value() ? **m : Manifest{};
}

std::vector<std::string> FileNames(const Manifest& m) {
  std::vector<std::string> out;
  for (const FileMeta& f : m.files) out.push_back(f.name);
  return out;
}

std::string Name(uint64_t first, uint64_t last) { return EventFileName(Lsn(first), Lsn(last)); }

Status Truncate(const fs::path& dir, uint64_t keep, TruncateReport* report = nullptr) {
  return TruncateLog(dir, Lsn(keep), report);
}

// --- TruncateLog ------------------------------------------------------------------------------

TEST(TruncateLog, InTheMiddleOfAParquetFileAndOfABatch) {
  TempDir tmp;
  const auto ids = BuildLog(tmp.path());
  TruncateReport rep;
  ASSERT_TRUE(Truncate(tmp.path(), 28, &rep).ok());  // 28: inside events-21-35, batch 26..30
  EXPECT_EQ(rep.last_lsn_before, Lsn(kLast));
  EXPECT_EQ(rep.events_removed, kLast - 28);
  EXPECT_EQ(rep.files_rewritten, 1u);
  EXPECT_EQ(rep.files_deleted, 0u);
  EXPECT_GT(rep.segments_deleted, 1u);
  EXPECT_EQ(rep.segments_truncated, 1u);
  const Manifest m = ManifestOf(tmp.path());
  EXPECT_EQ(m.checkpoint_lsn, Lsn(28));
  EXPECT_EQ(FileNames(m), (std::vector<std::string>{Name(1, 20), Name(21, 28)}));
  EXPECT_FALSE(fs::exists(tmp.path() / kStorageDirName / Name(21, 35)));
  ExpectLogIs(tmp.path(), ids, 28);
}

TEST(TruncateLog, AtAFileBoundary) {
  TempDir tmp;
  const auto ids = BuildLog(tmp.path());
  TruncateReport rep;
  ASSERT_TRUE(Truncate(tmp.path(), 20, &rep).ok());
  EXPECT_EQ(rep.files_rewritten, 0u);
  EXPECT_EQ(rep.files_deleted, 1u);
  EXPECT_EQ(FileNames(ManifestOf(tmp.path())), std::vector<std::string>{Name(1, 20)});
  EXPECT_FALSE(fs::exists(tmp.path() / kStorageDirName / Name(21, 35)));
  ExpectLogIs(tmp.path(), ids, 20);
}

TEST(TruncateLog, InsideTheWalTail) {
  TempDir tmp;
  const auto ids = BuildLog(tmp.path());
  const Manifest before = ManifestOf(tmp.path());
  TruncateReport rep;
  ASSERT_TRUE(Truncate(tmp.path(), 40, &rep).ok());
  EXPECT_EQ(rep.events_removed, kLast - 40);
  EXPECT_EQ(rep.files_rewritten + rep.files_deleted, 0u);
  EXPECT_EQ(ManifestOf(tmp.path()), before);  // the checkpoint (35) is below 40
  ExpectLogIs(tmp.path(), ids, 40);
}

TEST(TruncateLog, InsideABatchOfTheWalTail) {
  TempDir tmp;
  const auto ids = BuildLog(tmp.path());
  TruncateReport rep;
  ASSERT_TRUE(Truncate(tmp.path(), 47, &rep).ok());  // the batch 46..50 cut after its 2nd event
  EXPECT_EQ(rep.segments_truncated, 1u);
  ExpectLogIs(tmp.path(), ids, 47);
}

TEST(TruncateLog, AtOrAfterTheLastLsnChangesNothing) {
  TempDir tmp;
  const auto ids = BuildLog(tmp.path());
  const auto before = Tree(tmp.path());
  for (uint64_t keep : {kLast, kLast + 1, uint64_t{1000}}) {
    TruncateReport rep;
    ASSERT_TRUE(Truncate(tmp.path(), keep, &rep).ok());
    EXPECT_EQ(rep.last_lsn_before, Lsn(kLast));
    EXPECT_EQ(rep.events_removed, 0u);
    EXPECT_EQ(rep.segments_deleted + rep.segments_truncated, 0u);
    EXPECT_EQ(Tree(tmp.path()), before) << "keep_through " << keep;
  }
  ExpectLogIs(tmp.path(), ids, kLast);
}

TEST(TruncateLog, ToZeroEmptiesTheLog) {
  TempDir tmp;
  const auto ids = BuildLog(tmp.path());
  TruncateReport rep;
  ASSERT_TRUE(Truncate(tmp.path(), 0, &rep).ok());
  EXPECT_EQ(rep.events_removed, kLast);
  EXPECT_EQ(rep.files_deleted, 2u);
  EXPECT_TRUE(ManifestOf(tmp.path()).files.empty());
  EXPECT_TRUE(SegmentNames(tmp.path()).empty());
  ExpectLogIs(tmp.path(), ids, 0);
}

TEST(TruncateLog, BelowTheWalsFirstLsnDeletesEverySegment) {
  TempDir tmp;
  const auto ids = BuildLog(tmp.path(), "a", /*wal_retention=*/0);
  const auto segs = SegmentNames(tmp.path());
  ASSERT_FALSE(segs.empty());
  ASSERT_GT(*wal::ParseSegmentFileName(segs.front()), Lsn(11))
      << "the checkpoints kept old segments";
  TruncateReport rep;
  ASSERT_TRUE(Truncate(tmp.path(), 10, &rep).ok());
  EXPECT_EQ(rep.segments_deleted, segs.size());
  EXPECT_EQ(rep.segments_truncated, 0u);
  EXPECT_TRUE(SegmentNames(tmp.path()).empty());
  EXPECT_EQ(FileNames(ManifestOf(tmp.path())), std::vector<std::string>{Name(1, 10)});
  ExpectLogIs(tmp.path(), ids, 10);
}

TEST(TruncateLog, RunningItTwiceChangesNothingMore) {
  TempDir tmp;
  const auto ids = BuildLog(tmp.path());
  ASSERT_TRUE(Truncate(tmp.path(), 28).ok());
  const auto after_first = Tree(tmp.path());
  TruncateReport rep;
  ASSERT_TRUE(Truncate(tmp.path(), 28, &rep).ok());
  EXPECT_EQ(rep.last_lsn_before, Lsn(28));
  EXPECT_EQ(rep.events_removed, 0u);
  EXPECT_EQ(Tree(tmp.path()), after_first);
  ExpectLogIs(tmp.path(), ids, 28);
}

TEST(TruncateLog, KeepsTheCodecOfARewrittenFile) {
  TempDir tmp;
  const auto ids = BuildLog(tmp.path(), "a", kRetainAll, Compression::kSnappy);
  ASSERT_TRUE(Truncate(tmp.path(), 28).ok());
  EventFileInfo info;
  ASSERT_TRUE(ReadEventFileInfo(tmp.path() / kStorageDirName / Name(21, 28), &info).ok());
  EXPECT_EQ(info.compression, Compression::kSnappy);
  EXPECT_EQ(info.rows, 8u);
  ExpectLogIs(tmp.path(), ids, 28);
}

TEST(TruncateLog, DropsEpochHistoryEntriesAfterTheCut) {
  TempDir tmp;
  const auto ids = BuildLog(tmp.path());
  const fs::path file = tmp.path() / kEpochHistoryFileName;
  EpochHistory h;
  ASSERT_TRUE(h.Append(Epoch(1), Lsn(1)).ok());
  ASSERT_TRUE(h.Append(Epoch(2), Lsn(25)).ok());
  ASSERT_TRUE(h.Append(Epoch(4), Lsn(45)).ok());
  ASSERT_TRUE(h.Save(file).ok());
  TruncateReport rep;
  ASSERT_TRUE(Truncate(tmp.path(), 40, &rep).ok());
  EXPECT_TRUE(rep.epochs_truncated);
  auto back = EpochHistory::Load(file);
  ASSERT_TRUE(back.ok() && back->has_value());
  EXPECT_EQ((*back)->latest(), Epoch(2));
  EXPECT_EQ((*back)->entries().size(), 2u);
  // Without an EPOCHS file there is none afterwards either (the store writes one at Open; a
  // data dir from before epochs were recorded has none).
  TempDir other;
  BuildLog(other.path());
  fs::remove(other.path() / kEpochHistoryFileName);
  ASSERT_TRUE(Truncate(other.path(), 40).ok());
  EXPECT_FALSE(fs::exists(other.path() / kEpochHistoryFileName));
}

TEST(TruncateLog, ADamagedWalStopsItBeforeAnythingChanges) {
  TempDir tmp;
  BuildLog(tmp.path());
  const auto segs = SegmentNames(tmp.path());
  ASSERT_GE(segs.size(), 3u);
  const fs::path victim = tmp.path() / kWalDirName / segs[1];
  std::string bytes = wal::testing::ReadAll(victim);
  bytes[bytes.size() / 2] ^= 0x20;
  wal::testing::WriteAll(victim, bytes);
  const auto before = Tree(tmp.path());
  Status st = Truncate(tmp.path(), 10);
  EXPECT_EQ(st.code(), StatusCode::kCorruption) << st.ToString();
  EXPECT_NE(st.message().find(segs[1]), std::string::npos) << st.message();
  EXPECT_EQ(Tree(tmp.path()), before);
}

TEST(TruncateLog, AMissingDataDirIsNotFound) {
  TempDir tmp;
  EXPECT_EQ(Truncate(tmp.path() / "nope", 3).code(), StatusCode::kNotFound);
  EXPECT_FALSE(fs::exists(tmp.path() / "nope"));
}

// Runs `op` in a forked child that dies (_exit) when the hook reaches `point`. The test fails
// when the child finishes without reaching it.
template <typename Op>
void CrashAt(CrashPoint point, Op op) {
  EXPECT_EXIT(
      {
        op([point](CrashPoint p) {
          if (p == point) _exit(kCrashExit);
        });
        _exit(0);
      },
      ::testing::ExitedWithCode(kCrashExit), "")
      << CrashPointName(point);
}

TEST(TruncateLog, ACrashAtAnyStepLeavesADataDirThatOpensAndARerunCompletesIt) {
  struct Scenario {
    uint64_t retention, keep;
    std::vector<CrashPoint> points;
  };
  const std::vector<Scenario> scenarios = {
      // Every step: WAL segments deleted, the segment holding 28 resealed mid-batch, the file
      // 21..35 rewritten, the manifest committed, the old file deleted.
      {kRetainAll,
       28,
       {CrashPoint::kTruncateWalSegmentsDeleted, CrashPoint::kTruncateWalSegmentCut,
        CrashPoint::kTruncateFileTempWritten, CrashPoint::kTruncateFileRenamed,
        CrashPoint::kManifestTempWritten, CrashPoint::kManifestCommitted,
        CrashPoint::kTruncateFilesDeleted}},
      // The whole WAL goes (keep_through below it) before the storage is cut.
      {0,
       10,
       {CrashPoint::kTruncateWalSegmentsDeleted, CrashPoint::kTruncateFileRenamed,
        CrashPoint::kManifestCommitted}},
  };
  for (const Scenario& s : scenarios) {
    for (CrashPoint point : s.points) {
      SCOPED_TRACE(std::string(CrashPointName(point)) + ", keep_through " + std::to_string(s.keep));
      TempDir tmp;
      const auto ids = BuildLog(tmp.path(), "a", s.retention);
      CrashAt(point, [&](const CrashHook& hook) {
        (void)TruncateLog(tmp.path(), Lsn(s.keep), nullptr, hook);
      });
      {
        // The interrupted state opens, holding a prefix of the old log that reaches keep.
        auto store = EventStore::Open(Options(tmp.path()));
        ASSERT_TRUE(store.ok()) << store.status().ToString();
        EXPECT_GE(ExpectPrefixOf(**store, ids), s.keep);
      }
      ASSERT_TRUE(Truncate(tmp.path(), s.keep).ok());
      ExpectLogIs(tmp.path(), ids, s.keep);
    }
  }
}

// --- InstallSnapshot --------------------------------------------------------------------------

EpochHistory LeaderEpochs() {
  EpochHistory h;
  EXPECT_TRUE(h.Append(Epoch(1), Lsn(1)).ok());
  EXPECT_TRUE(h.Append(Epoch(3), Lsn(30)).ok());
  return h;
}

// A leader's data dir, a follower's, and the follower's staging dir for a snapshot.
struct Cluster {
  explicit Cluster(std::string staging_name = "staging") : staging(tmp.path() / staging_name) {}

  // Checkpoints the leader's whole log and copies its live files to `staging`, as the follower
  // receives them. Returns their names (LSN order) and the snapshot's last LSN.
  // With `compact`, the leader first merges its files into one (other names than BuildLog's).
  std::pair<std::vector<std::string>, Lsn> StageSnapshot(bool compact = false) const {
    {
      auto store = OpenOrDie(Options(leader));
      ANNAL_CHECK(store->Checkpoint().ok());
      if (compact) ANNAL_CHECK(store->Compact().ok());
    }
    fs::create_directories(staging);
    std::vector<std::string> names;
    const Manifest m = ManifestOf(leader);
    for (const FileMeta& f : m.files) {
      fs::copy_file(leader / kStorageDirName / f.name, staging / f.name);
      names.push_back(f.name);
    }
    return {names, m.checkpoint_lsn};
  }

  Status Install(const std::vector<std::string>& names, Lsn last_lsn,
                 const CrashHook& hook = {}) const {
    return InstallSnapshot(follower, staging, names, last_lsn, LeaderEpochs(), hook);
  }

  TempDir tmp;
  const fs::path leader = tmp.path() / "leader";
  const fs::path follower = tmp.path() / "follower";
  const fs::path staging;
};

// A follower that fell behind: LSNs 1..15, 1..10 in Parquet, 11..15 in the WAL only.
std::vector<Uuid> BuildShortLog(const fs::path& dir) {
  auto store = OpenOrDie(Options(dir));
  std::vector<Uuid> ids;
  for (int i = 0; i < 15; ++i) {
    ids.push_back(AppendOk(*store, Ev("f-" + std::to_string(i % 3))).event_id);
    if (i == 9) ANNAL_CHECK(store->Checkpoint().ok());
  }
  ANNAL_CHECK(store->Close().ok());
  return ids;
}

TEST(InstallSnapshot, ReplacesALongerLogWithOtherDataOfTheSameFileNames) {
  Cluster c("follower/snapshot.staging");  // staging inside the data dir works too
  const auto leader_ids = BuildLog(c.leader, "leader");
  BuildLog(c.follower, "follower");  // also events-1-20 and events-21-35, other contents
  const auto [names, last] = c.StageSnapshot();
  ASSERT_EQ(last, Lsn(kLast));
  ASSERT_EQ(names.size(), 3u);

  ASSERT_TRUE(c.Install(names, last).ok());
  EXPECT_FALSE(fs::exists(c.staging));
  EXPECT_TRUE(SegmentNames(c.follower).empty());
  const Manifest m = ManifestOf(c.follower);
  EXPECT_EQ(m.checkpoint_lsn, Lsn(kLast));
  EXPECT_EQ(FileNames(m), names);
  std::vector<std::string> on_disk, expected = names;
  for (const auto& e : fs::directory_iterator(c.follower / kStorageDirName))
    on_disk.push_back(e.path().filename().string());
  expected.push_back(std::string(kManifestName));
  std::sort(on_disk.begin(), on_disk.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(on_disk, expected);  // no file of the old log is left
  auto epochs = EpochHistory::Load(c.follower / kEpochHistoryFileName);
  ASSERT_TRUE(epochs.ok() && epochs->has_value());
  EXPECT_EQ(**epochs, LeaderEpochs());
  ExpectLogIs(c.follower, leader_ids, kLast);
}

TEST(InstallSnapshot, ReplacesAShorterLog) {
  Cluster c;
  const auto leader_ids = BuildLog(c.leader, "leader");
  BuildShortLog(c.follower);
  const auto [names, last] = c.StageSnapshot();
  ASSERT_TRUE(c.Install(names, last).ok());
  ExpectLogIs(c.follower, leader_ids, kLast);
}

TEST(InstallSnapshot, IntoANewDataDir) {
  Cluster c;
  const auto leader_ids = BuildLog(c.leader, "leader");
  const auto [names, last] = c.StageSnapshot();
  ASSERT_TRUE(c.Install(names, last).ok());
  ExpectLogIs(c.follower, leader_ids, kLast);
}

TEST(InstallSnapshot, ADamagedStagedFileIsRefusedAndTheDataDirIsUntouched) {
  Cluster c;
  BuildLog(c.leader, "leader");
  const auto follower_ids = BuildLog(c.follower, "follower");
  const auto [names, last] = c.StageSnapshot();
  const fs::path victim = c.staging / Name(21, 35);
  std::string bytes = wal::testing::ReadAll(victim);
  bytes[bytes.size() / 3] ^= 0x04;
  wal::testing::WriteAll(victim, bytes);
  const auto before = Tree(c.follower);

  Status st = c.Install(names, last);
  EXPECT_EQ(st.code(), StatusCode::kCorruption) << st.ToString();
  EXPECT_NE(st.message().find(Name(21, 35)), std::string::npos) << st.message();
  EXPECT_EQ(Tree(c.follower), before);
  EXPECT_TRUE(fs::exists(victim));
  ExpectLogIs(c.follower, follower_ids, kLast);
}

TEST(InstallSnapshot, FileListsThatDoNotCoverTheSnapshotAreRefused) {
  Cluster c;
  BuildLog(c.leader, "leader");
  const auto follower_ids = BuildLog(c.follower, "follower");
  const auto [n, last] = c.StageSnapshot();  // 1-20, 21-35, 36-55
  const auto before = Tree(c.follower);
  struct Bad {
    std::vector<std::string> names;
    uint64_t last;
    std::string why;  // part of the message
  };
  const std::vector<Bad> cases = {
      {{n[0], n[2]}, kLast, "expected LSN 21"},        // gap
      {{n[0], n[1]}, kLast, "cover LSNs 1..35"},       // short
      {n, kLast - 1, "ends at LSN 54"},                // wrong end
      {{n[0], n[1], n[1], n[2]}, kLast, "duplicate"},  // twice
      {{n[0], "../leader/storage/" + n[1], n[2]}, kLast, "not an event file name"},
      {{n[0], n[1], Name(36, 54), Name(55, 55)}, kLast, "missing"},  // not staged
      {{}, kLast, "cover LSNs 1..0"},
  };
  for (const Bad& b : cases) {
    Status st = c.Install(b.names, Lsn(b.last));
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << b.why << ": " << st.ToString();
    EXPECT_NE(st.message().find(b.why), std::string::npos) << st.message();
    EXPECT_EQ(Tree(c.follower), before) << b.why;
  }
  ExpectLogIs(c.follower, follower_ids, kLast);
}

// The staging dir is removed after the install: it must not be (or hold) the storage dir.
TEST(InstallSnapshot, AStagingDirHoldingTheStorageDirIsRefused) {
  Cluster c;
  BuildLog(c.leader, "leader");
  const auto follower_ids = BuildLog(c.follower, "follower");
  const auto [names, last] = c.StageSnapshot();
  const auto before = Tree(c.follower);
  // The data dir's own live files, "staged" where they are.
  const Manifest live = ManifestOf(c.follower);
  Status st = InstallSnapshot(c.follower, c.follower / kStorageDirName, FileNames(live),
                              live.checkpoint_lsn, LeaderEpochs());
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.ToString();
  EXPECT_EQ(Tree(c.follower), before);
  // The data dir itself, and its parent.
  for (const fs::path& dir : {c.follower, c.tmp.path()}) {
    for (const std::string& name : names) fs::copy_file(c.staging / name, dir / name);
    st = InstallSnapshot(c.follower, dir, names, last, LeaderEpochs());
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << dir << ": " << st.ToString();
    for (const std::string& name : names) fs::remove(dir / name);
    EXPECT_EQ(Tree(c.follower), before) << dir;
  }
  ExpectLogIs(c.follower, follower_ids, kLast);
}

TEST(InstallSnapshot, ReplacesADataDirWhoseManifestIsDamaged) {
  Cluster c;
  const auto leader_ids = BuildLog(c.leader, "leader");
  BuildLog(c.follower, "follower");
  const fs::path manifest = c.follower / kStorageDirName / kManifestName;
  std::string bytes = wal::testing::ReadAll(manifest);
  bytes[10] ^= 0x01;
  wal::testing::WriteAll(manifest, bytes);
  ASSERT_FALSE(EventStore::Open(Options(c.follower)).ok());
  const auto [names, last] = c.StageSnapshot();
  ASSERT_TRUE(c.Install(names, last).ok());
  ExpectLogIs(c.follower, leader_ids, kLast);
}

// Before the commit the follower holds its old log (cut below the snapshot's end), after it the
// snapshot; and no record of the old WAL survives the reopen, even when the crash came before
// the install deleted the WAL itself.
TEST(InstallSnapshot, ACrashAtAnyStepLeavesTheOldLogOrTheSnapshot) {
  const std::vector<std::pair<CrashPoint, bool /*committed*/>> points = {
      {CrashPoint::kSnapshotFilesMoved, false}, {CrashPoint::kManifestTempWritten, false},
      {CrashPoint::kManifestCommitted, true},   {CrashPoint::kSnapshotEpochsSaved, true},
      {CrashPoint::kSnapshotWalDeleted, true},
  };
  for (bool longer_follower : {false, true}) {
    for (auto [point, committed] : points) {
      SCOPED_TRACE(std::string(CrashPointName(point)) +
                   (longer_follower ? ", follower as long as the snapshot" : ", follower behind"));
      Cluster c;
      const auto leader_ids = BuildLog(c.leader, "leader");
      // The longer follower's WAL reaches the snapshot's end; its files keep their names
      // because the leader's snapshot is one compacted file.
      const auto follower_ids =
          longer_follower ? BuildLog(c.follower, "follower") : BuildShortLog(c.follower);
      const auto [names, last] = c.StageSnapshot(/*compact=*/longer_follower);
      CrashAt(point, [&](const CrashHook& hook) { (void)c.Install(names, last, hook); });
      if (committed) {
        ExpectLogIs(c.follower, leader_ids, kLast);
        for (const std::string& seg : SegmentNames(c.follower))
          EXPECT_GT(*wal::ParseSegmentFileName(seg), Lsn(kLast)) << "an old WAL segment survived";
      } else {
        ExpectLogIs(c.follower, follower_ids, std::min<uint64_t>(follower_ids.size(), kLast - 1));
      }
    }
  }
}

}  // namespace
}  // namespace annal::storage
