// Checkpoint-aware WAL: segment deletion (retention) and recovery of a log that no longer
// starts at LSN 1.
#include <gtest/gtest.h>

#include "wal/segment.h"
#include "wal/test_util.h"
#include "wal/wal.h"

namespace annal::wal {
namespace {

using testing::MakeBatch;
using testing::OpenCollecting;
using testing::Options;
using testing::Replayed;
using testing::SubmitSync;
using testing::TempDir;
namespace fs = std::filesystem;

// Segment first LSNs on disk, oldest first.
std::vector<uint64_t> SegmentLsns(const fs::path& dir) {
  auto segs = ListSegments(dir);
  EXPECT_TRUE(segs.ok());
  std::vector<uint64_t> out;
  for (const SegmentFile& s : *segs) out.push_back(s.first_lsn.value());
  return out;
}

// A WAL with tiny segments: every 2-record batch rotates, so segment k starts at 2k+1.
// Returns the options; the log holds LSNs 1..2*batches.
WalOptions WriteRotatingLog(const TempDir& tmp, size_t batches) {
  WalOptions o = Options(tmp.path(), /*segment_bytes=*/200);
  std::vector<Replayed> unused;
  auto wal = OpenCollecting(o, &unused);
  EXPECT_TRUE(wal.ok());
  for (size_t b = 0; b < batches; ++b) EXPECT_TRUE(SubmitSync(**wal, MakeBatch(2 * b + 1, 2)).ok());
  EXPECT_TRUE((*wal)->Close().ok());
  return o;
}

TEST(WalRetention, DeletesOnlyClosedFullyCheckpointedSegments) {
  TempDir tmp;
  WalOptions o = WriteRotatingLog(tmp, 5);  // segments 1,3,5,7,9 + active 11 (empty)
  ASSERT_EQ(SegmentLsns(o.dir), (std::vector<uint64_t>{1, 3, 5, 7, 9, 11}));
  std::vector<Replayed> got;
  auto wal = OpenCollecting(o, &got);
  ASSERT_TRUE(wal.ok());

  // Checkpoint at 6: segments 1 (1-2), 3 (3-4), 5 (5-6) are covered; 7 (7-8) is not.
  std::vector<std::string> removed;
  ASSERT_TRUE((*wal)->RemoveSegmentsBefore(Lsn(6), 0, &removed).ok());
  EXPECT_EQ(removed.size(), 3u);
  EXPECT_EQ(SegmentLsns(o.dir), (std::vector<uint64_t>{7, 9, 11}));
  // Checkpoint at 7 covers only part of segment 7: nothing more goes.
  ASSERT_TRUE((*wal)->RemoveSegmentsBefore(Lsn(7), 0).ok());
  EXPECT_EQ(SegmentLsns(o.dir), (std::vector<uint64_t>{7, 9, 11}));
  // Everything checkpointed: all but the active segment go.
  ASSERT_TRUE((*wal)->RemoveSegmentsBefore(Lsn(10), 0).ok());
  EXPECT_EQ(SegmentLsns(o.dir), (std::vector<uint64_t>{11}));
  // The log keeps working and is recovered from its new start.
  ASSERT_TRUE(SubmitSync(**wal, MakeBatch(11, 1)).ok());
  ASSERT_TRUE((*wal)->Close().ok());

  got.clear();
  o.checkpoint_lsn = Lsn(10);
  auto again = OpenCollecting(o, &got);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].lsn, 11u);
  EXPECT_EQ((*again)->last_submitted_lsn(), Lsn(11));
}

TEST(WalRetention, NeverDeletesTheActiveSegment) {
  TempDir tmp;
  WalOptions o = Options(tmp.path());  // big segments: everything stays in segment 1
  std::vector<Replayed> unused;
  auto wal = OpenCollecting(o, &unused);
  ASSERT_TRUE(wal.ok());
  ASSERT_TRUE(SubmitSync(**wal, MakeBatch(1, 10)).ok());
  ASSERT_TRUE((*wal)->RemoveSegmentsBefore(Lsn(10), 0).ok());
  EXPECT_EQ(SegmentLsns(o.dir), (std::vector<uint64_t>{1}));
  // Also after Close, the last segment stays.
  ASSERT_TRUE((*wal)->Close().ok());
  ASSERT_TRUE((*wal)->RemoveSegmentsBefore(Lsn(10), 0).ok());
  EXPECT_EQ(SegmentLsns(o.dir), (std::vector<uint64_t>{1}));
}

