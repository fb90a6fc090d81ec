// The Wal class end to end: write, reopen, replay; group commit ordering; rotation; close.
#include "wal/wal.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "wal/segment.h"
#include "wal/test_util.h"

namespace annal::wal {
namespace {

using testing::EncodedBody;
using testing::MakeBatch;
using testing::OpenCollecting;
using testing::Options;
using testing::Replayed;
using testing::SubmitSync;
using testing::TempDir;

void ExpectReplayedExactly(const std::vector<Replayed>& got, uint64_t n) {
  ASSERT_EQ(got.size(), n);
  for (uint64_t i = 0; i < n; ++i) {
    ASSERT_EQ(got[i].lsn, i + 1);
    ASSERT_EQ(got[i].body, EncodedBody(i + 1)) << "lsn " << i + 1;
    ASSERT_EQ(got[i].timestamp, testing::MakeEvent(i + 1).timestamp);
    ASSERT_EQ(got[i].epoch, 1u);
  }
}

TEST(Wal, EmptyDirectoryStartsAtLsnOneWithEagerSegment) {
  TempDir tmp;
  std::vector<Replayed> got;
  RecoveryReport report;
  auto wal = OpenCollecting(Options(tmp.path()), &got, &report);
  ASSERT_TRUE(wal.ok()) << wal.status().ToString();
  EXPECT_EQ((*wal)->last_submitted_lsn(), Lsn(0));
  EXPECT_EQ((*wal)->durable_lsn(), Lsn(0));
  EXPECT_TRUE(got.empty());
  EXPECT_EQ(report.records, 0u);
  EXPECT_TRUE(std::filesystem::exists(tmp.path() / "wal" / "wal-00000000000000000001.log"));
  EXPECT_EQ(std::filesystem::file_size(tmp.path() / "wal" / "wal-00000000000000000001.log"), 64u);
}

TEST(Wal, WrittenBatchesAreReplayedInOrderAfterReopen) {
  TempDir tmp;
  constexpr uint64_t kBatches = 20, kPerBatch = 37;
  {
    std::vector<Replayed> got;
    auto wal = OpenCollecting(Options(tmp.path()), &got);
    ASSERT_TRUE(wal.ok()) << wal.status().ToString();
    for (uint64_t b = 0; b < kBatches; ++b)
      ASSERT_TRUE(SubmitSync(**wal, MakeBatch(b * kPerBatch + 1, kPerBatch)).ok());
    EXPECT_EQ((*wal)->durable_lsn(), Lsn(kBatches * kPerBatch));
    ASSERT_TRUE((*wal)->Close().ok());
  }
  std::vector<Replayed> got;
  RecoveryReport report;
  auto wal = OpenCollecting(Options(tmp.path()), &got, &report);
  ASSERT_TRUE(wal.ok()) << wal.status().ToString();
  ExpectReplayedExactly(got, kBatches * kPerBatch);
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].end_of_batch, (i + 1) % kPerBatch == 0);
  EXPECT_EQ(report.records, kBatches * kPerBatch);
  EXPECT_EQ(report.first_lsn, Lsn(1));
  EXPECT_EQ(report.last_lsn, Lsn(kBatches * kPerBatch));
  EXPECT_EQ(report.truncated_bytes, 0u);
  EXPECT_EQ((*wal)->last_submitted_lsn(), Lsn(kBatches * kPerBatch));
  // And it keeps appending after the recovered records.
  ASSERT_TRUE(SubmitSync(**wal, MakeBatch(kBatches * kPerBatch + 1, 1)).ok());
}

}  // namespace
}  // namespace annal::wal
