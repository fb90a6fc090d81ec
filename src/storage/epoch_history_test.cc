// The epoch history: its file (round trip, damage), queries and update rules.
#include "storage/epoch_history.h"

#include <gtest/gtest.h>

#include "core/crc32c.h"
#include "wal/test_util.h"

namespace annal::storage {
namespace {

using wal::testing::TempDir;
namespace fs = std::filesystem;

// `body` with the crc32c line the format ends with.
std::string Sealed(const std::string& body) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", crc32c::Value(body));
  return body + "crc32c " + buf + "\n";
}

// Epoch 1 wrote LSNs 1..99, epoch 3 wrote 100..249, epoch 7 writes from 250 on.
EpochHistory ThreeEpochs() {
  EpochHistory h;
  EXPECT_TRUE(h.Append(Epoch(1), Lsn(1)).ok());
  EXPECT_TRUE(h.Append(Epoch(3), Lsn(100)).ok());
  EXPECT_TRUE(h.Append(Epoch(7), Lsn(250)).ok());
  return h;
}

TEST(EpochHistory, SaveAndLoadRoundTrip) {
  TempDir tmp;
  const fs::path file = tmp.path() / kEpochHistoryFileName;
  auto none = EpochHistory::Load(file);
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_FALSE(none->has_value());

  ASSERT_TRUE(ThreeEpochs().Save(file).ok());
  EXPECT_EQ(wal::testing::ReadAll(file), Sealed("annal-epochs 1\n1 1\n3 100\n7 250\n"));
  auto back = EpochHistory::Load(file);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_TRUE(back->has_value());
  EXPECT_EQ(**back, ThreeEpochs());
  EXPECT_FALSE(fs::exists(file.string() + ".tmp"));

  // Save replaces.
  EpochHistory shorter = ThreeEpochs();
  shorter.TruncateAfter(Lsn(120));
  ASSERT_TRUE(shorter.Save(file).ok());
  back = EpochHistory::Load(file);
  ASSERT_TRUE(back.ok() && back->has_value());
  EXPECT_EQ(**back, shorter);
}

TEST(EpochHistory, EmptyHistoryRoundTripsAndAnswersNothing) {
  TempDir tmp;
  const fs::path file = tmp.path() / kEpochHistoryFileName;
  EpochHistory empty;
  ASSERT_TRUE(empty.Save(file).ok());
  auto back = EpochHistory::Load(file);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_TRUE(back->has_value());
  EXPECT_TRUE((*back)->empty());
  EXPECT_EQ((*back)->latest(), Epoch(0));
  EXPECT_EQ((*back)->EpochAt(Lsn(5)), Epoch(0));
  EXPECT_EQ((*back)->EndOf(Epoch(4), Lsn(17)), Lsn(17));
  EXPECT_FALSE((*back)->LargestAtMost(Epoch(9)).has_value());
}

TEST(EpochHistory, EveryTruncationAndEveryFlippedByteIsCorruptionNamingTheFile) {
  TempDir tmp;
  const fs::path file = tmp.path() / kEpochHistoryFileName;
  const std::string good = ThreeEpochs().Encode();
  for (size_t n = 0; n < good.size(); ++n) {
    wal::testing::WriteAll(file, good.substr(0, n));
    auto r = EpochHistory::Load(file);
    ASSERT_FALSE(r.ok()) << "truncated to " << n;
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
    EXPECT_NE(r.status().message().find(file.string()), std::string::npos) << r.status().message();
  }
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] ^= 0x01;
    wal::testing::WriteAll(file, bad);
    auto r = EpochHistory::Load(file);
    ASSERT_FALSE(r.ok()) << "flipped byte " << i;
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
    EXPECT_NE(r.status().message().find(file.string()), std::string::npos) << r.status().message();
  }
}

TEST(EpochHistory, RulesAreCheckedEvenUnderAGoodCrc) {
  EXPECT_TRUE(EpochHistory::Decode(Sealed("annal-epochs 1\n1 1\n2 5\n"), "EPOCHS").ok());
  for (const char* body : {"annal-epochs 2\n1 1\n",       // unknown version
                           "annal-epochs 1\n2 5\n2 9\n",  // epoch not increasing
                           "annal-epochs 1\n1 5\n2 5\n",  // start not increasing
                           "annal-epochs 1\n2 9\n3 5\n",  // start decreasing
                           "annal-epochs 1\n0 1\n",       // epoch 0
                           "annal-epochs 1\n1 0\n",       // LSN 0
                           "annal-epochs 1\n1 1 1\n",     // extra field
                           "annal-epochs 1\n1 -1\n",      // not a number
                           "annal-manifest 1\n",          // not ours
                           ""}) {
    auto r = EpochHistory::Decode(Sealed(body), "EPOCHS");
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption) << body;
    EXPECT_EQ(r.status().message().rfind("EPOCHS: ", 0), 0u) << r.status().message();
  }
}

