// annal inspect / export internals on real data dirs written by the embedded store.
#include "app/inspect.h"

#include <gtest/gtest.h>

#include <fstream>

#include "app/data_dir_contents.h"
#include "app/data_dir_lock.h"
#include "app/progress_line.h"
#include "app/stored_events.h"
#include "store/store_test_util.h"

namespace annal::app {
namespace {

using store::testing::Ev;
using store::testing::OpenOrDie;
using store::testing::OptionsFor;
using store::testing::TempDir;

// A data dir with `checkpointed` events in Parquet (one file per Checkpoint call of `per_file`)
// and `tail` more only in the WAL.
void Fill(const std::filesystem::path& dir, int checkpointed, int per_file, int tail) {
  store::StoreOptions o = OptionsFor(dir);
  o.checkpoint_interval = std::chrono::milliseconds(0);
  o.checkpoint_on_close = false;
  o.compaction.enabled = false;
  o.wal_segment_bytes = 4096;
  auto s = OpenOrDie(o);
  int n = 0;
  auto append = [&](int count) {
    for (int i = 0; i < count; ++i, ++n) {
      auto out = s->Append({Ev("entity-" + std::to_string(n % 5), "thing.happened",
                               "{\"n\":" + std::to_string(n) + "}")});
      ASSERT_TRUE(out.status.ok()) << out.status.ToString();
    }
  };
  for (int done = 0; done < checkpointed; done += per_file) {
    append(std::min(per_file, checkpointed - done));
    ASSERT_TRUE(s->Checkpoint().ok());
  }
  append(tail);
  ASSERT_TRUE(s->Close().ok());
}

std::vector<uint64_t> Sequences(const std::filesystem::path& dir, StoredEventsStats* stats) {
  auto c = ListDataDir(dir);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  std::vector<uint64_t> seqs;
  Status st = ForEachStoredEvent(*c, [&](Event&& e) {
    seqs.push_back(e.sequence.value());
    return Status::Ok();
  }, stats);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return seqs;
}

TEST(InspectTest, HealthyDataDir) {
  TempDir tmp;
  Fill(tmp.path(), 120, 40, 30);
  InspectReport r = Inspect(tmp.path());
  EXPECT_TRUE(r.ok()) << FormatInspectText(r);
  EXPECT_EQ(r.last_lsn, Lsn(150));
  EXPECT_EQ(r.checkpoint_lsn, Lsn(120));
  EXPECT_EQ(r.parquet_last_lsn, Lsn(120));
  EXPECT_EQ(r.wal_last_lsn, Lsn(150));
  EXPECT_EQ(r.event_files.size(), 3u);
  for (const EventFileReport& f : r.event_files) {
    EXPECT_TRUE(f.live);
    EXPECT_EQ(f.status, "ok") << f.error;
    EXPECT_EQ(f.rows, 40u);
  }
  EXPECT_GE(r.segments.size(), 1u);
  EXPECT_NE(FormatInspectJson(r).find("\"events_total\":150"), std::string::npos);
  EXPECT_NE(FormatInspectText(r).find("OK: no damage"), std::string::npos);
}

TEST(InspectTest, StoredEventsComeOnceInOrderFromParquetThenWal) {
  TempDir tmp;
  Fill(tmp.path(), 100, 50, 25);
  StoredEventsStats stats;
  std::vector<uint64_t> seqs = Sequences(tmp.path(), &stats);
  ASSERT_EQ(seqs.size(), 125u);
  for (size_t i = 0; i < seqs.size(); ++i) ASSERT_EQ(seqs[i], i + 1);
  EXPECT_EQ(stats.from_parquet, 100u);
  EXPECT_EQ(stats.from_wal, 25u);
  auto c = ListDataDir(tmp.path());
  ASSERT_TRUE(c.ok());
  auto last = LastStoredLsn(*c);
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, Lsn(125));
}

TEST(InspectTest, TornWalTailIsANoteNotAProblem) {
  TempDir tmp;
  Fill(tmp.path(), 0, 1, 40);
  auto c = ListDataDir(tmp.path());
  ASSERT_TRUE(c.ok());
  const std::filesystem::path seg = c->segments.back().path;
  uint64_t size = std::filesystem::file_size(seg);
  std::filesystem::resize_file(seg, size - 5);  // the last record loses its end
  InspectReport r = Inspect(tmp.path());
  EXPECT_TRUE(r.ok()) << FormatInspectText(r);
  EXPECT_EQ(r.segments.back().status, "torn_tail");
  EXPECT_EQ(r.last_lsn, Lsn(39));
  StoredEventsStats stats;
  EXPECT_EQ(Sequences(tmp.path(), &stats).size(), 39u);
}

TEST(InspectTest, MissingOrDamagedFilesAreProblems) {
  TempDir tmp;
  Fill(tmp.path(), 90, 30, 0);
  auto c = ListDataDir(tmp.path());
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->event_files.size(), 3u);
  // Damage the middle file: flip one byte.
  {
    std::fstream f(c->event_files[1].path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(100);
    char b = 0;
    f.read(&b, 1);
    b = static_cast<char>(b ^ 0x5a);
    f.seekp(100);
    f.write(&b, 1);
  }
  InspectReport r = Inspect(tmp.path());
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.event_files[1].status, "failed");
  EXPECT_NE(FormatInspectText(r).find(c->event_files[1].name), std::string::npos);
  auto listed = ListDataDir(tmp.path());
  ASSERT_TRUE(listed.ok());
  EXPECT_FALSE(ForEachStoredEvent(*listed, [](Event&&) { return Status::Ok(); }).ok());

