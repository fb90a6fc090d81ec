#include "replication/protocol.h"

#include <gtest/gtest.h>

#include "core/crc32_ieee.h"
#include "replication/base64.h"
#include "replication/wal_entry.h"
#include "replication/wal_timestamp.h"

namespace annal::replication {
namespace {

// 2026-11-21 14:03:07 UTC; python3 -c 'import calendar;
// print(calendar.timegm((2026,11,21,14,3,7)))'
constexpr int64_t kSecs = 1795269787;
constexpr TimestampMicros kT = kSecs * 1'000'000 + 123'000;  // .123

Subscribe Sub(uint64_t last_offset) {
  Subscribe s;
  s.last_offset = Lsn(last_offset);
  return s;
}

Uuid Id(std::string_view s) { return *Uuid::Parse(s); }

Event SampleEvent() {
  Event e;
  e.sequence = Lsn(42);
  e.epoch = Epoch(3);
  e.id = Id("0190f7b2-1c2d-7e3f-8a4b-5c6d7e8f9a0b");
  e.tenant_id = "acme";
  e.event_type = "order.placed";
  e.entity_id = "order-7";
  e.payload = R"({"qty":2,"sku":"a\"b","n":[1,2.5e3]})";
  e.metadata = R"({"by":"ui"})";
  e.timestamp = kT;
  e.entity_version = EntityVersion(5);
  return e;
}

Message RoundTrip(const Message& m) {
  std::string line = EncodeLine(m);
  EXPECT_TRUE(line.ends_with('\n'));
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "exactly one line";
  auto r = DecodeLine(line);
  EXPECT_TRUE(r.ok()) << r.status().ToString() << "\n" << line;
  return r.ok() ? *r : Message{};
}

