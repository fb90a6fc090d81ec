// Checkpointer and Compactor against a real WAL: what they write, what they delete, and that a
// crash after any durable step loses and duplicates nothing.
#include "storage/checkpointer.h"

#include <gtest/gtest.h>

#include <set>

#include "storage/compactor.h"
#include "storage/file_names.h"
#include "storage/test_util.h"
#include "wal/segment.h"

namespace annal::storage {
namespace {

using testing::CheckpointSteps;
using testing::MemoryLog;
using testing::OpenCatalog;
using wal::testing::TempDir;
namespace fs = std::filesystem;

// A crash hook that stops the operation at `at` by throwing (the test catches it); nothing
// after that point runs, and no cleanup happens, as in a crash.
struct Crash {};
CrashHook CrashAt(CrashPoint at) {
  return [at](CrashPoint p) {
    if (p == at) throw Crash{};
  };
}

// A WAL under <root>/wal with small segments holding LSNs 1..n (2 per batch).
wal::WalOptions WalOpts(const fs::path& root, Lsn checkpoint = Lsn(0)) {
  wal::WalOptions o = wal::testing::Options(root, /*segment_bytes=*/300);
  o.checkpoint_lsn = checkpoint;
  return o;
}

void WriteWal(const fs::path& root, uint64_t n) {
  std::vector<wal::testing::Replayed> unused;
  auto w = wal::testing::OpenCollecting(WalOpts(root), &unused);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  for (uint64_t l = 1; l <= n; l += 2) ASSERT_TRUE(wal::testing::SubmitSync(**w, wal::testing::MakeBatch(l, 2)).ok());
  ASSERT_TRUE((*w)->Close().ok());
}

// What a restart sees: the LSNs of the catalog's files, then the WAL records it replays.
// Each LSN must appear exactly once, 1..n, and carry the right event.
void ExpectRestartSeesExactly(const fs::path& root, const MemoryLog& log, uint64_t n) {
  auto catalog = OpenCatalog(root / "storage");
  ASSERT_TRUE(catalog);
  std::vector<uint64_t> lsns;
  for (const Event& e : testing::ReadAllFiles(*catalog)) {
    testing::ExpectSameEvent(e, log.At(e.sequence.value()));
    lsns.push_back(e.sequence.value());
  }
  std::vector<wal::testing::Replayed> replayed;
  auto w = wal::testing::OpenCollecting(WalOpts(root, catalog->checkpoint_lsn()), &replayed);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  for (const auto& r : replayed) {
    EXPECT_EQ(r.body, wal::testing::EncodedBody(r.lsn));
    lsns.push_back(r.lsn);
  }
  ASSERT_EQ(lsns.size(), n);
  for (uint64_t i = 0; i < n; ++i) ASSERT_EQ(lsns[i], i + 1) << "lost or duplicated LSN";
  ASSERT_TRUE(catalog->RemoveOrphans().ok());
  for (const auto& entry : fs::directory_iterator(root / "storage")) {
    const std::string name = entry.path().filename().string();
    EXPECT_FALSE(name.ends_with(".tmp")) << name;
  }
}

TEST(Checkpointer, WritesTheRangeAndRemovesCoveredWalSegmentsOutsideRetention) {
  TempDir tmp;
  MemoryLog log;
  log.AppendUpTo(20);
  WriteWal(tmp.path(), 20);
  const size_t segments_before = wal::ListSegments(tmp.path() / "wal")->size();
  ASSERT_GT(segments_before, 5u);

  auto catalog = OpenCatalog(tmp.path() / "storage");
  std::vector<wal::testing::Replayed> unused;
  auto w = wal::testing::OpenCollecting(WalOpts(tmp.path()), &unused);
  ASSERT_TRUE(w.ok());
  Checkpointer cp(catalog.get(), CheckpointOptions{});
  // Huge retention: the checkpoint is written, no segment goes.
  auto r = cp.Run(Lsn(12), log.source(), w->get(), 1ull << 40);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->checkpoint_lsn, Lsn(12));
  EXPECT_EQ(r->files_written, 1u);
  EXPECT_EQ(r->events, 12u);
  EXPECT_TRUE(r->wal_segments_removed.empty());
  EXPECT_EQ(wal::ListSegments(tmp.path() / "wal")->size(), segments_before);
  // Retention 0: every segment wholly <= 12 goes, nothing above.
  r = cp.Run(Lsn(12), log.source(), w->get(), 0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->files_written, 0u);
  EXPECT_FALSE(r->wal_segments_removed.empty());
  auto segs = wal::ListSegments(tmp.path() / "wal");
  ASSERT_TRUE(segs.ok());
  EXPECT_LE(segs->front().first_lsn, Lsn(13));
  EXPECT_GT(segs->front().first_lsn, Lsn(1));
  ASSERT_TRUE((*w)->Close().ok());
  ExpectRestartSeesExactly(tmp.path(), log, 20);
}

TEST(Checkpointer, LongRangesAreSplitIntoFilesOfAtMostMaxFileEvents) {
  TempDir tmp;
  MemoryLog log;
  log.AppendUpTo(25);
  auto catalog = OpenCatalog(tmp.path());
  CheckpointOptions o;
  o.max_file_events = 10;
  Checkpointer cp(catalog.get(), o);
  auto r = cp.Run(Lsn(25), log.source(), nullptr, 0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->files_written, 3u);
  Manifest m = catalog->current();
  ASSERT_EQ(m.files.size(), 3u);
  EXPECT_EQ(m.files[2].name, EventFileName(Lsn(21), Lsn(25)));
  EXPECT_EQ(m.checkpoint_lsn, Lsn(25));
}

// The checkpoint crash points, in order, and what must hold after a restart at each.
TEST(Checkpointer, CrashAfterEveryStepLosesNothingAndDuplicatesNothing) {
  for (CrashPoint at : {CrashPoint::kCheckpointTempWritten, CrashPoint::kCheckpointRenamed,
                        CrashPoint::kManifestTempWritten, CrashPoint::kManifestCommitted,
                        CrashPoint::kWalSegmentsRemoved}) {
    SCOPED_TRACE(std::string(CrashPointName(at)));
    TempDir tmp;
    MemoryLog log;
    log.AppendUpTo(30);
    WriteWal(tmp.path(), 30);
    {
      auto catalog = OpenCatalog(tmp.path() / "storage");
      std::vector<wal::testing::Replayed> unused;
      auto w = wal::testing::OpenCollecting(WalOpts(tmp.path()), &unused);
      ASSERT_TRUE(w.ok());
      Checkpointer cp(catalog.get(), CheckpointOptions{});
      ASSERT_TRUE(cp.Run(Lsn(10), log.source(), w->get(), 0).ok());  // an earlier checkpoint
      bool crashed = false;
      try {
        (void)cp.Run(Lsn(24), log.source(), w->get(), 0, CrashAt(at));
      } catch (const Crash&) {
        crashed = true;
      }
      ASSERT_TRUE(crashed);
      (void)(*w)->Close();
    }
    ExpectRestartSeesExactly(tmp.path(), log, 30);
    // And checkpointing again after the restart converges.
    auto catalog = OpenCatalog(tmp.path() / "storage");
    std::vector<wal::testing::Replayed> unused;
    auto w = wal::testing::OpenCollecting(WalOpts(tmp.path(), catalog->checkpoint_lsn()), &unused);
    ASSERT_TRUE(w.ok());
    Checkpointer cp(catalog.get(), CheckpointOptions{});
    ASSERT_TRUE(cp.Run(Lsn(30), log.source(), w->get(), 0).ok());
    ASSERT_TRUE((*w)->Close().ok());
    catalog.reset();
    ExpectRestartSeesExactly(tmp.path(), log, 30);
  }
}

TEST(Compactor, PlansRunsOfSmallAdjacentFilesWithinTheTarget) {
  Manifest m;
  uint64_t lsn = 1;
  for (uint64_t bytes : {10, 10, 100, 10, 10, 10, 60, 10}) {
    m.files.push_back(FileMeta{EventFileName(Lsn(lsn), Lsn(lsn)), Lsn(lsn), Lsn(lsn), 1, bytes, 0});
    ++lsn;
  }
  m.checkpoint_lsn = Lsn(lsn - 1);
  CompactionOptions o;
  o.target_bytes = 50;
  // [0,2): 10+10; 100 is big; [3,6): 10+10+10 (adding 60 would pass 50; 60 is big anyway).
  EXPECT_EQ(Compactor::PlanMerges(m, o),
            (std::vector<std::pair<size_t, size_t>>{{0, 2}, {3, 6}}));
  o.target_bytes = 25;  // 10+10 fits, a third 10 does not
  EXPECT_EQ(Compactor::PlanMerges(m, o),
            (std::vector<std::pair<size_t, size_t>>{{0, 2}, {3, 5}}));
  o.max_rows = 1;  // nothing can be merged
  EXPECT_TRUE(Compactor::PlanMerges(m, o).empty());
}

TEST(Compactor, MergesSmallFilesAndTheCatalogReadsBackIdentically) {
  TempDir tmp;
  MemoryLog log;
  {
    auto catalog = OpenCatalog(tmp.path());
    CheckpointSteps(*catalog, log, {5, 10, 15, 20, 40});
    Compactor compactor(catalog.get(), CompactionOptions{}, ParquetWriteOptions{});
    auto r = compactor.Run(log.source());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->merges, 1u);
    EXPECT_EQ(r->files_in, 5u);
    // Nothing left to do.
    EXPECT_EQ(compactor.Run(log.source())->merges, 0u);
  }
  auto catalog = OpenCatalog(tmp.path());
  Manifest m = catalog->current();
  ASSERT_EQ(m.files.size(), 1u);
  EXPECT_EQ(m.files[0].name, EventFileName(Lsn(1), Lsn(40)));
  EXPECT_EQ(m.checkpoint_lsn, Lsn(40));
  std::set<std::string> on_disk;
  for (const auto& e : fs::directory_iterator(tmp.path())) on_disk.insert(e.path().filename().string());
  EXPECT_EQ(on_disk, (std::set<std::string>{"MANIFEST", m.files[0].name}));
  auto back = testing::ReadAllFiles(*catalog);
  ASSERT_EQ(back.size(), 40u);
  for (uint64_t l = 1; l <= 40; ++l) testing::ExpectSameEvent(back[l - 1], log.At(l));
}