  // Remove the last file: the MANIFEST names a file that is gone.
  std::filesystem::remove(c->event_files[2].path);
  r = Inspect(tmp.path());
  bool named = false;
  for (const std::string& p : r.problems) named |= p.find(c->event_files[2].name) != std::string::npos;
  EXPECT_TRUE(named) << FormatInspectText(r);
}

TEST(InspectTest, OrphanFilesAreIgnored) {
  TempDir tmp;
  Fill(tmp.path(), 20, 20, 5);
  auto c = ListDataDir(tmp.path());
  ASSERT_TRUE(c.ok());
  // A copy under another range's name, as a crashed compaction might leave: not live.
  std::filesystem::copy_file(c->event_files[0].path,
                             c->storage_dir / "events-00000000000000000001-00000000000000000019.parquet");
  std::ofstream(c->storage_dir / "MANIFEST.tmp") << "partial";
  InspectReport r = Inspect(tmp.path());
  EXPECT_TRUE(r.ok()) << FormatInspectText(r);
  EXPECT_EQ(r.event_files.size(), 2u);
  EXPECT_EQ(r.unexpected_files, std::vector<std::string>{"MANIFEST.tmp"});
  StoredEventsStats stats;
  EXPECT_EQ(Sequences(tmp.path(), &stats).size(), 25u);
}

TEST(InspectTest, NotADataDir) {
  TempDir tmp;
  InspectReport r = Inspect(tmp.path() / "nope");
  EXPECT_FALSE(r.ok());
  r = Inspect(tmp.path());
  EXPECT_FALSE(r.ok());
}

TEST(DataDirLockSharedTest, ReadersExcludeServersAndViceVersa) {
  TempDir tmp;
  auto server = DataDirLock::Acquire(tmp.path());
  ASSERT_TRUE(server.ok());
  auto reader = DataDirLock::AcquireShared(tmp.path());
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(reader.status().message().find(std::to_string(getpid())), std::string::npos);
  server->reset();

  auto r1 = DataDirLock::AcquireShared(tmp.path());
  auto r2 = DataDirLock::AcquireShared(tmp.path());
  ASSERT_TRUE(r1.ok() && r2.ok()) << "readers share the lock";
  auto blocked = DataDirLock::Acquire(tmp.path());
  ASSERT_FALSE(blocked.ok());
  EXPECT_NE(blocked.status().message().find("being read by"), std::string::npos)
      << blocked.status().message();
  r1->reset();
  r2->reset();
  EXPECT_TRUE(DataDirLock::Acquire(tmp.path()).ok());

  TempDir fresh;  // no LOCK file: nothing to lock, nothing created
  auto none = DataDirLock::AcquireShared(fresh.path());
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(std::filesystem::exists(fresh.path() / "LOCK"));
}

TEST(ProgressLineTest, Format) {
  EXPECT_EQ(WithThousands(0), "0");
  EXPECT_EQ(WithThousands(999), "999");
  EXPECT_EQ(WithThousands(1234567), "1,234,567");
  EXPECT_EQ(ProgressLine::Format(250, 1000, 0.5), "250 / 1,000 events (25.0%), 500 events/s");
  EXPECT_EQ(ProgressLine::Format(7, 0, 0), "7 events");
}

}  // namespace
}  // namespace annal::app