TEST(ReplicationProtocol, EveryMessageRoundTrips) {
  std::vector<Message> all = {
      Sub(0),
      Subscribe{Lsn(17), Epoch(2), std::string("node-b"), std::string(kAnnalProtocolV1)},
      Ack{Lsn(99)},
      Ack{Lsn(UINT64_MAX)},
      MakeWalEntry(SampleEvent(), Epoch(3)),
      CaughtUp{Lsn(1234)},
      SnapshotStart{{"events-000001.parquet", "events-000002.parquet"}},
      SnapshotStart{{}},
      SnapshotChunk{"events-000001.parquet", std::string("PAR1\0\xff\x01", 7), 524288, false, {}},
      SnapshotChunk{"f.parquet", "", 0, true, 0xdeadbeefu},
      SnapshotEnd{Lsn(5000), std::nullopt},
      SnapshotEnd{Lsn(5000), std::vector<EpochStart>{{Epoch(1), Lsn(1)}, {Epoch(3), Lsn(4000)}}},
      Truncate{Epoch(2), Lsn(777)},
  };
  // An AllSource-style entry without Annal's extras, with a nanosecond wal_timestamp.
  WalEntry plain = std::get<WalEntry>(MakeWalEntry(SampleEvent(), Epoch(1)));
  plain.epoch.reset();
  plain.crc32c.reset();
  plain.event.entity_version.reset();
  plain.event.metadata.reset();
  plain.wal_timestamp = WalTimestamp{kSecs * 1'000'000'000LL + 123'456'789};
  all.push_back(plain);
  for (const auto& m : all) EXPECT_EQ(RoundTrip(m), m) << EncodeLine(m);
}

TEST(ReplicationProtocol, EpochExtensions) {
  EXPECT_EQ(EncodeLine(Truncate{Epoch(2), Lsn(40)}),
            "{\"type\":\"truncate\",\"epoch\":2,\"end_offset\":40}\n");
  EXPECT_EQ(EncodeLine(SnapshotEnd{Lsn(9), std::vector<EpochStart>{{Epoch(1), Lsn(1)}, {Epoch(2), Lsn(5)}}}),
            "{\"type\":\"snapshot_end\",\"wal_offset_after_snapshot\":9,\"epochs\":[[1,1],[2,5]]}\n");
  for (const char* bad : {
           R"({"type":"snapshot_end","wal_offset_after_snapshot":9,"epochs":[[2,1],[1,5]]})",
           R"({"type":"snapshot_end","wal_offset_after_snapshot":9,"epochs":[[1,5],[2,1]]})",
           R"({"type":"snapshot_end","wal_offset_after_snapshot":9,"epochs":[[1]]})",
           R"({"type":"snapshot_end","wal_offset_after_snapshot":9,"epochs":[[1,2,3]]})",
           R"({"type":"snapshot_end","wal_offset_after_snapshot":9,"epochs":{"1":1}})",
           R"({"type":"truncate","epoch":1})",
           R"({"type":"truncate","epoch":-1,"end_offset":3})",
       }) {
    EXPECT_FALSE(DecodeLine(bad).ok()) << bad;
  }
}

TEST(ReplicationProtocol, EncodesTheDocumentedShape) {
  EXPECT_EQ(EncodeLine(Sub(7)), "{\"type\":\"subscribe\",\"last_offset\":7}\n");
  EXPECT_EQ(EncodeLine(Ack{Lsn(8)}), "{\"type\":\"ack\",\"offset\":8}\n");
  EXPECT_EQ(EncodeLine(SnapshotChunk{"a.parquet", std::string("PAR1\0\xff", 6), 0, true, {}}),
            // python3 -c 'import base64; print(base64.b64encode(b"PAR1\x00\xff"))'
            "{\"type\":\"snapshot_chunk\",\"filename\":\"a.parquet\",\"data\":\"UEFSMQD/\","
            "\"chunk_offset\":0,\"is_last\":true}\n");
  std::string wal = EncodeLine(MakeWalEntry(SampleEvent(), Epoch(3)));
  EXPECT_NE(wal.find("\"offset\":42,\"data\":{\"sequence\":42,"
                     "\"wal_timestamp\":\"2026-11-21T14:03:07.123Z\",\"event\":{"
                     "\"id\":\"0190f7b2-1c2d-7e3f-8a4b-5c6d7e8f9a0b\""),
            std::string::npos)
      << wal;
}

// Lines shaped like AllSource's serde output: no Annal fields, key order of its structs,
// nanosecond timestamps, Option::None as null, an unknown field.
TEST(ReplicationProtocol, DecodesAllSourceLines) {
  auto sub = DecodeLine("{\"type\":\"subscribe\",\"last_offset\":12}\n");
  ASSERT_TRUE(sub.ok()) << sub.status().ToString();
  EXPECT_EQ(std::get<Subscribe>(*sub), Sub(12));

  const std::string line =
      R"({"type":"wal_entry","offset":1,"data":{"sequence":1,)"
      R"("wal_timestamp":"2024-01-01T00:00:00Z","event":{"id":"00000000-0000-0000-0000-000000000000",)"
      R"("event_type":"user.created","entity_id":"u1","tenant_id":"default",)"
      R"("payload":{ "name" : "Ann" },"timestamp":"2024-01-01T00:00:00.123456789Z",)"
      R"("metadata":null,"version":1},"checksum":787345471},"future_field":[1,{"x":2}]})"
      "\n";
  // 787345471: python3 -c 'import zlib; print(zlib.crc32(b"12024-01-01 00:00:00
  // UTC00000000-0000-0000-0000-000000000000"))'
  auto r = DecodeLine(line);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto& w = std::get<WalEntry>(*r);
  EXPECT_EQ(w.offset, Lsn(1));
  EXPECT_EQ(w.event.payload, R"({"name":"Ann"})");  // minified
  EXPECT_FALSE(w.event.metadata);
  EXPECT_FALSE(w.epoch);
  EXPECT_FALSE(w.crc32c);
  EXPECT_EQ(w.event.timestamp, 1704067200LL * 1'000'000 + 123456);  // truncated to micros
  auto e = EventFromWalEntry(w);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->sequence, Lsn(1));
  EXPECT_EQ(e->epoch, Epoch(0));                   // unknown: AllSource has no epochs
  EXPECT_EQ(e->entity_version, EntityVersion(0));  // unknown: the follower assigns it

  for (const char* l : {
           R"({"type":"ack","offset":3})",
           R"({"offset":3,"type":"caught_up","current_offset":3})",
           R"({"type":"snapshot_start","parquet_files":["a.parquet"]})",
           R"({"type":"snapshot_chunk","filename":"a","data":"","chunk_offset":0,"is_last":true})",
           R"({"type":"snapshot_end","wal_offset_after_snapshot":9})",
           "{\"type\":\"ack\",\"offset\":3}\r\n",
       }) {
    auto d = DecodeLine(l);
    EXPECT_TRUE(d.ok()) << l << ": " << d.status().ToString();
  }
}

