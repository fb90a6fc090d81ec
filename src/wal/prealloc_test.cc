// Preallocated segments (docs/format/wal.md, "Preallocated segments"): the writer moves into
// zero-filled spare files, closed segments end at their last record, and a crash that leaves
// preallocated zeros behind loses nothing and reports nothing.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "wal/reader.h"
#include "wal/segment.h"
#include "wal/segment_reader.h"
#include "wal/spare_segment.h"
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
namespace fs = std::filesystem;

constexpr uint64_t kSegment = 1 << 20;  // the smallest segment that is preallocated
constexpr size_t kPerBatch = 20;        // ~4.5 KiB per batch

void ExpectLsns(const std::vector<Replayed>& got, uint64_t n) {
  ASSERT_EQ(got.size(), n);
  for (uint64_t i = 0; i < n; ++i) {
    ASSERT_EQ(got[i].lsn, i + 1);
    ASSERT_EQ(got[i].body, EncodedBody(i + 1)) << "lsn " << i + 1;
  }
}

// Opens the WAL again: exactly LSN 1..n come back and nothing was repaired.
void ExpectReopensWithoutRepair(const WalOptions& options, uint64_t n) {
  std::vector<Replayed> got;
  RecoveryReport report;
  auto wal = OpenCollecting(options, &got, &report);
  ASSERT_TRUE(wal.ok()) << wal.status().ToString();
  ExpectLsns(got, n);
  EXPECT_EQ(report.truncated_bytes, 0u);
}

