#include "http/json_writer.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <limits>
#include <random>

#include "core/uuid.h"
#include "http/event_json.h"

namespace annal::http {
namespace {

// Parses `json` with simdjson (an independent reader) and returns the string it holds.
std::string ParseString(const std::string& json) {
  simdjson::dom::parser p;
  auto r = p.parse(json);
  EXPECT_FALSE(r.error()) << json;
  std::string_view s;
  EXPECT_FALSE(r.get_string().get(s)) << json;
  return std::string(s);
}

std::string Escaped(std::string_view s) {
  std::string out;
  JsonWriter::AppendEscaped(out, s);
  return out;
}

// Ids and timestamps are written straight into the output as strings, commas included.
TEST(JsonWriter, UuidAndTimestampValues) {
  JsonWriter w;
  w.BeginObject();
  w.Key("event_id");
  w.Uuid(*Uuid::Parse("01890a5d-ac96-774b-bcce-b302099a8057"));
  w.Key("timestamp");
  w.Timestamp(1'700'000'000'123'456);
  w.Key("at");
  w.BeginArray();
  w.Timestamp(0);
  w.Timestamp(-1);
  w.EndArray();
  w.EndObject();
  EXPECT_EQ(w.str(),
            R"({"event_id":"01890a5d-ac96-774b-bcce-b302099a8057",)"
            R"("timestamp":"2023-11-14T22:13:20.123456Z",)"
            R"("at":["1970-01-01T00:00:00.000000Z","1969-12-31T23:59:59.999999Z"]})");
}

TEST(JsonWriter, EscapesQuotesBackslashAndControlChars) {
  EXPECT_EQ(Escaped("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(Escaped("\n\r\t\b\f"), R"("\n\r\t\b\f")");
  EXPECT_EQ(Escaped(std::string_view("\x00\x01\x1f", 3)), R"("\u0000\u0001\u001f")");
  EXPECT_EQ(Escaped("\x7f/"), "\"\x7f/\"");  // DEL and '/' need no escaping
}

// The 8-bytes-at-a-time fast path must hand every special byte to the slow path, wherever it
// sits in a word, and copy the plain runs around it exactly.
TEST(JsonWriter, SpecialBytesAtEveryPositionOfLongStringsAreEscaped) {
  const std::vector<std::pair<std::string, std::string>> specials = {
      {"\"", "\\\""}, {"\\", "\\\\"}, {"\n", "\\n"}, {std::string(1, '\x1f'), "\\u001f"},
      {std::string(1, '\0'), "\\u0000"}, {"\xC3\xA9", "\xC3\xA9"}, {"\xFF", "\xEF\xBF\xBD"},
      {" ", " "}, {"\x7f", "\x7f"}};
  for (const auto& [raw, want] : specials) {
    for (size_t pos = 0; pos < 20; ++pos) {
      std::string s(pos, 'a');
      s += raw;
      s += std::string(19 - pos, 'z');
      std::string expected = "\"" + std::string(pos, 'a') + want + std::string(19 - pos, 'z') + "\"";
      EXPECT_EQ(Escaped(s), expected) << "special " << testing::PrintToString(raw) << " at " << pos;
    }
  }
}

TEST(JsonWriter, ValidUtf8PassesThrough) {
  std::string s = "h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80 \xE4\xB8\xAD";
  EXPECT_EQ(Escaped(s), "\"" + s + "\"");
  EXPECT_EQ(ParseString(Escaped(s)), s);
}

TEST(JsonWriter, InvalidUtf8IsReplacedSoOutputStaysValid) {
  const std::string repl = "\xEF\xBF\xBD";
  EXPECT_EQ(ParseString(Escaped("a\xFF" "b")), "a" + repl + "b");
  EXPECT_EQ(ParseString(Escaped("\xC3")), repl);                    // truncated
  EXPECT_EQ(ParseString(Escaped("\xC0\xAF")), repl + repl);          // overlong
  EXPECT_EQ(ParseString(Escaped("\xED\xA0\x80")), repl + repl + repl);  // surrogate
  EXPECT_EQ(ParseString(Escaped("\xF4\x90\x80\x80")), repl + repl + repl + repl);  // > U+10FFFF
}

TEST(JsonWriter, EveryAsciiByteRoundTrips) {
  std::string s;
  for (int c = 0; c < 0x80; ++c) s.push_back(static_cast<char>(c));
  EXPECT_EQ(ParseString(Escaped(s)), s);
}

TEST(JsonWriter, RandomValidUtf8RoundTrips) {
  std::mt19937 rng(42);
  for (int iter = 0; iter < 500; ++iter) {
    std::string s;
    int n = static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) {
      uint32_t cp = rng() % 4 == 0 ? rng() % 0x80 : rng() % 0x110000;
      if (cp >= 0xD800 && cp <= 0xDFFF) cp = 'x';
      if (cp < 0x80) {
        s.push_back(static_cast<char>(cp));
      } else if (cp < 0x800) {
        s.push_back(static_cast<char>(0xC0 | cp >> 6));
        s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      } else if (cp < 0x10000) {
        s.push_back(static_cast<char>(0xE0 | cp >> 12));
        s.push_back(static_cast<char>(0x80 | (cp >> 6 & 0x3F)));
        s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      } else {
        s.push_back(static_cast<char>(0xF0 | cp >> 18));
        s.push_back(static_cast<char>(0x80 | (cp >> 12 & 0x3F)));
        s.push_back(static_cast<char>(0x80 | (cp >> 6 & 0x3F)));
        s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      }
    }
    ASSERT_EQ(ParseString(Escaped(s)), s);
  }
}

TEST(JsonWriter, BuildsNestedStructuresWithCommas) {
  JsonWriter w;
  w.BeginObject();
  w.Field("a", 1);
  w.Key("b");
  w.BeginArray();
  w.Int(-5);
  w.Uint(std::numeric_limits<uint64_t>::max());
  w.Null();
  w.Bool(false);
  w.BeginObject();
  w.EndObject();
  w.BeginArray();
  w.EndArray();
  w.Raw(R"({"x":[1,2]})");
  w.EndArray();
  w.Field("c", "s");
  w.Field("d", true);
  w.Key("e");
  w.Double(0.5);
  w.Key("f");
  w.Double(std::numeric_limits<double>::infinity());
  w.EndObject();
  EXPECT_EQ(w.str(),
            R"({"a":1,"b":[-5,18446744073709551615,null,false,{},[],{"x":[1,2]}],"c":"s","d":true,"e":0.5,"f":null})");
  simdjson::dom::parser p;
  EXPECT_FALSE(p.parse(w.str()).error());
}

TEST(JsonWriter, IntegerExtremes) {
  JsonWriter w;
  w.BeginArray();
  w.Int(std::numeric_limits<int64_t>::min());
  w.Int(std::numeric_limits<int64_t>::max());
  w.Uint(0);
  w.EndArray();
  EXPECT_EQ(w.str(), "[-9223372036854775808,9223372036854775807,0]");
}

TEST(EventJson, HasEveryFieldInOrder) {
  Event e;
  e.sequence = Lsn(42);
  e.id = *Uuid::Parse("01890a5d-ac96-774b-bcce-b302099a8057");
  e.tenant_id = "default";
  e.event_type = "user.created";
  e.entity_id = "user-\"1\"";
  e.payload = R"({"name":"Ann"})";
  e.timestamp = 1'700'000'000'123'456;
  e.entity_version = EntityVersion(3);
  JsonWriter w;
  WriteEventJson(w, e);
  EXPECT_EQ(w.str(),
            R"({"id":"01890a5d-ac96-774b-bcce-b302099a8057","event_type":"user.created",)"
            R"("entity_id":"user-\"1\"","tenant_id":"default","payload":{"name":"Ann"},)"
            R"("timestamp":"2023-11-14T22:13:20.123456Z","metadata":null,"version":1,)"
            R"("sequence":42,"entity_version":3})");
  e.metadata = R"({"source":"test"})";
  JsonWriter w2;
  WriteEventJson(w2, e);
  EXPECT_NE(w2.str().find(R"("metadata":{"source":"test"})"), std::string::npos);
}

TEST(EventJson, EventsInAnArrayAndAfterAKey) {
  Event a;
  a.sequence = Lsn(1);
  a.tenant_id = "t";
  a.event_type = "x";
  a.entity_id = "e";
  a.entity_version = EntityVersion(1);
  Event b = a;
  b.sequence = Lsn(2);
  b.entity_version = EntityVersion(2);
  b.payload = "[1,2]";
  b.metadata = "";  // empty metadata text is written as null, like an absent one
  JsonWriter w;
  w.BeginObject();
  w.Key("events");
  w.BeginArray();
  WriteEventsJson(w, {&a, &b});
  w.EndArray();
  w.Key("event");
  WriteEventJson(w, b);
  w.Field("count", 2);
  w.EndObject();
  const std::string one =
      R"({"id":"00000000-0000-0000-0000-000000000000","event_type":"x","entity_id":"e",)"
      R"("tenant_id":"t","payload":null,"timestamp":"1970-01-01T00:00:00.000000Z",)"
      R"("metadata":null,"version":1,"sequence":1,"entity_version":1})";
  const std::string two =
      R"({"id":"00000000-0000-0000-0000-000000000000","event_type":"x","entity_id":"e",)"
      R"("tenant_id":"t","payload":[1,2],"timestamp":"1970-01-01T00:00:00.000000Z",)"
      R"("metadata":null,"version":1,"sequence":2,"entity_version":2})";
  EXPECT_EQ(w.str(), R"({"events":[)" + one + "," + two + R"(],"event":)" + two +
                         R"(,"count":2})");
}

}  // namespace
}  // namespace annal::http
