// The MANIFEST: round trip, atomic replacement, and rejection of anything torn or damaged.
#include "storage/manifest.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "core/crc32c.h"
#include "storage/file_names.h"
#include "wal/test_util.h"

namespace annal::storage {
namespace {

using wal::testing::ReadAll;
using wal::testing::TempDir;
namespace fs = std::filesystem;

FileMeta Meta(uint64_t first, uint64_t last, uint64_t bytes = 1000, uint32_t crc = 0xdeadbeef) {
  return FileMeta{EventFileName(Lsn(first), Lsn(last)), Lsn(first), Lsn(last), last - first + 1,
                  bytes, crc};
}

Manifest Sample() {
  Manifest m;
  m.generation = 7;
  m.checkpoint_lsn = Lsn(2500);
  m.files = {Meta(1, 2000, 183244, 0x9a1c03fe), Meta(2001, 2500, 48012, 0x0c44e1d2)};
  return m;
}

TEST(FileNames, RoundTripAndRejectOthers) {
  EXPECT_EQ(EventFileName(Lsn(1), Lsn(1000)),
            "events-00000000000000000001-00000000000000001000.parquet");
  auto r = ParseEventFileName(EventFileName(Lsn(42), Lsn(18446744073709551615ull)));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->first, Lsn(42));
  EXPECT_EQ(r->last, Lsn(18446744073709551615ull));
  for (const char* bad : {"events-00000000000000000001-00000000000000001000.parquet.tmp",
                          "events-00000000000000000000-00000000000000001000.parquet",
                          "events-00000000000000000005-00000000000000000004.parquet",
                          "events-0000000000000000000a-00000000000000001000.parquet",
                          "events-99999999999999999999-99999999999999999999.parquet", "MANIFEST"})
    EXPECT_FALSE(ParseEventFileName(bad)) << bad;
}

TEST(Manifest, EncodeDecodeRoundTrip) {
  Manifest m = Sample();
  auto back = DecodeManifest(EncodeManifest(m), "MANIFEST");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, m);
  // The empty catalog too.
  auto empty = DecodeManifest(EncodeManifest(Manifest{}), "MANIFEST");
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ(*empty, Manifest{});
}

TEST(Manifest, WriteThenReadAndNoManifestMeansEmpty) {
  TempDir tmp;
  auto none = ReadManifest(tmp.path());
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(WriteManifest(tmp.path(), Sample()).ok());
  auto back = ReadManifest(tmp.path());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_TRUE(back->has_value());
  EXPECT_EQ(**back, Sample());
  EXPECT_FALSE(fs::exists(tmp.path() / "MANIFEST.tmp"));
}

TEST(Manifest, EveryFlippedByteAndEveryTruncationIsRejected) {
  const std::string good = EncodeManifest(Sample());
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] ^= 0x01;
    auto r = DecodeManifest(bad, "/data/storage/MANIFEST");
    ASSERT_FALSE(r.ok()) << "flipped byte " << i;
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
    EXPECT_NE(r.status().message().find("/data/storage/MANIFEST"), std::string::npos);
  }
  for (size_t n = 0; n < good.size(); ++n) {
    auto r = DecodeManifest(good.substr(0, n), "MANIFEST");
    ASSERT_FALSE(r.ok()) << "truncated to " << n;
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  }
}

TEST(Manifest, StructuralRulesAreEnforcedEvenWithAGoodCrc) {
  auto expect_bad = [](Manifest m, const std::string& needle) {
    auto r = DecodeManifest(EncodeManifest(m), "MANIFEST");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
    EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().message();
  };
  Manifest gap = Sample();
  gap.files[1] = Meta(2002, 2500);
  expect_bad(gap, "gap or overlap");
  Manifest overlap = Sample();
  overlap.files[1] = Meta(2000, 2500);
  expect_bad(overlap, "gap or overlap");
  Manifest not_from_one = Sample();
  not_from_one.files.erase(not_from_one.files.begin());
  expect_bad(not_from_one, "gap or overlap");
  Manifest short_of_checkpoint = Sample();
  short_of_checkpoint.checkpoint_lsn = Lsn(2600);
  expect_bad(short_of_checkpoint, "checkpoint LSN is 2600");
  Manifest wrong_name = Sample();
  wrong_name.files[0].name = EventFileName(Lsn(1), Lsn(1999));
  expect_bad(wrong_name, "name disagrees");
  // And WriteManifest refuses to persist such a catalog.
  TempDir tmp;
  EXPECT_FALSE(WriteManifest(tmp.path(), gap).ok());
  EXPECT_FALSE(fs::exists(tmp.path() / "MANIFEST"));
}

TEST(Manifest, UnknownVersionIsRejected) {
  std::string text = EncodeManifest(Sample());
  text.replace(0, text.find('\n'), "ANNAL-MANIFEST 2");
  // Re-seal so only the version is wrong.
  size_t crc_at = text.rfind("crc32c ");
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", crc32c::Value(text.substr(0, crc_at)));
  text = text.substr(0, crc_at) + "crc32c " + buf + "\n";
  auto r = DecodeManifest(text, "MANIFEST");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("version 2"), std::string::npos) << r.status().message();
}

TEST(Manifest, CrashBeforeTheRenameKeepsTheOldManifest) {
  TempDir tmp;
  Manifest old_m = Sample();
  ASSERT_TRUE(WriteManifest(tmp.path(), old_m).ok());
  Manifest new_m = old_m;
  new_m.generation++;
  new_m.files.push_back(Meta(2501, 2600));
  new_m.checkpoint_lsn = Lsn(2600);
  // The hook throws to stop WriteManifest right after MANIFEST.tmp is durable, like a crash.
  struct Stop {};
  try {
    (void)WriteManifest(tmp.path(), new_m, [](CrashPoint p) {
      if (p == CrashPoint::kManifestTempWritten) throw Stop{};
    });
    FAIL() << "the hook did not fire";
  } catch (const Stop&) {
  }
  EXPECT_TRUE(fs::exists(tmp.path() / "MANIFEST.tmp"));
  auto back = ReadManifest(tmp.path());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(**back, old_m);
}

}  // namespace
}  // namespace annal::storage