TEST(ReplicationProtocol, RejectsBadLines) {
  const std::string long_line =
      "{\"type\":\"ack\",\"offset\":1,\"pad\":\"" + std::string(kMaxLineBytes, 'x') + "\"}";
  struct Case {
    std::string line;
    StatusCode code;
  };
  const std::string ev =
      R"("event":{"id":"0190f7b2-1c2d-7e3f-8a4b-5c6d7e8f9a0b","event_type":"a","entity_id":"b","payload":{},"timestamp":"2024-01-01T00:00:00Z","version":1})";
  auto wal = [&](std::string offset, std::string seq, std::string event) {
    return R"({"type":"wal_entry","offset":)" + offset + R"(,"data":{"sequence":)" + seq +
           R"(,"wal_timestamp":"2024-01-01T00:00:00Z",)" + event + R"(,"checksum":1}})";
  };
  const std::vector<Case> cases = {
      {"", StatusCode::kMalformed},
      {"garbage", StatusCode::kMalformed},
      {R"({"type":"ack","offset":1)", StatusCode::kMalformed},            // truncated
      {R"({"type":"ack","offset":1} {})", StatusCode::kMalformed},        // two values
      {"{\"type\":\"ack\",\n\"offset\":1}", StatusCode::kMalformed},      // raw newline
      {R"({"type":"ack","offset":1,"x":[1,}})", StatusCode::kMalformed},  // bad unknown field
      {"[1,2]", StatusCode::kWrongShape},
      {R"({"offset":1})", StatusCode::kWrongShape},  // no type
      {R"({"type":7,"offset":1})", StatusCode::kWrongShape},
      {R"({"type":"nope","offset":1})", StatusCode::kInvalidArgument},
      {R"({"type":"ack"})", StatusCode::kWrongShape},
      {R"({"type":"ack","offset":"1"})", StatusCode::kWrongShape},
      {R"({"type":"ack","offset":1.5})", StatusCode::kWrongShape},
      {R"({"type":"ack","offset":1e3})", StatusCode::kWrongShape},
      // simdjson refuses integers beyond 64 bits as unparseable numbers (as for HTTP bodies).
      {R"({"type":"ack","offset":18446744073709551616})", StatusCode::kMalformed},
      {R"({"type":"ack","offset":-1})", StatusCode::kInvalidArgument},
      {R"({"type":"ack","offset":1,"offset":2})", StatusCode::kWrongShape},
      {R"({"type":"ack","type":"ack","offset":1})", StatusCode::kWrongShape},
      {R"({"type":"subscribe","last_offset":-5})", StatusCode::kInvalidArgument},
      {R"({"type":"subscribe","last_offset":1,"node_id":3})", StatusCode::kWrongShape},
      {R"({"type":"snapshot_start","parquet_files":"a"})", StatusCode::kWrongShape},
      {R"({"type":"snapshot_start","parquet_files":[1]})", StatusCode::kWrongShape},
      {R"({"type":"snapshot_chunk","filename":"a","data":"abc","chunk_offset":0,"is_last":true})",
       StatusCode::kInvalidArgument},  // bad base64 length
      {R"({"type":"snapshot_chunk","filename":"a","data":"ab=c","chunk_offset":0,"is_last":true})",
       StatusCode::kInvalidArgument},
      {R"({"type":"snapshot_chunk","filename":"a","data":"QR==","chunk_offset":0,"is_last":true})",
       StatusCode::kInvalidArgument},  // non-zero trailing bits
      {R"({"type":"snapshot_chunk","filename":"a","data":"","chunk_offset":0,"is_last":1})",
       StatusCode::kWrongShape},
      {R"({"type":"snapshot_chunk","filename":"a","data":"","chunk_offset":0,"is_last":true,"crc32c":4294967296})",
       StatusCode::kWrongShape},
      {R"({"type":"snapshot_start","parquet_files":["../etc/passwd"]})",
       StatusCode::kInvalidArgument},
      {R"({"type":"snapshot_chunk","filename":"..","data":"","chunk_offset":0,"is_last":true})",
       StatusCode::kInvalidArgument},
      {R"({"type":"snapshot_chunk","filename":"a\\b","data":"","chunk_offset":0,"is_last":true})",
       StatusCode::kInvalidArgument},
      {wal("1", "1", ev), StatusCode::kOk},               // the baseline the next cases break
      {wal("1", "2", ev), StatusCode::kInvalidArgument},  // offset != sequence
      {wal("-1", "-1", ev), StatusCode::kInvalidArgument},
      {wal("1", "1", R"("event":[])"), StatusCode::kWrongShape},
      {wal("1", "1", R"("evnt":{})"), StatusCode::kWrongShape},  // missing event
      {wal("1", "1",
           R"("event":{"id":"not-a-uuid","event_type":"a","entity_id":"b","payload":{},"timestamp":"2024-01-01T00:00:00Z"})"),
       StatusCode::kInvalidArgument},
      {wal("1", "1",
           R"("event":{"id":"0190f7b2-1c2d-7e3f-8a4b-5c6d7e8f9a0b","event_type":"a","entity_id":"b","timestamp":"2024-01-01T00:00:00Z"})"),
       StatusCode::kWrongShape},  // no payload
      {wal("1", "1",
           R"("event":{"id":"0190f7b2-1c2d-7e3f-8a4b-5c6d7e8f9a0b","event_type":"a","entity_id":"b","payload":{},"timestamp":"yesterday"})"),
       StatusCode::kInvalidArgument},
      {wal("1", "1",
           R"("event":{"id":"0190f7b2-1c2d-7e3f-8a4b-5c6d7e8f9a0b","event_type":"a","entity_id":"b","payload":{},"timestamp":"0000-01-01T00:00:00+01:00"})"),
       StatusCode::kInvalidArgument},  // year 0 cannot be written back
      {wal("1", "1",
           R"("event":{"id":"0190f7b2-1c2d-7e3f-8a4b-5c6d7e8f9a0b","event_type":"a","entity_id":"b","payload":{},"timestamp":"9999-12-31T23:59:59-01:00"})"),
       StatusCode::kInvalidArgument},  // year 10000
      {long_line, StatusCode::kTooLarge},
  };
  for (const auto& c : cases) {
    auto r = DecodeLine(c.line);
    const std::string shown = c.line.substr(0, 200);
    if (c.code == StatusCode::kOk) {
      EXPECT_TRUE(r.ok()) << shown << ": " << r.status().ToString();
    } else {
      ASSERT_FALSE(r.ok()) << shown;
      EXPECT_EQ(r.status().code(), c.code) << shown << ": " << r.status().ToString();
      EXPECT_FALSE(r.status().message().empty());
    }
  }
}