TEST(EpochHistory, QueriesOnThreeEpochs) {
  const EpochHistory h = ThreeEpochs();
  EXPECT_EQ(h.latest(), Epoch(7));

  EXPECT_EQ(h.EpochAt(Lsn(0)), Epoch(0));
  EXPECT_EQ(h.EpochAt(Lsn(1)), Epoch(1));
  EXPECT_EQ(h.EpochAt(Lsn(99)), Epoch(1));
  EXPECT_EQ(h.EpochAt(Lsn(100)), Epoch(3));
  EXPECT_EQ(h.EpochAt(Lsn(249)), Epoch(3));
  EXPECT_EQ(h.EpochAt(Lsn(250)), Epoch(7));
  EXPECT_EQ(h.EpochAt(Lsn(1'000'000)), Epoch(7));

  const Lsn last(300);
  EXPECT_EQ(h.EndOf(Epoch(0), last), Lsn(0));  // older than everything: nothing written
  EXPECT_EQ(h.EndOf(Epoch(1), last), Lsn(99));
  EXPECT_EQ(h.EndOf(Epoch(2), last), Lsn(99));  // unknown epoch: end of the one before it
  EXPECT_EQ(h.EndOf(Epoch(3), last), Lsn(249));
  EXPECT_EQ(h.EndOf(Epoch(6), last), Lsn(249));
  EXPECT_EQ(h.EndOf(Epoch(7), last), last);
  EXPECT_EQ(h.EndOf(Epoch(8), last), last);

  EXPECT_FALSE(h.LargestAtMost(Epoch(0)).has_value());
  EXPECT_EQ(h.LargestAtMost(Epoch(1)), Epoch(1));
  EXPECT_EQ(h.LargestAtMost(Epoch(2)), Epoch(1));
  EXPECT_EQ(h.LargestAtMost(Epoch(3)), Epoch(3));
  EXPECT_EQ(h.LargestAtMost(Epoch(6)), Epoch(3));
  EXPECT_EQ(h.LargestAtMost(Epoch(7)), Epoch(7));
  EXPECT_EQ(h.LargestAtMost(Epoch(100)), Epoch(7));

  // A history that starts later than LSN 1 (e.g. installed from a snapshot's leader).
  EpochHistory late;
  ASSERT_TRUE(late.Append(Epoch(4), Lsn(50)).ok());
  EXPECT_EQ(late.EpochAt(Lsn(49)), Epoch(0));
  EXPECT_EQ(late.EpochAt(Lsn(50)), Epoch(4));
  EXPECT_EQ(late.EndOf(Epoch(3), Lsn(60)), Lsn(49));
}

TEST(EpochHistory, AppendRules) {
  EpochHistory h = ThreeEpochs();
  const EpochHistory before = h;
  auto invalid = [](const Status& st) { return st.code() == StatusCode::kInvalidArgument; };
  EXPECT_TRUE(invalid(h.Append(Epoch(7), Lsn(300))));  // not newer
  EXPECT_TRUE(invalid(h.Append(Epoch(5), Lsn(300))));  // older
  EXPECT_TRUE(invalid(h.Append(Epoch(8), Lsn(249))));  // starts before the latest epoch
  EXPECT_EQ(h, before);

  // An epoch that starts where the last one started: the last one wrote nothing, it goes.
  ASSERT_TRUE(h.Append(Epoch(8), Lsn(250)).ok());
  ASSERT_EQ(h.entries().size(), 3u);
  EXPECT_EQ(h.entries().back(), (EpochHistory::Entry{Epoch(8), Lsn(250)}));
  EXPECT_EQ(h.EpochAt(Lsn(250)), Epoch(8));
  EXPECT_EQ(h.EndOf(Epoch(7), Lsn(400)), Lsn(249));  // epoch 7 wrote nothing

  ASSERT_TRUE(h.Append(Epoch(9), Lsn(400)).ok());
  ASSERT_EQ(h.entries().size(), 4u);
  EXPECT_EQ(h.latest(), Epoch(9));

  EpochHistory empty;
  EXPECT_TRUE(invalid(empty.Append(Epoch(0), Lsn(1))));  // epoch 0 is "none"
  EXPECT_TRUE(invalid(empty.Append(Epoch(1), Lsn(0))));  // LSNs start at 1
  EXPECT_TRUE(empty.Append(Epoch(1), Lsn(1)).ok());
}

TEST(EpochHistory, TruncateAfterDropsEntriesThatStartLater) {
  EpochHistory h = ThreeEpochs();
  h.TruncateAfter(Lsn(250));  // epoch 7 wrote LSN 250, which stays
  EXPECT_EQ(h, ThreeEpochs());
  h.TruncateAfter(Lsn(249));
  ASSERT_EQ(h.entries().size(), 2u);
  EXPECT_EQ(h.latest(), Epoch(3));
  h.TruncateAfter(Lsn(100));
  EXPECT_EQ(h.latest(), Epoch(3));
  h.TruncateAfter(Lsn(99));
  EXPECT_EQ(h.latest(), Epoch(1));
  h.TruncateAfter(Lsn(0));
  EXPECT_TRUE(h.empty());
  // After a truncation a new epoch may start anywhere after the kept entries.
  EpochHistory again = ThreeEpochs();
  again.TruncateAfter(Lsn(180));
  EXPECT_TRUE(again.Append(Epoch(8), Lsn(181)).ok());
  EXPECT_EQ(again.EndOf(Epoch(3), Lsn(200)), Lsn(180));
}

}  // namespace
}  // namespace annal::storage