TEST(Compactor, CrashAfterEveryStepLeavesAConsistentCatalog) {
  for (CrashPoint at : {CrashPoint::kCompactionTempWritten, CrashPoint::kCompactionRenamed,
                        CrashPoint::kManifestTempWritten, CrashPoint::kManifestCommitted,
                        CrashPoint::kCompactionInputsDeleted}) {
    SCOPED_TRACE(std::string(CrashPointName(at)));
    TempDir tmp;
    MemoryLog log;
    const fs::path dir = tmp.path() / "storage";
    {
      auto catalog = OpenCatalog(dir);
      CheckpointSteps(*catalog, log, {5, 10, 15});
      Compactor compactor(catalog.get(), CompactionOptions{}, ParquetWriteOptions{});
      bool crashed = false;
      try {
        (void)compactor.Run(log.source(), CrashAt(at));
      } catch (const Crash&) {
        crashed = true;
      }
      ASSERT_TRUE(crashed);
    }
    auto catalog = OpenCatalog(dir);
    ASSERT_TRUE(catalog);
    const bool committed = at == CrashPoint::kManifestCommitted || at == CrashPoint::kCompactionInputsDeleted;
    EXPECT_EQ(catalog->current().files.size(), committed ? 1u : 3u);
    ASSERT_TRUE(catalog->RemoveOrphans().ok());
    size_t files_on_disk = 0;
    for (const auto& e : fs::directory_iterator(dir)) files_on_disk += e.path().filename() != "MANIFEST";
    EXPECT_EQ(files_on_disk, catalog->current().files.size());
    auto back = testing::ReadAllFiles(*catalog);
    ASSERT_EQ(back.size(), 15u);
    for (uint64_t l = 1; l <= 15; ++l) testing::ExpectSameEvent(back[l - 1], log.At(l));
  }
}

}  // namespace
}  // namespace annal::storage