TEST(ReplicationChecksum, Crc32IeeeMatchesZlib) {
  // python3 -c 'import zlib; print(zlib.crc32(b"123456789"))'  -> 3421780262 (the CRC-32 check
  // value)
  EXPECT_EQ(crc32_ieee::Value("123456789"), 3421780262u);
  EXPECT_EQ(crc32_ieee::Value(""), 0u);
  const uint32_t first = crc32_ieee::Value("12345");
  EXPECT_EQ(crc32_ieee::Extend(first, "6789", 4), 3421780262u);
}

TEST(ReplicationChecksum, AllSourceKnownValue) {
  // python3 -c 'import zlib; print(zlib.crc32(b"422026-11-21 14:03:07.123
  // UTC0190f7b2-1c2d-7e3f-8a4b-5c6d7e8f9a0b"))'
  EXPECT_EQ(AllSourceChecksum(Lsn(42), kT, Id("0190F7B2-1C2D-7E3F-8A4B-5C6D7E8F9A0B")),
            3337028224u);
  // python3 -c 'import zlib; print(zlib.crc32(b"12024-01-01 00:00:00
  // UTC00000000-0000-0000-0000-000000000000"))'
  EXPECT_EQ(AllSourceChecksum(Lsn(1), TimestampMicros{1704067200LL * 1'000'000}, Uuid{}),
            787345471u);
}

