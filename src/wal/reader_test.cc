// LogReader: the catch-up reader replication uses.
#include "wal/reader.h"

#include <gtest/gtest.h>

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

// Reads until Next() returns false; checks every record against MakeEvent.
std::vector<uint64_t> ReadToEnd(LogReader& r) {
  std::vector<uint64_t> lsns;
  RecordView rec;
  for (;;) {
    auto more = r.Next(&rec);
    EXPECT_TRUE(more.ok()) << more.status().ToString();
    if (!more.ok() || !*more) break;
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(rec.body.data()), rec.body.size()),
              EncodedBody(rec.lsn.value()));
    lsns.push_back(rec.lsn.value());
  }
  return lsns;
}

std::vector<uint64_t> Range(uint64_t from, uint64_t to) {
  std::vector<uint64_t> v;
  for (uint64_t l = from; l <= to; ++l) v.push_back(l);
  return v;
}

TEST(LogReader, ReadsFromAnyLsnAcrossSegmentsAndFollowsTheGrowingLog) {
  TempDir tmp;
  WalOptions options = Options(tmp.path(), /*segment_bytes=*/2048);
  std::vector<Replayed> unused;
  auto wal = OpenCollecting(options, &unused);
  ASSERT_TRUE(wal.ok());
  for (uint64_t b = 0; b < 20; ++b) ASSERT_TRUE(SubmitSync(**wal, MakeBatch(b * 3 + 1, 3)).ok());
  auto segs = ListSegments(options.dir);
  ASSERT_TRUE(segs.ok());
  ASSERT_GE(segs->size(), 4u);

  for (uint64_t start : {1, 2, 17, 31, 59, 60}) {
    auto r = LogReader::Open(options.dir, Lsn(start));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(ReadToEnd(**r), Range(start, 60)) << "start " << start;
  }

  // A reader at the end sees nothing, then sees what is written after it, rotation included.
  auto r = LogReader::Open(options.dir, Lsn(61));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(ReadToEnd(**r).empty());
  for (uint64_t b = 0; b < 10; ++b) ASSERT_TRUE(SubmitSync(**wal, MakeBatch(61 + b * 3, 3)).ok());
  EXPECT_EQ(ReadToEnd(**r), Range(61, 90));
  EXPECT_EQ((*r)->next_lsn(), Lsn(91));
}

TEST(LogReader, LsnOlderThanTheOldestSegmentIsNotFound) {
  TempDir tmp;
  WalOptions options = Options(tmp.path(), /*segment_bytes=*/2048);
  {
    std::vector<Replayed> unused;
    auto wal = OpenCollecting(options, &unused);
    ASSERT_TRUE(wal.ok());
    for (uint64_t b = 0; b < 20; ++b) ASSERT_TRUE(SubmitSync(**wal, MakeBatch(b * 3 + 1, 3)).ok());
  }
  auto segs = ListSegments(options.dir);
  ASSERT_TRUE(segs.ok());
  std::filesystem::remove(segs->front().path);  // retention deleted it
  Lsn oldest = (*segs)[1].first_lsn;
  auto r = LogReader::Open(options.dir, Lsn(oldest.value() - 1));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  auto ok = LogReader::Open(options.dir, oldest);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ReadToEnd(**ok), Range(oldest.value(), 60));
}

TEST(LogReader, CorruptRecordIsReportedNotSkipped) {
  TempDir tmp;
  WalOptions options = Options(tmp.path());
  {
    std::vector<Replayed> unused;
    auto wal = OpenCollecting(options, &unused);
    ASSERT_TRUE(wal.ok());
    ASSERT_TRUE(SubmitSync(**wal, MakeBatch(1, 5)).ok());
  }
  auto path = options.dir / "wal-00000000000000000001.log";
  std::string data = testing::ReadAll(path);
  uint64_t rec3 = testing::RecordOffset(1, 3);
  data[rec3 + 50] ^= 1;
  testing::WriteAll(path, data);
  auto r = LogReader::Open(options.dir, Lsn(1));
  ASSERT_TRUE(r.ok());
  RecordView rec;
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(*(*r)->Next(&rec));
  auto bad = (*r)->Next(&rec);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kCorruption);
  EXPECT_NE(bad.status().message().find("offset " + std::to_string(rec3)), std::string::npos);
}

}  // namespace
}  // namespace annal::wal