TEST(WalRetention, KeepsTheNewestRetainBytes) {
  TempDir tmp;
  WalOptions o = WriteRotatingLog(tmp, 5);
  std::vector<Replayed> unused;
  auto wal = OpenCollecting(o, &unused);
  ASSERT_TRUE(wal.ok());
  const uint64_t seg_size = fs::file_size(o.dir / SegmentFileName(Lsn(1)));
  // Newest first: 11 (header only), 9, 7, 5 ... Retaining 2 full segments' worth of bytes keeps
  // 11, 9, and 7 (the segment straddling the boundary is kept).
  ASSERT_TRUE((*wal)->RemoveSegmentsBefore(Lsn(10), 2 * seg_size).ok());
  EXPECT_EQ(SegmentLsns(o.dir), (std::vector<uint64_t>{7, 9, 11}));
  // A huge retention keeps everything left.
  ASSERT_TRUE((*wal)->RemoveSegmentsBefore(Lsn(10), 1ull << 40).ok());
  EXPECT_EQ(SegmentLsns(o.dir), (std::vector<uint64_t>{7, 9, 11}));
}

TEST(WalCheckpoint, RecordsUpToTheCheckpointAreValidatedButNotReplayed) {
  TempDir tmp;
  WalOptions o = WriteRotatingLog(tmp, 5);
  o.checkpoint_lsn = Lsn(7);
  std::vector<Replayed> got;
  RecoveryReport report;
  auto wal = OpenCollecting(o, &got, &report);
  ASSERT_TRUE(wal.ok()) << wal.status().ToString();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].lsn, 8u);
  EXPECT_EQ(got[2].lsn, 10u);
  EXPECT_EQ(report.records, 10u);
  EXPECT_EQ(report.replayed, 3u);
  EXPECT_EQ((*wal)->last_submitted_lsn(), Lsn(10));
}

TEST(WalCheckpoint, LogStartingAfterTheCheckpointIsAGapNamingTheSegment) {
  TempDir tmp;
  WalOptions o = WriteRotatingLog(tmp, 5);
  for (uint64_t lsn : {1, 3, 5}) fs::remove(o.dir / SegmentFileName(Lsn(lsn)));
  o.checkpoint_lsn = Lsn(4);  // LSNs 5 and 6 are nowhere
  auto before = testing::Snapshot(o.dir);
  std::vector<Replayed> got;
  auto wal = OpenCollecting(o, &got);
  ASSERT_FALSE(wal.ok());
  EXPECT_EQ(wal.status().code(), StatusCode::kCorruption);
  EXPECT_NE(wal.status().message().find("wal-00000000000000000007.log"), std::string::npos)
      << wal.status().message();
  EXPECT_NE(wal.status().message().find("5..6"), std::string::npos) << wal.status().message();
  EXPECT_EQ(testing::Snapshot(o.dir), before);
  // Without any checkpoint, a log that does not start at 1 is a gap too.
  o.checkpoint_lsn = Lsn(0);
  EXPECT_EQ(OpenCollecting(o, &got).status().code(), StatusCode::kCorruption);
  // With the checkpoint that matches, it opens.
  o.checkpoint_lsn = Lsn(6);
  auto ok = OpenCollecting(o, &got);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(got.front().lsn, 7u);
}

TEST(WalCheckpoint, EmptyDirectoryAfterACheckpointContinuesAtCheckpointPlusOne) {
  TempDir tmp;
  WalOptions o = Options(tmp.path());
  o.checkpoint_lsn = Lsn(41);
  std::vector<Replayed> got;
  auto wal = OpenCollecting(o, &got);
  ASSERT_TRUE(wal.ok()) << wal.status().ToString();
  EXPECT_EQ((*wal)->last_submitted_lsn(), Lsn(41));
  EXPECT_EQ((*wal)->durable_lsn(), Lsn(41));
  EXPECT_EQ(SegmentLsns(o.dir), (std::vector<uint64_t>{42}));
  ASSERT_TRUE(SubmitSync(**wal, MakeBatch(42, 3)).ok());
  ASSERT_TRUE((*wal)->Close().ok());
  got.clear();
  auto again = OpenCollecting(o, &got);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].lsn, 42u);
}

TEST(WalCheckpoint, LogEndingBeforeTheCheckpointIsReplacedAtCheckpointPlusOne) {
  // A machine crash under sync=interval can lose the WAL's unsynced tail while the fsynced
  // Parquet checkpoint survives. Appending after the old tail would reuse LSNs.
  TempDir tmp;
  WalOptions o = WriteRotatingLog(tmp, 2);  // LSNs 1..4
  o.checkpoint_lsn = Lsn(9);
  std::vector<Replayed> got;
  auto wal = OpenCollecting(o, &got);
  ASSERT_TRUE(wal.ok()) << wal.status().ToString();
  EXPECT_TRUE(got.empty());
  EXPECT_EQ((*wal)->last_submitted_lsn(), Lsn(9));
  EXPECT_EQ(SegmentLsns(o.dir), (std::vector<uint64_t>{10}));
  ASSERT_TRUE(SubmitSync(**wal, MakeBatch(10, 1)).ok());
}

}  // namespace
}  // namespace annal::wal