TEST(ReplicationChecksum, WalTimestampFormatting) {
  const TimestampMicros base = kSecs * 1'000'000;
  EXPECT_EQ(FormatAllSourceWalTimestamp(base), "2026-11-21 14:03:07 UTC");
  EXPECT_EQ(FormatAllSourceWalTimestamp(base + 123'000), "2026-11-21 14:03:07.123 UTC");
  EXPECT_EQ(FormatAllSourceWalTimestamp(base + 120'000), "2026-11-21 14:03:07.120 UTC");
  EXPECT_EQ(FormatAllSourceWalTimestamp(base + 123'456), "2026-11-21 14:03:07.123456 UTC");
  EXPECT_EQ(FormatAllSourceWalTimestamp(base + 1), "2026-11-21 14:03:07.000001 UTC");
  EXPECT_EQ(FormatAllSourceWalTimestamp(WalTimestamp{kSecs * 1'000'000'000LL + 5}),
            "2026-11-21 14:03:07.000000005 UTC");
  // Before 1970 the fraction still counts forward from the whole second.
  EXPECT_EQ(FormatAllSourceWalTimestamp(TimestampMicros{-500'000}), "1969-12-31 23:59:59.500 UTC");
  EXPECT_EQ(FormatWalTimestampRfc3339(WalTimestamp::FromMicros(base + 123'456)),
            "2026-11-21T14:03:07.123456Z");

  // Wire parsing keeps nanoseconds, in every RFC 3339 form.
  EXPECT_EQ(ParseWalTimestamp("2026-11-21T14:03:07.123456789Z")->unix_nanos,
            kSecs * 1'000'000'000LL + 123'456'789);
  EXPECT_EQ(ParseWalTimestamp("2026-11-21T14:03:07.1234567Z")->unix_nanos,
            kSecs * 1'000'000'000LL + 123'456'700);
  EXPECT_EQ(ParseWalTimestamp("2026-11-21T16:03:07.5+02:00")->unix_nanos,
            kSecs * 1'000'000'000LL + 500'000'000);
  EXPECT_FALSE(ParseWalTimestamp("2026-11-21T14:03:07"));
  EXPECT_FALSE(ParseWalTimestamp("3000-01-01T00:00:00Z"));  // beyond int64 nanoseconds
}

TEST(ReplicationChecksum, EventRoundTripsThroughWalEntry) {
  const Event in = SampleEvent();
  auto m = DecodeLine(EncodeLine(MakeWalEntry(in, in.epoch)));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  auto out = EventFromWalEntry(std::get<WalEntry>(*m));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->sequence, in.sequence);
  EXPECT_EQ(out->epoch, in.epoch);
  EXPECT_EQ(out->id, in.id);
  EXPECT_EQ(out->tenant_id, in.tenant_id);
  EXPECT_EQ(out->event_type, in.event_type);
  EXPECT_EQ(out->entity_id, in.entity_id);
  EXPECT_EQ(out->payload, in.payload);
  EXPECT_EQ(out->metadata, in.metadata);
  EXPECT_EQ(out->timestamp, in.timestamp);
  EXPECT_EQ(out->entity_version, in.entity_version);
}

TEST(ReplicationChecksum, MismatchIsCorruption) {
  const WalEntry good = std::get<WalEntry>(MakeWalEntry(SampleEvent(), Epoch(3)));
  ASSERT_TRUE(EventFromWalEntry(good).ok());

  WalEntry bad_allsource = good;
  bad_allsource.checksum ^= 1;
  EXPECT_EQ(EventFromWalEntry(bad_allsource).status().code(), StatusCode::kCorruption);

  // The AllSource checksum does not cover the payload; Annal's crc32c does.
  WalEntry bad_payload = good;
  bad_payload.event.payload = R"({"qty":3,"sku":"a\"b","n":[1,2.5e3]})";
  EXPECT_EQ(EventFromWalEntry(bad_payload).status().code(), StatusCode::kCorruption);

  WalEntry bad_epoch = good;
  bad_epoch.epoch = Epoch(4);
  EXPECT_EQ(EventFromWalEntry(bad_epoch).status().code(), StatusCode::kCorruption);

  WalEntry bad_version = good;
  bad_version.event.entity_version = EntityVersion(6);
  EXPECT_EQ(EventFromWalEntry(bad_version).status().code(), StatusCode::kCorruption);

  WalEntry bad_time = good;
  bad_time.wal_timestamp.unix_nanos += 1;
  EXPECT_EQ(EventFromWalEntry(bad_time).status().code(), StatusCode::kCorruption);

  WalEntry bad_field = good;
  bad_field.event.event_type = std::string(300, 'a');
  EXPECT_EQ(EventFromWalEntry(bad_field).status().code(), StatusCode::kInvalidArgument);
}

TEST(ReplicationBase64, RoundTripsEveryLength) {
  std::string bytes;
  for (int n = 0; n < 70; ++n) {
    auto d = base64::Decode(base64::Encode(bytes));
    ASSERT_TRUE(d);
    EXPECT_EQ(*d, bytes);
    bytes.push_back(static_cast<char>(n * 37 + 11));
  }
}

}  // namespace
}  // namespace annal::replication
