#include "store/ordered_submit.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "wal/test_util.h"

namespace annal::store {
namespace {

using wal::testing::MakeBatch;
using wal::testing::OpenCollecting;
using wal::testing::Options;
using wal::testing::Replayed;
using wal::testing::TempDir;

// A fresh WAL with an OrderedSubmit in front of it; CloseAndReplay() closes it and returns what
// it holds.
class OrderedSubmitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<Replayed> none;
    auto opened = OpenCollecting(Options(tmp_.path()), &none);
    ASSERT_TRUE(opened.ok());
    wal_ = std::move(*opened);
    submit.Start(wal_.get(), Lsn(1));
  }
  std::vector<Replayed> CloseAndReplay() {
    EXPECT_TRUE(wal_->Close().ok());
    std::vector<Replayed> replayed;
    EXPECT_TRUE(OpenCollecting(Options(tmp_.path()), &replayed).ok());
    return replayed;
  }

  TempDir tmp_;
  std::unique_ptr<wal::Wal> wal_;
  OrderedSubmit submit;
};

// Batches handed over out of LSN order reach the WAL in order, each completes once, and
// Drain returns only when everything below its LSN was handed over.
TEST_F(OrderedSubmitTest, ParksEarlyBatchesUntilTheGapCloses) {
  std::atomic<int> ok{0};
  auto done = [&ok](Status st) { ok += st.ok(); };
  submit.Submit(MakeBatch(6, 2), done);  // 6..7: parked behind 1..5
  submit.Submit(MakeBatch(3, 3), done);  // 3..5: parked behind 1..2
  std::thread drainer([&] { submit.Drain(Lsn(8)); });
  submit.Submit(MakeBatch(1, 2), done);  // closes the gap: 1..2, 3..5, 6..7 go in order
  drainer.join();
  const std::vector<Replayed> replayed = CloseAndReplay();
  EXPECT_EQ(ok.load(), 3);
  ASSERT_EQ(replayed.size(), 7u);
  for (size_t i = 0; i < replayed.size(); ++i) EXPECT_EQ(replayed[i].lsn, i + 1);
  EXPECT_TRUE(replayed[1].end_of_batch && replayed[4].end_of_batch && replayed[6].end_of_batch);
}

// Many threads submitting their own LSN ranges in whatever order they get to it.
TEST_F(OrderedSubmitTest, ConcurrentSubmittersKeepLsnOrder) {
  constexpr int kThreads = 4, kBatchesEach = 200;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Thread t owns batches t, t + kThreads, ... (two events each).
      for (int b = t; b < kThreads * kBatchesEach; b += kThreads)
        submit.Submit(MakeBatch(1 + 2 * static_cast<uint64_t>(b), 2),
                      [&ok](Status st) { ok += st.ok(); });
    });
  }
  for (auto& th : threads) th.join();
  submit.Drain(Lsn(1 + 2 * kThreads * kBatchesEach));
  const std::vector<Replayed> replayed = CloseAndReplay();
  EXPECT_EQ(ok.load(), kThreads * kBatchesEach);
  ASSERT_EQ(replayed.size(), size_t{2} * kThreads * kBatchesEach);
  for (size_t i = 0; i < replayed.size(); ++i) ASSERT_EQ(replayed[i].lsn, i + 1);
}

}  // namespace
}  // namespace annal::store