// Submits batches until a segment whose file is exactly kSegment bytes (a spare in use) holds
// records, or the deadline passes. Returns the next LSN.
uint64_t WriteUntilInPreallocatedSegment(Wal& wal, const WalOptions& options, uint64_t lsn) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (;;) {
    EXPECT_TRUE(SubmitSync(wal, MakeBatch(lsn, kPerBatch)).ok());
    lsn += kPerBatch;
    auto segs = ListSegments(options.dir);
    EXPECT_TRUE(segs.ok());
    if (segs->size() >= 2 && fs::file_size(segs->back().path) == kSegment) return lsn;
    if (std::chrono::steady_clock::now() > deadline) {
      ADD_FAILURE() << "the writer never moved into a preallocated segment";
      return lsn;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

// Submits kPerBatch-event batches from `lsn` until at least `bytes` of records are written.
// Returns the next LSN.
uint64_t WriteRecordBytes(Wal& wal, uint64_t lsn, uint64_t bytes) {
  for (uint64_t written = 0; written < bytes; lsn += kPerBatch) {
    written += testing::RecordOffset(lsn, lsn + kPerBatch) - 64;
    EXPECT_TRUE(SubmitSync(wal, MakeBatch(lsn, kPerBatch)).ok());
  }
  return lsn;
}

// Reads a segment to its end: the records must end exactly at the file's end.
void ExpectEndsAtLastRecord(const fs::path& path, Lsn first) {
  auto reader = SegmentReader::Open(SegmentFile{first, path});
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  RecordView rec;
  for (;;) {
    auto state = reader->Next(&rec);
    ASSERT_TRUE(state.ok()) << state.status().ToString();
    if (*state != ReadState::kRecord) {
      ASSERT_EQ(*state, ReadState::kEnd);
      break;
    }
  }
  EXPECT_EQ(reader->zero_tail_bytes(), 0u) << path;
  EXPECT_EQ(reader->offset(), fs::file_size(path)) << path;
}

TEST(Preallocation, TheWriterMovesIntoZeroFilledSpareSegmentsAndClosedOnesEndAtTheirRecords) {
  TempDir tmp;
  WalOptions options = Options(tmp.path(), kSegment);
  uint64_t lsn = 1;
  {
    std::vector<Replayed> unused;
    auto wal = OpenCollecting(options, &unused);
    ASSERT_TRUE(wal.ok()) << wal.status().ToString();
    // The new log starts in a plain file; once the spare is ready it moves there.
    lsn = WriteUntilInPreallocatedSegment(**wal, options, lsn);
    // Past a full segment: the next rotation takes the next spare.
    lsn = WriteRecordBytes(**wal, lsn, 2 * kSegment);
    auto segs = ListSegments(options.dir);
    ASSERT_TRUE(segs.ok());
    ASSERT_GE(segs->size(), 3u);
    for (size_t i = 0; i + 1 < segs->size(); ++i)
      ExpectEndsAtLastRecord((*segs)[i].path, (*segs)[i].first_lsn);
    EXPECT_EQ(fs::file_size(segs->back().path), kSegment) << "the active segment is preallocated";

    // A LogReader sees every record up to the live end, and stops at the preallocated zeros.
    auto reader = LogReader::Open(options.dir, Lsn(1));
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    RecordView rec;
    uint64_t read = 0;
    for (;;) {
      auto more = (*reader)->Next(&rec);
      ASSERT_TRUE(more.ok()) << more.status().ToString();
      if (!*more) break;
      ASSERT_EQ(rec.lsn, Lsn(++read));
    }
    EXPECT_EQ(read, lsn - 1);
    ASSERT_TRUE(SubmitSync(**wal, MakeBatch(lsn, 1)).ok());
    ++lsn;
    auto more = (*reader)->Next(&rec);
    ASSERT_TRUE(more.ok() && *more);
    EXPECT_EQ(rec.lsn, Lsn(lsn - 1));
  }
  // Close cut the active segment to its records and removed the unused spare.
  auto segs = ListSegments(options.dir);
  ASSERT_TRUE(segs.ok());
  ExpectEndsAtLastRecord(segs->back().path, segs->back().first_lsn);
  EXPECT_FALSE(fs::exists(options.dir / SpareSegment::kFileName));
  ExpectReopensWithoutRepair(options, lsn - 1);
}

// Pages of `path` in the page cache (mincore over a read-only mapping).
size_t ResidentPages(const fs::path& path) {
  const size_t bytes = fs::file_size(path);
  if (bytes == 0) return 0;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  EXPECT_GE(fd, 0) << path;
  if (fd < 0) return SIZE_MAX;
  void* map = ::mmap(nullptr, bytes, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  EXPECT_NE(map, MAP_FAILED) << path;
  if (map == MAP_FAILED) return SIZE_MAX;
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> in((bytes + page - 1) / page);
  EXPECT_EQ(::mincore(map, bytes, in.data()), 0);
  ::munmap(map, bytes);
  size_t n = 0;
  for (unsigned char c : in) n += c & 1;
  return n;
}

// A closed segment is read again only by a follower catching up or by recovery, so the writer
// drops its cached pages: the WAL's page cache stays at about the active segment and the spare
// instead of growing with every byte written. The spare's thread does it, with or without
// preallocation; for segments too small for that thread, the writer itself. The active segment
// stays cached.
TEST(Preallocation, ClosedSegmentsLeaveThePageCache) {
  TempDir tmp;
  struct statfs fs_info {};
  ASSERT_EQ(::statfs(tmp.path().c_str(), &fs_info), 0);
  if (fs_info.f_type == TMPFS_MAGIC) GTEST_SKIP() << "tmpfs pages are the file itself";
  const struct {
    uint64_t segment;
    bool preallocate;
  } configs[] = {{kSegment, true}, {kSegment, false}, {uint64_t{64} << 10, true}};
  for (const auto& c : configs) {
    const std::string name =
        std::to_string(c.segment) + (c.preallocate ? "-preallocated" : "-plain");
    SCOPED_TRACE(name);
    WalOptions options = Options(tmp.path() / name, c.segment);
    options.preallocate = c.preallocate;
    std::vector<Replayed> unused;
    auto wal = OpenCollecting(options, &unused);
    ASSERT_TRUE(wal.ok()) << wal.status().ToString();
    WriteRecordBytes(**wal, 1, 3 * c.segment);
    auto segs = ListSegments(options.dir);
    ASSERT_TRUE(segs.ok());
    ASSERT_GE(segs->size(), 3u);
    EXPECT_GT(ResidentPages(segs->back().path), 0u) << "the active segment is cached";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    for (size_t i = 0; i + 1 < segs->size(); ++i) {
      while (ResidentPages((*segs)[i].path) > 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      EXPECT_EQ(ResidentPages((*segs)[i].path), 0u) << (*segs)[i].path;
    }
  }
}

TEST(Preallocation, ACrashInsideAPreallocatedSegmentLosesNothingAndWritingContinuesInPlace) {
  TempDir tmp;
  WalOptions options = Options(tmp.path(), kSegment);
  int pipefd[2];
  ASSERT_EQ(::pipe(pipefd), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // The child writes into a preallocated segment and dies without closing anything.
    ::close(pipefd[0]);
    std::vector<Replayed> unused;
    auto wal = OpenCollecting(options, &unused);
    if (!wal.ok()) ::_exit(2);
    uint64_t next = WriteUntilInPreallocatedSegment(**wal, options, 1);
    for (int i = 0; i < 5; ++i, next += kPerBatch)
      if (!SubmitSync(**wal, MakeBatch(next, kPerBatch)).ok()) ::_exit(3);
    if (::write(pipefd[1], &next, sizeof next) != sizeof next) ::_exit(4);
    ::_exit(0);  // acknowledged: everything below `next`
  }
  ::close(pipefd[1]);
  uint64_t next = 0;
  ASSERT_EQ(::read(pipefd[0], &next, sizeof next), static_cast<ssize_t>(sizeof next));
  ::close(pipefd[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;

  auto segs = ListSegments(options.dir);
  ASSERT_TRUE(segs.ok());
  const fs::path tail = segs->back().path;
  ASSERT_EQ(fs::file_size(tail), kSegment) << "the crash left the preallocated zeros";
  {
    std::vector<Replayed> got;
    RecoveryReport report;
    auto wal = OpenCollecting(options, &got, &report);
    ASSERT_TRUE(wal.ok()) << wal.status().ToString();
    ExpectLsns(got, next - 1);
    EXPECT_EQ(report.truncated_bytes, 0u) << "preallocated space is not a torn write";
    EXPECT_EQ(fs::file_size(tail), kSegment) << "recovery keeps the preallocated space";
    ASSERT_TRUE(SubmitSync(**wal, MakeBatch(next, kPerBatch)).ok());
    next += kPerBatch;
  }
  ExpectReopensWithoutRepair(options, next - 1);
}

// A reader of a live preallocated segment has read ahead: zeros, or a record half written,
// where complete records are by the time it asks for them. It must read them, not report
// corruption or the end.
TEST(Preallocation, AReaderLooksAgainAtBytesItReadAheadWhileTheyWereBeingWritten) {
  TempDir tmp;
  WalOptions pristine = Options(tmp.path() / "pristine");
  {
    std::vector<Replayed> unused;
    auto wal = OpenCollecting(pristine, &unused);
    ASSERT_TRUE(wal.ok());
    for (uint64_t lsn = 1; lsn <= 6; ++lsn) ASSERT_TRUE(SubmitSync(**wal, MakeBatch(lsn, 1)).ok());
  }
  const std::string name = SegmentFileName(Lsn(1));
  const std::string full = testing::ReadAll(pristine.dir / name);
  const uint64_t r4 = testing::RecordOffset(1, 4), r5 = testing::RecordOffset(1, 5);
  // What the reader may see first: records 1..3, then nothing, or the first bytes of record 4.
  for (uint64_t visible : {r4, r4 + 10, r5 - 1}) {
    SCOPED_TRACE("visible bytes: " + std::to_string(visible));
    TempDir run;
    fs::path path = run.path() / name;
    testing::WriteAll(path, full.substr(0, visible) + std::string(full.size() - visible + 4096, '\0'));
    auto reader = SegmentReader::Open(SegmentFile{Lsn(1), path});
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    RecordView rec;
    for (uint64_t lsn = 1; lsn <= 3; ++lsn) {
      auto state = reader->Next(&rec);
      ASSERT_TRUE(state.ok() && *state == ReadState::kRecord) << lsn;
    }
    // The writer completes record 4 and writes 5 and 6 over the zeros.
    testing::WriteAll(path, full + std::string(4096, '\0'));
    for (uint64_t lsn = 4; lsn <= 6; ++lsn) {
      auto state = reader->Next(&rec);
      ASSERT_TRUE(state.ok()) << state.status().ToString();
      ASSERT_EQ(*state, ReadState::kRecord) << lsn;
      EXPECT_EQ(rec.lsn, Lsn(lsn));
    }
    auto end = reader->Next(&rec);
    ASSERT_TRUE(end.ok() && *end == ReadState::kEnd);
  }
}

TEST(Preallocation, OffWritesPlainSegments) {
  TempDir tmp;
  WalOptions options = Options(tmp.path(), kSegment);
  options.preallocate = false;
  std::vector<Replayed> unused;
  auto wal = OpenCollecting(options, &unused);
  ASSERT_TRUE(wal.ok());
  uint64_t lsn = 1;
  for (; lsn * testing::RecordBytes(lsn) < kSegment / 2; lsn += kPerBatch) {
    ASSERT_TRUE(SubmitSync(**wal, MakeBatch(lsn, kPerBatch)).ok());
    ASSERT_EQ(fs::file_size(options.dir / SegmentFileName(Lsn(1))),
              testing::RecordOffset(1, lsn + kPerBatch));
  }
  EXPECT_FALSE(fs::exists(options.dir / SpareSegment::kFileName));
}

TEST(SpareSegment, ALeftoverSpareIsDeletedNotTrusted) {
  TempDir tmp;
  fs::create_directories(tmp.path());
  testing::WriteAll(tmp.path() / SpareSegment::kFileName, std::string(4096, 'x'));
  SpareSegment spare(tmp.path(), 8192);
  EXPECT_FALSE(fs::exists(tmp.path() / SpareSegment::kFileName));
  EXPECT_FALSE(spare.Take().has_value()) << "nothing was requested";
  spare.Request();
  std::optional<UniqueFd> fd;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!(fd = spare.Take()) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_TRUE(fd.has_value());
  EXPECT_EQ(testing::ReadAll(tmp.path() / SpareSegment::kFileName), std::string(8192, '\0'));
}

}  // namespace
}  // namespace annal::wal
