#include "storage/parquet/event_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <random>

#include "storage/parquet/encoding.h"
#include "storage/parquet/event_file_footer.h"

namespace annal::storage {
namespace {

namespace fs = std::filesystem;
using parquet::EventFileLayout;

std::string RandomText(std::mt19937_64& rng, size_t n) {
  static const std::string kPieces[] = {"a", "b",  "z",  "0", "9",    "_", "-",
                                        " ", "\"", "\\", "é", "日本", "🎉", "\n"};
  std::string s;
  while (s.size() < n) s += kPieces[rng() % std::size(kPieces)];
  return s;
}

Event MakeEvent(uint64_t seq, std::mt19937_64& rng, size_t payload_bytes = 150) {
  static const char* kTypes[] = {"user.created", "user.updated", "order.placed"};
  Event e;
  e.sequence = Lsn(seq);
  e.epoch = Epoch(1 + rng() % 3);
  e.id = Uuid::NewV7();
  e.tenant_id = rng() % 4 == 0 ? "acme" : "default";
  e.event_type = kTypes[rng() % 3];
  e.entity_id = "entity-" + std::to_string(rng() % 50) + (rng() % 10 == 0 ? "-ünï" : "");
  e.timestamp = 1700000000000000 + static_cast<int64_t>(seq) * 10 + static_cast<int64_t>(rng() % 5);
  e.payload = "{\"k\":\"" + RandomText(rng, payload_bytes) + "\"}";
  switch (rng() % 3) {
    case 0:
      break;  // null
    case 1:
      e.metadata = "{\"source\":\"api\"}";
      break;
    case 2:
      e.metadata = rng() % 2 ? "" : "{\"x\":" + std::to_string(rng() % 1000) + "}";
      break;
  }
  e.entity_version = EntityVersion(1 + rng() % 1000);
  return e;
}

// Timestamps must not decrease in our files; MakeEvent's jitter is smaller than the step.
std::vector<Event> MakeEvents(size_t n, uint64_t first = 1, uint64_t seed = 1,
                              size_t payload = 150) {
  std::mt19937_64 rng(seed);
  std::vector<Event> v;
  v.reserve(n);
  for (size_t i = 0; i < n; ++i) v.push_back(MakeEvent(first + i, rng, payload));
  for (size_t i = 1; i < n; ++i) v[i].timestamp = std::max(v[i].timestamp, v[i - 1].timestamp);
  return v;
}

Epoch MaxEpoch(const std::vector<Event>& v) {
  Epoch m;
  for (const auto& e : v) m = std::max(m, e.epoch);
  return m;
}

bool SameEvent(const Event& a, const Event& b) {
  return a.sequence == b.sequence && a.id == b.id && a.tenant_id == b.tenant_id &&
         a.event_type == b.event_type && a.entity_id == b.entity_id && a.payload == b.payload &&
         a.metadata == b.metadata && a.timestamp == b.timestamp &&
         a.entity_version == b.entity_version;
}

class EventFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const fs::path base =
        fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
    dir_ = base / ("annal-parquet-test-" + std::to_string(::getpid()) + "-" +
                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  Result<EventFileInfo> Write(const fs::path& p, const std::vector<Event>& events,
                              ParquetWriteOptions o = {}) {
    std::vector<const Event*> ptrs;
    for (const auto& e : events) ptrs.push_back(&e);
    return WriteEventFile(p, ptrs, o);
  }

  Status ReadAll(const fs::path& p, std::vector<Event>* out, EventFileInfo* info = nullptr) {
    out->clear();
    return ReadEventFile(
        p,
        [out](Event&& e) {
          out->push_back(std::move(e));
          return Status::Ok();
        },
        info);
  }

  void ExpectRoundTrip(const std::vector<Event>& events, ParquetWriteOptions o) {
    const fs::path p = dir_ / "f.parquet";
    auto written = Write(p, events, o);
    ASSERT_TRUE(written.ok()) << written.status().ToString();
    std::vector<Event> got;
    EventFileInfo info;
    Status st = ReadAll(p, &got, &info);
    ASSERT_TRUE(st.ok()) << st.ToString();
    ASSERT_EQ(got.size(), events.size());
    const Epoch max_epoch = MaxEpoch(events);
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_TRUE(SameEvent(got[i], events[i])) << "event " << i;
      ASSERT_EQ(got[i].epoch, max_epoch);
    }
    EXPECT_EQ(info.first_lsn, events.front().sequence);
    EXPECT_EQ(info.last_lsn, events.back().sequence);
    EXPECT_EQ(info.rows, events.size());
    EXPECT_EQ(info.bytes, fs::file_size(p));
    EXPECT_EQ(info.row_groups, (events.size() + o.row_group_rows - 1) / o.row_group_rows);
    EXPECT_EQ(info.min_timestamp, written->min_timestamp);
    EXPECT_EQ(info.max_timestamp, written->max_timestamp);
    EXPECT_EQ(info.max_epoch, MaxEpoch(events));
    EXPECT_EQ(written->bytes, info.bytes);
    EventFileInfo footer_only;
    ASSERT_TRUE(ReadEventFileInfo(p, &footer_only).ok());
    EXPECT_EQ(footer_only.first_lsn, info.first_lsn);
    EXPECT_EQ(footer_only.rows, info.rows);
    // `annal inspect` shows the codec the file was written with.
    EXPECT_EQ(footer_only.compression, o.compression);
    EXPECT_EQ(info.compression, o.compression);
  }

