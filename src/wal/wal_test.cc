// The Wal class end to end: write, reopen, replay; group commit ordering; rotation; close.
#include "wal/wal.h"

#include <gtest/gtest.h>

#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
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

// The size a submitter reserves for a batch is exactly what its records take, with and
// without metadata and for empty strings.
TEST(Wal, RecordBytesIsWhatAddEventAppends) {
  Batch b;
  for (uint64_t lsn = 1; lsn <= 7; ++lsn) {
    Event e = testing::MakeEvent(lsn, 20 * lsn);
    if (lsn == 5) e.tenant_id.clear();
    const size_t before = b.bytes();
    b.AddEvent(e);
    EXPECT_EQ(b.bytes() - before, Batch::RecordBytes(e)) << "lsn " << lsn;
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

TEST(Wal, ConcurrentSubmittersCompleteInLsnOrderAndAllAreRecovered) {
  TempDir tmp;
  constexpr int kThreads = 8, kBatchesPerThread = 200;
  std::atomic<uint64_t> commit_records{0};
  WalOptions options = Options(tmp.path(), /*segment_bytes=*/256 << 10);  // rotate too
  options.on_group_commit = [&](double, size_t n) { commit_records += n; };
  std::vector<Replayed> unused;
  auto wal = OpenCollecting(options, &unused);
  ASSERT_TRUE(wal.ok()) << wal.status().ToString();

  std::mutex seq_mu;  // the caller's sequencing lock: LSNs are assigned and submitted under it
  uint64_t next_lsn = 1;
  std::vector<uint64_t> completed;  // written only on the writer thread, read after Close()
  std::atomic<bool> order_ok{true}, durable_ok{true}, status_ok{true};
  uint64_t last_durable_seen = 0;
  auto work = [&](int t) {
    for (int i = 0; i < kBatchesPerThread; ++i) {
      std::lock_guard lock(seq_mu);
      size_t n = 1 + (t + i) % 3;
      Batch b = MakeBatch(next_lsn, n);
      next_lsn += n;
      Lsn last = b.last_lsn();
      (*wal)->Submit(std::move(b), [&, last](Status st) {
        if (!st.ok()) status_ok = false;
        if (!completed.empty() && completed.back() >= last.value()) order_ok = false;
        completed.push_back(last.value());
        uint64_t d = (*wal)->durable_lsn().value();
        if (d < last.value() || d < last_durable_seen) durable_ok = false;
        last_durable_seen = d;
      });
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(work, t);
  for (auto& th : threads) th.join();
  ASSERT_TRUE((*wal)->Close().ok());
  EXPECT_TRUE(status_ok);
  EXPECT_TRUE(order_ok);
  EXPECT_TRUE(durable_ok);
  EXPECT_EQ(completed.size(), size_t{kThreads * kBatchesPerThread});
  EXPECT_EQ(commit_records.load(), next_lsn - 1);

  std::vector<Replayed> got;
  auto again = OpenCollecting(options, &got);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  ExpectReplayedExactly(got, next_lsn - 1);
}

TEST(Wal, RotationCreatesSegmentsNamedByTheirFirstLsn) {
  TempDir tmp;
  WalOptions options = Options(tmp.path(), /*segment_bytes=*/4096);
  uint64_t lsn = 1;
  {
    std::vector<Replayed> unused;
    auto wal = OpenCollecting(options, &unused);
    ASSERT_TRUE(wal.ok());
    for (int b = 0; b < 40; ++b, lsn += 5) ASSERT_TRUE(SubmitSync(**wal, MakeBatch(lsn, 5)).ok());
  }
  auto segs = ListSegments(options.dir);
  ASSERT_TRUE(segs.ok());
  ASSERT_GE(segs->size(), 5u);
  // Each segment's name is its first record's LSN, and a batch (5 records) never spans two.
  for (size_t i = 0; i < segs->size(); ++i) {
    uint64_t first = (*segs)[i].first_lsn.value();
    EXPECT_EQ((first - 1) % 5, 0u) << (*segs)[i].path;
    EXPECT_EQ((*segs)[i].path.filename().string(), SegmentFileName(Lsn(first)));
    if (i + 1 < segs->size()) {
      // Rotation happens once a batch pushes the segment past the limit: never far past it.
      auto size = std::filesystem::file_size((*segs)[i].path);
      EXPECT_GT(size, 4096u);
      EXPECT_LT(size, 4096u + 5 * testing::RecordBytes(first) + 64);
    }
  }
  std::vector<Replayed> got;
  RecoveryReport report;
  auto wal = OpenCollecting(options, &got, &report);
  ASSERT_TRUE(wal.ok()) << wal.status().ToString();
  ExpectReplayedExactly(got, lsn - 1);
  EXPECT_EQ(report.segments, segs->size());
  ASSERT_TRUE(SubmitSync(**wal, MakeBatch(lsn, 5)).ok());
}

TEST(Wal, IntervalAndNeverPoliciesAlsoPersistOnClose) {
  for (const char* policy : {"interval:5", "never"}) {
    TempDir tmp;
    WalOptions options = Options(tmp.path());
    auto parsed = SyncPolicy::Parse(policy);
    ASSERT_TRUE(parsed.ok());
    options.sync = *parsed;
    {
      std::vector<Replayed> unused;
      auto wal = OpenCollecting(options, &unused);
      ASSERT_TRUE(wal.ok());
      for (uint64_t b = 0; b < 10; ++b) ASSERT_TRUE(SubmitSync(**wal, MakeBatch(b * 10 + 1, 10)).ok());
      EXPECT_EQ((*wal)->durable_lsn(), Lsn(100)) << policy;
      ASSERT_TRUE((*wal)->Close().ok());
    }
    std::vector<Replayed> got;
    auto wal = OpenCollecting(options, &got);
    ASSERT_TRUE(wal.ok());
    ExpectReplayedExactly(got, 100);
  }
}

TEST(Wal, SubmitAfterCloseFailsAtOnceAndCloseIsIdempotent) {
  TempDir tmp;
  std::vector<Replayed> unused;
  auto wal = OpenCollecting(Options(tmp.path()), &unused);
  ASSERT_TRUE(wal.ok());
  ASSERT_TRUE((*wal)->Close().ok());
  ASSERT_TRUE((*wal)->Close().ok());
  Status got = Status::Ok();
  (*wal)->Submit(MakeBatch(1, 1), [&](Status st) { got = st; });
  EXPECT_EQ(got.code(), StatusCode::kUnavailable);
}

TEST(Wal, ReplayErrorAbortsOpen) {
  TempDir tmp;
  {
    std::vector<Replayed> unused;
    auto wal = OpenCollecting(Options(tmp.path()), &unused);
    ASSERT_TRUE(wal.ok());
    ASSERT_TRUE(SubmitSync(**wal, MakeBatch(1, 3)).ok());
  }
  auto wal = Wal::Open(Options(tmp.path()), [](const RecordView& r) {
    return r.lsn == Lsn(2) ? Internal("replay refused") : Status::Ok();
  });
  ASSERT_FALSE(wal.ok());
  EXPECT_EQ(wal.status().message(), "replay refused");
}

TEST(WalDeathTest, SubmitWithWrongFirstLsnAborts) {
  // "threadsafe" re-executes the test binary for the child, which then dies without running
  // destructors. So the child builds its WAL under a directory named after the parent's pid,
  // and the parent removes it.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const bool in_child = !GTEST_FLAG_GET(internal_run_death_test).empty();
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      ("annal-wal-death-" + std::to_string(in_child ? ::getppid() : ::getpid()));
  EXPECT_DEATH(
      {
        std::vector<Replayed> unused;
        auto wal = OpenCollecting(Options(dir), &unused);
        if (!wal.ok()) std::abort();
        (*wal)->Submit(MakeBatch(2, 1), [](Status) {});
      },
      "expected 1");
  std::filesystem::remove_all(dir);
}

TEST(SyncPolicy, ParsesTheThreeSpellingsAndRejectsOthers) {
  auto always = SyncPolicy::Parse("always");
  ASSERT_TRUE(always.ok());
  EXPECT_EQ(always->mode, SyncMode::kAlways);
  auto interval = SyncPolicy::Parse("interval:5");
  ASSERT_TRUE(interval.ok());
  EXPECT_EQ(interval->mode, SyncMode::kInterval);
  EXPECT_EQ(interval->interval, std::chrono::milliseconds(5));
  EXPECT_EQ(interval->ToString(), "interval:5");
  auto never = SyncPolicy::Parse("never");
  ASSERT_TRUE(never.ok());
  EXPECT_EQ(never->mode, SyncMode::kNever);
  EXPECT_EQ(never->ToString(), "never");
  for (const char* bad : {"", "ALWAYS", "sometimes", "interval", "interval:", "interval:0",
                          "interval:-5", "interval:5ms", "interval: 5", "interval:99999999999999999999",
                          "interval:600000", "never ", "always:1"}) {
    auto r = SyncPolicy::Parse(bad);
    EXPECT_FALSE(r.ok()) << "'" << bad << "'";
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    }
  }
}

// A failed write poisons the WAL: the failing group and every later Submit get the error.
// RLIMIT_FSIZE makes write() fail with EFBIG deterministically (after a short write).
TEST(Wal, IoErrorPoisonsTheWalAndFailsEveryLaterSubmit) {
  TempDir tmp;
  std::vector<Replayed> unused;
  auto wal = OpenCollecting(Options(tmp.path()), &unused);
  ASSERT_TRUE(wal.ok());
  ASSERT_TRUE(SubmitSync(**wal, MakeBatch(1, 2)).ok());

  rlimit old;
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit small = old;
  small.rlim_cur = std::filesystem::file_size(tmp.path() / "wal" / "wal-00000000000000000001.log") + 100;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  Status failed = SubmitSync(**wal, MakeBatch(3, 10));
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &old), 0);
  std::signal(SIGXFSZ, old_handler);

  EXPECT_EQ(failed.code(), StatusCode::kIOError) << failed.ToString();
  EXPECT_EQ((*wal)->durable_lsn(), Lsn(2));
  Status later = SubmitSync(**wal, MakeBatch(13, 1));
  EXPECT_EQ(later.code(), StatusCode::kIOError);
  EXPECT_EQ((*wal)->Close().code(), StatusCode::kIOError);

  // The partial write is a torn tail; what was acknowledged survives.
  std::vector<Replayed> got;
  auto again = OpenCollecting(Options(tmp.path()), &got);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  ExpectReplayedExactly(got, 2);
}

}  // namespace
}  // namespace annal::wal
