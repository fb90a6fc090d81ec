// The catalog: start-up checks of the listed files, orphan removal, and pins.
#include "storage/catalog.h"

#include <gtest/gtest.h>

#include "storage/compactor.h"
#include "storage/file_names.h"
#include "storage/test_util.h"

namespace annal::storage {
namespace {

using testing::CheckpointSteps;
using testing::MemoryLog;
using testing::OpenCatalog;
using wal::testing::TempDir;
namespace fs = std::filesystem;

void Touch(const fs::path& p, const std::string& content = "x") { wal::testing::WriteAll(p, content); }

TEST(Catalog, EmptyDirectoryIsAnEmptyCatalogAtLsnZero) {
  TempDir tmp;
  auto catalog = OpenCatalog(tmp.path() / "storage");
  ASSERT_TRUE(catalog);
  EXPECT_EQ(catalog->checkpoint_lsn(), Lsn(0));
  EXPECT_TRUE(catalog->current().files.empty());
  EXPECT_TRUE(fs::is_directory(tmp.path() / "storage"));
}

TEST(Catalog, CheckpointedFilesAreListedAndSurviveReopen) {
  TempDir tmp;
  MemoryLog log;
  {
    auto catalog = OpenCatalog(tmp.path());
    CheckpointSteps(*catalog, log, {10, 25});
    EXPECT_EQ(catalog->checkpoint_lsn(), Lsn(25));
  }
  auto catalog = OpenCatalog(tmp.path());
  ASSERT_TRUE(catalog);
  Manifest m = catalog->current();
  EXPECT_EQ(m.checkpoint_lsn, Lsn(25));
  ASSERT_EQ(m.files.size(), 2u);
  EXPECT_EQ(m.files[0].name, EventFileName(Lsn(1), Lsn(10)));
  EXPECT_EQ(m.files[1].name, EventFileName(Lsn(11), Lsn(25)));
  std::vector<Event> back = testing::ReadAllFiles(*catalog);
  ASSERT_EQ(back.size(), 25u);
  for (uint64_t l = 1; l <= 25; ++l) testing::ExpectSameEvent(back[l - 1], log.At(l));
  CatalogStats s = catalog->stats();
  EXPECT_EQ(s.files, 2u);
  EXPECT_EQ(s.bytes, m.total_bytes());
}

TEST(Catalog, MissingOrResizedListedFileStopsOpenNamingIt) {
  TempDir tmp;
  MemoryLog log;
  {
    auto catalog = OpenCatalog(tmp.path());
    CheckpointSteps(*catalog, log, {10, 20});
  }
  const std::string second = EventFileName(Lsn(11), Lsn(20));
  fs::resize_file(tmp.path() / second, fs::file_size(tmp.path() / second) - 1);
  auto resized = Catalog::Open(tmp.path());
  ASSERT_FALSE(resized.ok());
  EXPECT_EQ(resized.status().code(), StatusCode::kCorruption);
  EXPECT_NE(resized.status().message().find(second), std::string::npos);
  fs::remove(tmp.path() / second);
  auto missing = Catalog::Open(tmp.path());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kCorruption);
  EXPECT_NE(missing.status().message().find(second), std::string::npos);
}

TEST(Catalog, FlippedByteInAListedFileIsCorruptionNamingIt) {
  TempDir tmp;
  MemoryLog log;
  auto catalog = OpenCatalog(tmp.path());
  CheckpointSteps(*catalog, log, {30});
  const FileMeta f = catalog->current().files.at(0);
  std::string bytes = wal::testing::ReadAll(tmp.path() / f.name);
  for (size_t at : {size_t{0}, bytes.size() / 2, bytes.size() - 1}) {
    std::string bad = bytes;
    bad[at] ^= 0x10;
    Touch(tmp.path() / f.name, bad);
    Status st = ReadCheckedEventFile(tmp.path(), f, [](Event&&) { return Status::Ok(); });
    EXPECT_EQ(st.code(), StatusCode::kCorruption) << "byte " << at;
    EXPECT_NE(st.message().find(f.name), std::string::npos) << st.message();
  }
}

TEST(Catalog, OrphansAreRemovedAndOtherFilesLeftAlone) {
  TempDir tmp;
  MemoryLog log;
  auto catalog = OpenCatalog(tmp.path());
  CheckpointSteps(*catalog, log, {10});
  const std::string live = EventFileName(Lsn(1), Lsn(10));
  const std::string unlisted = EventFileName(Lsn(11), Lsn(20));       // crashed after rename
  const std::string temp = EventFileName(Lsn(11), Lsn(20)) + ".tmp";  // crashed while writing
  Touch(tmp.path() / unlisted);
  Touch(tmp.path() / temp);
  Touch(tmp.path() / "MANIFEST.tmp");
  Touch(tmp.path() / "notes.txt");
  std::vector<std::string> removed;
  ASSERT_TRUE(catalog->RemoveOrphans(&removed).ok());
  std::sort(removed.begin(), removed.end());
  EXPECT_EQ(removed, (std::vector<std::string>{"MANIFEST.tmp", unlisted, temp}));
  EXPECT_TRUE(fs::exists(tmp.path() / live));
  EXPECT_TRUE(fs::exists(tmp.path() / "MANIFEST"));
  EXPECT_TRUE(fs::exists(tmp.path() / "notes.txt"));
}

TEST(Catalog, PinnedFileReplacedByCompactionSurvivesUntilUnpinned) {
  TempDir tmp;
  MemoryLog log;
  auto catalog = OpenCatalog(tmp.path());
  CheckpointSteps(*catalog, log, {10, 20, 30});
  const std::string a = EventFileName(Lsn(1), Lsn(10)), b = EventFileName(Lsn(11), Lsn(20)),
                    c = EventFileName(Lsn(21), Lsn(30));
  auto pin_a = catalog->Pin(a);
  ASSERT_TRUE(pin_a.ok());
  auto snapshot = catalog->PinAll();
  EXPECT_EQ(snapshot.checkpoint_lsn, Lsn(30));
  ASSERT_EQ(snapshot.files.size(), 3u);
  EXPECT_EQ(catalog->stats().pinned_files, 3u);
  EXPECT_EQ(catalog->Pin("events-nope.parquet").status().code(), StatusCode::kNotFound);

  Compactor compactor(catalog.get(), CompactionOptions{}, ParquetWriteOptions{});
  auto r = compactor.Run(log.source());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->merges, 1u);
  const std::string merged = EventFileName(Lsn(1), Lsn(30));
  ASSERT_EQ(catalog->current().files.size(), 1u);
  EXPECT_EQ(catalog->current().files[0].name, merged);
  // Replaced but pinned: still on disk and readable through the pin.
  for (const std::string& n : {a, b, c}) EXPECT_TRUE(fs::exists(tmp.path() / n)) << n;
  EXPECT_EQ(snapshot.files[1].path(), tmp.path() / b);
  EXPECT_EQ(catalog->stats().retired_pinned_files, 3u);
  // A file that is no longer live cannot be newly pinned.
  EXPECT_EQ(catalog->Pin(b).status().code(), StatusCode::kNotFound);
  // Orphan removal at this point must not touch pinned files.
  ASSERT_TRUE(catalog->RemoveOrphans().ok());
  EXPECT_TRUE(fs::exists(tmp.path() / b));

  snapshot.files.clear();  // b and c lose their last pin; a still has pin_a
  EXPECT_FALSE(fs::exists(tmp.path() / b));
  EXPECT_FALSE(fs::exists(tmp.path() / c));
  EXPECT_TRUE(fs::exists(tmp.path() / a));
  // A pin may outlive its catalog; dropping it still deletes the replaced file.
  catalog.reset();
  pin_a->Release();
  EXPECT_FALSE(fs::exists(tmp.path() / a));
  EXPECT_TRUE(fs::exists(tmp.path() / merged));
}

}  // namespace
}  // namespace annal::storage