  fs::path dir_;
};

TEST_F(EventFileTest, RoundTripEveryCompressionAndSeveralRowGroups) {
  const auto events = MakeEvents(5000, 1000);
  for (Compression c : {Compression::kZstd, Compression::kSnappy, Compression::kNone}) {
    SCOPED_TRACE(std::string(CompressionName(c)));
    ParquetWriteOptions o;
    o.compression = c;
    o.row_group_rows = 1234;
    ExpectRoundTrip(events, o);
  }
}

TEST_F(EventFileTest, SingleEvent) { ExpectRoundTrip(MakeEvents(1, 42), {}); }

TEST_F(EventFileTest, BigPayloadsEmptyStringsAndAllNullMetadata) {
  auto events = MakeEvents(20, 1, 7);
  events[3].payload = std::string(3u << 20, 'x');  // > one page
  events[4].payload = "";
  events[5].metadata = "";
  std::mt19937_64 rng(3);
  events[6].payload = RandomText(rng, 2u << 20);
  for (auto& e : events) e.metadata.reset();
  events[19].metadata = std::string(1500000, 'm');
  for (Compression c : {Compression::kZstd, Compression::kSnappy, Compression::kNone}) {
    ParquetWriteOptions o;
    o.compression = c;
    o.row_group_rows = 8;
    ExpectRoundTrip(events, o);
  }
}

TEST_F(EventFileTest, ManyDistinctValuesFallBackToPlain) {
  auto events = MakeEvents(70000, 1, 3, 20);
  for (size_t i = 0; i < events.size(); ++i) {
    events[i].entity_id = "e" + std::to_string(i);
    events[i].entity_version = EntityVersion(i + 1);
  }
  ParquetWriteOptions o;
  o.row_group_rows = 100000;
  ExpectRoundTrip(events, o);
}

TEST_F(EventFileTest, StatisticsArePresentAndRight) {
  const auto events = MakeEvents(3000, 500);
  ParquetWriteOptions o;
  o.row_group_rows = 1000;
  ASSERT_TRUE(Write(dir_ / "s.parquet", events, o).ok());
  EventFileLayout f;
  ASSERT_TRUE(f.Open(dir_ / "s.parquet").ok());
  ASSERT_EQ(f.metadata().row_groups.size(), 3u);
  auto i64 = [](std::optional<std::string_view> s) {
    EXPECT_TRUE(s && s->size() == 8);
    return s && s->size() == 8 ? parquet::LoadI64(reinterpret_cast<const uint8_t*>(s->data())) : 0;
  };
  for (size_t g = 0; g < 3; ++g) {
    const auto first = events.begin() + static_cast<ptrdiff_t>(g * 1000);
    const auto last = first + 999;
    const auto& seq = *f.chunk_meta(g, parquet::kSequence).statistics;
    EXPECT_EQ(i64(seq.min_value), static_cast<int64_t>(first->sequence.value()));
    EXPECT_EQ(i64(seq.max_value), static_cast<int64_t>(last->sequence.value()));
    EXPECT_EQ(i64(seq.min), i64(seq.min_value));
    EXPECT_EQ(seq.null_count, 0);
    const auto& ts = *f.chunk_meta(g, parquet::kTimestamp).statistics;
    EXPECT_EQ(i64(ts.min_value), first->timestamp);
    EXPECT_EQ(i64(ts.max_value), last->timestamp);
    int64_t nulls = 0;
    for (auto it = first; it <= last; ++it) nulls += !it->metadata;
    EXPECT_EQ(f.chunk_meta(g, parquet::kMetadata).statistics->null_count, nulls);
  }
}

TEST_F(EventFileTest, TimestampsNeedNotBeOrdered) {
  auto events = MakeEvents(300);
  std::swap(events[10].timestamp, events[200].timestamp);  // a clock step back must not make a
  events[299].timestamp = 5;                               // file unreadable
  ParquetWriteOptions o;
  o.row_group_rows = 100;
  ExpectRoundTrip(events, o);
}

TEST_F(EventFileTest, WriterRejectsBadInput) {
  auto events = MakeEvents(10);
  events[5].sequence = Lsn(100);
  EXPECT_EQ(Write(dir_ / "x.parquet", events).status().code(), StatusCode::kInvalidArgument);
  events = MakeEvents(10);
  events[3].entity_version = EntityVersion(0);
  EXPECT_EQ(Write(dir_ / "x.parquet", events).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Write(dir_ / "x.parquet", {}).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(EventFileTest, CallbackErrorStopsTheRead) {
  ASSERT_TRUE(Write(dir_ / "c.parquet", MakeEvents(100)).ok());
  int calls = 0;
  Status st = ReadEventFile(dir_ / "c.parquet", [&](Event&&) {
    return ++calls == 10 ? Unavailable("stop") : Status::Ok();
  });
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_EQ(calls, 10);
}

TEST_F(EventFileTest, ParseCompression) {
  EXPECT_EQ(*ParseCompression("ZSTD"), Compression::kZstd);
  EXPECT_EQ(*ParseCompression("snappy"), Compression::kSnappy);
  EXPECT_EQ(*ParseCompression("None"), Compression::kNone);
  EXPECT_FALSE(ParseCompression("gzip").ok());
  EXPECT_EQ(CompressionName(Compression::kSnappy), "snappy");
}

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void Spit(const fs::path& p, const std::string& s) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(s.data(), static_cast<std::streamsize>(s.size()));
}

TEST_F(EventFileTest, TruncatedFileIsCorruption) {
  ASSERT_TRUE(Write(dir_ / "t.parquet", MakeEvents(50)).ok());
  const std::string bytes = Slurp(dir_ / "t.parquet");
  for (size_t n = 0; n < bytes.size(); ++n) {
    Spit(dir_ / "cut.parquet", bytes.substr(0, n));
    std::vector<Event> got;
    EXPECT_EQ(ReadAll(dir_ / "cut.parquet", &got).code(), StatusCode::kCorruption) << n;
  }
}

// Every single-byte change anywhere in our files is detected (Corruption): page CRCs cover page
// bytes, the annal.footer_crc32c covers the footer, and page headers are checked field by field
// (exact wire types, level encodings, sizes, counts). Should a change ever go undetected, it must
// at least read back exactly the events written; the test reports it either way.
TEST_F(EventFileTest, FlippedByteIsDetectedOrHarmless) {
  for (Compression c : {Compression::kNone, Compression::kZstd, Compression::kSnappy}) {
    SCOPED_TRACE(std::string(CompressionName(c)));
    const auto events = MakeEvents(40, 7, 11, 30);
    ParquetWriteOptions o;
    o.compression = c;
    o.row_group_rows = 16;
    ASSERT_TRUE(Write(dir_ / "orig.parquet", events, o).ok());
    const std::string bytes = Slurp(dir_ / "orig.parquet");
    size_t detected = 0, harmless = 0;
    const Epoch max_epoch = MaxEpoch(events);
    for (size_t at = 0; at < bytes.size(); ++at) {
      for (uint8_t mask : {uint8_t{0xff}, uint8_t{0x01}, uint8_t{0x10}}) {
        std::string bad = bytes;
        bad[at] = static_cast<char>(bad[at] ^ mask);
        Spit(dir_ / "bad.parquet", bad);
        std::vector<Event> got;
        Status st = ReadAll(dir_ / "bad.parquet", &got);
        if (!st.ok()) {
          ASSERT_EQ(st.code(), StatusCode::kCorruption) << at << " " << st.ToString();
          ++detected;
          continue;
        }
        ++harmless;
        ASSERT_EQ(got.size(), events.size()) << "offset " << at;
        for (size_t i = 0; i < got.size(); ++i)
          ASSERT_TRUE(SameEvent(got[i], events[i]) && got[i].epoch == max_epoch)
              << "offset " << at << " mask " << int(mask) << " event " << i << ": "
              << got[i].payload << " vs " << events[i].payload << " / "
              << got[i].metadata.value_or("null") << " vs " << events[i].metadata.value_or("null")
              << " / " << got[i].entity_id << " / " << got[i].epoch.value();
      }
    }
    std::printf("[ %s ] %zu bytes: %zu flips detected, %zu harmless\n",
                std::string(CompressionName(c)).c_str(), bytes.size(), detected, harmless);
    EXPECT_EQ(harmless, 0u);
    EXPECT_EQ(detected, 3 * bytes.size());
  }
}

}  // namespace
}  // namespace annal::storage
