#include "http/request_parser.h"

#include <gtest/gtest.h>

namespace annal::http {
namespace {

constexpr StatusCode kOk = StatusCode::kOk;
constexpr StatusCode k400 = StatusCode::kInvalidArgument;
constexpr StatusCode kBad = StatusCode::kMalformed;
constexpr StatusCode k422 = StatusCode::kWrongShape;

TEST(ParseAppendBody, AcceptsFullEvent) {
  auto r = ParseAppendBody(R"( {
    "event_type": "order.placed", "entity_id": "order-1", "tenant_id": "acme",
    "payload": { "total" : 12.50, "items": [ 1, 2 ], "note": "a  b", "big": 1e3 },
    "metadata": { "source": "web" }, "expected_version": 0,
    "event_id": "01890A5D-AC96-774B-BCCE-B302099A8057", "unknown": {"ignored": [true]} } )");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->event_type, "order.placed");
  EXPECT_EQ(r->entity_id, "order-1");
  EXPECT_EQ(r->tenant_id, "acme");
  // Minified, but number spellings are kept as sent.
  EXPECT_EQ(r->payload, R"({"total":12.50,"items":[1,2],"note":"a  b","big":1e3})");
  EXPECT_EQ(r->metadata, std::optional<std::string>(R"({"source":"web"})"));
  ASSERT_TRUE(r->expected_version.has_value());
  EXPECT_EQ(r->expected_version->value(), 0u);
  ASSERT_TRUE(r->event_id.has_value());
  EXPECT_EQ(r->event_id->ToString(), "01890a5d-ac96-774b-bcce-b302099a8057");
}

TEST(ParseAppendBody, DefaultsAndNulls) {
  auto r = ParseAppendBody(
      R"({"event_type":"a","entity_id":"e","payload":null,"metadata":null,"tenant_id":null,)"
      R"("expected_version":null,"event_id":null})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->tenant_id, "default");
  EXPECT_EQ(r->payload, "null");
  EXPECT_FALSE(r->metadata.has_value());
  EXPECT_FALSE(r->expected_version.has_value());
  EXPECT_FALSE(r->event_id.has_value());
}

TEST(ParseAppendBody, EscapedStringsAreUnescaped) {
  auto r = ParseAppendBody(
      R"({"event_\u0074ype":"a","entity_id":"caf\u00e9 \"x\"","payload":{"k":"\u00e9\n"}})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->event_type, "a");
  EXPECT_EQ(r->entity_id, "caf\xC3\xA9 \"x\"");
  EXPECT_EQ(r->payload, R"({"k":"\u00e9\n"})");  // payload text is kept as sent
}

// Strings without escapes are read in place, the others unescaped; both kinds side by side in
// one batch, in keys and in values, and a bad escape is still malformed JSON.
TEST(ParseBatchBody, EscapedAndPlainStringsSideBySide) {
  auto r = ParseBatchBody(
      R"({"events":[{"event_type":"a.b","entity_\u0069d":"e\"1","payload":{}},)"
      R"({"event_type":"c","entity_id":"plain","payload":[1],"x\ty":"\\"},)"
      R"({"ev\u0065nt_type":"d\u002ee","entity_id":"","payload":null,"entity_id":"z"}]})");
  ASSERT_FALSE(r.ok());  // the third has an empty entity_id and then a duplicate field
  EXPECT_EQ(r.status().code(), k422) << r.status().ToString();
  EXPECT_NE(r.status().message().find("events[2]"), std::string::npos) << r.status().ToString();

  auto ok = ParseBatchBody(
      R"({"events":[{"event_type":"a.b","entity_\u0069d":"e\"1","payload":{}},)"
      R"({"event_type":"c","entity_id":"plain","payload":[1],"x\ty":"\\"}]})");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  ASSERT_EQ(ok->size(), 2u);
  EXPECT_EQ((*ok)[0].entity_id, "e\"1");
  EXPECT_EQ((*ok)[1].event_type, "c");
  EXPECT_EQ((*ok)[1].entity_id, "plain");

  auto bad = ParseBatchBody(R"({"events":[{"event_type":"a","entity_id":"b\x","payload":1}]})");
  EXPECT_EQ(bad.status().code(), kBad) << bad.status().ToString();
}

struct Case {
  const char* name;
  std::string body;
  StatusCode code;
};

class AppendTable : public testing::TestWithParam<Case> {};

TEST_P(AppendTable, MapsToStatusCode) {
  const Case& c = GetParam();
  auto r = ParseAppendBody(c.body);
  EXPECT_EQ(r.status().code(), c.code) << c.body << " -> " << r.status().ToString();
}

const std::string kOkFields = R"("event_type":"a.b","entity_id":"e","payload":{})";

INSTANTIATE_TEST_SUITE_P(
    Rejections, AppendTable,
    testing::Values(
        Case{"minimal", "{" + kOkFields + "}", kOk},
        Case{"payload_array", R"({"event_type":"a","entity_id":"e","payload":[1]})", kOk},
        Case{"payload_string", R"({"event_type":"a","entity_id":"e","payload":"x"})", kOk},
        Case{"empty_body", "", kBad},
        Case{"whitespace_body", "   ", kBad},
        Case{"garbage", "hello", kBad},
        Case{"truncated", R"({"event_type":"a","entity_id":"e","payload":{)", kBad},
        Case{"trailing_garbage", "{" + kOkFields + "} x", kBad},
        Case{"two_documents", "{" + kOkFields + "}{}", kBad},
        Case{"trailing_comma", "{" + kOkFields + ",}", kBad},
        Case{"bad_atom_in_payload", R"({"event_type":"a","entity_id":"e","payload":[tru]})", kBad},
        Case{"split_atom_in_payload", R"({"event_type":"a","entity_id":"e","payload":[tr ue]})", kBad},
        Case{"split_number", R"({"event_type":"a","entity_id":"e","payload":[1 2]})", kBad},
        Case{"bad_atom_in_unknown", "{" + kOkFields + R"(,"x":[nul]})", kBad},
        Case{"bad_number", R"({"event_type":"a","entity_id":"e","payload":1.})", kBad},
        Case{"huge_number", R"({"event_type":"a","entity_id":"e","payload":1e400})", kBad},
        Case{"bad_escape", R"({"event_type":"a\q","entity_id":"e","payload":{}})", kBad},
        Case{"invalid_utf8", "{\"event_type\":\"a\",\"entity_id\":\"\xff\",\"payload\":{}}", kBad},
        Case{"missing_colon", R"({"event_type" "a","entity_id":"e","payload":{}})", kBad},
        Case{"malformed_after_shape_error", R"({"event_type":1,"entity_id":"e","payload":[})", kBad},
        Case{"not_object_array", "[1,2]", k422},
        Case{"not_object_scalar", "42", k422},
        Case{"not_object_string", "\"x\"", k422},
        Case{"missing_event_type", R"({"entity_id":"e","payload":{}})", k422},
        Case{"missing_entity_id", R"({"event_type":"a","payload":{}})", k422},
        Case{"missing_payload", R"({"event_type":"a","entity_id":"e"})", k422},
        Case{"event_type_number", R"({"event_type":1,"entity_id":"e","payload":{}})", k422},
        Case{"entity_id_object", R"({"event_type":"a","entity_id":{},"payload":{}})", k422},
        Case{"entity_id_null", R"({"event_type":"a","entity_id":null,"payload":{}})", k422},
        Case{"tenant_id_number", "{" + kOkFields + R"(,"tenant_id":5})", k422},
        Case{"expected_version_negative", "{" + kOkFields + R"(,"expected_version":-1})", k422},
        Case{"expected_version_float", "{" + kOkFields + R"(,"expected_version":1.0})", k422},
        Case{"expected_version_exp", "{" + kOkFields + R"(,"expected_version":1e2})", k422},
        Case{"expected_version_string", "{" + kOkFields + R"(,"expected_version":"1"})", k422},
        Case{"expected_version_too_big",
             "{" + kOkFields + R"(,"expected_version":18446744073709551616})", kBad},
        Case{"event_id_number", "{" + kOkFields + R"(,"event_id":7})", k422},
        Case{"duplicate_field", "{" + kOkFields + R"(,"entity_id":"f"})", k422},
        Case{"shape_beats_rule", R"({"event_type":"BAD","entity_id":"e"})", k422},
        Case{"event_id_not_uuid", "{" + kOkFields + R"(,"event_id":"abc"})", k400},
        Case{"event_id_nil", "{" + kOkFields + R"(,"event_id":"00000000-0000-0000-0000-000000000000"})", k400},
        Case{"bad_event_type", R"({"event_type":"Bad Type","entity_id":"e","payload":{}})", k400},
        Case{"reserved_event_type", R"({"event_type":"_system.x","entity_id":"e","payload":{}})", k400},
        Case{"empty_entity_id", R"({"event_type":"a","entity_id":"","payload":{}})", k400},
        Case{"entity_id_control", R"({"event_type":"a","entity_id":"a\u0001","payload":{}})", k400},
        Case{"entity_id_space", R"({"event_type":"a","entity_id":" a","payload":{}})", k400},
        Case{"bad_tenant", "{" + kOkFields + R"(,"tenant_id":"a b"})", k400}),
    [](const testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

TEST(ParseBatchBody, AcceptsEvents) {
  auto r = ParseBatchBody(R"({"events":[{"event_type":"a","entity_id":"e1","payload":{"n":1}},
                                        {"event_type":"b","entity_id":"e2","payload":[ ]}]})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].payload, R"({"n":1})");
  EXPECT_EQ((*r)[1].entity_id, "e2");
  EXPECT_EQ((*r)[1].payload, "[]");
}

// A body with readable room after it is parsed in place: what lies in that room is never part
// of the document, even when it would complete a truncated one.
TEST(ParseBatchBody, InPlaceIgnoresWhatFollowsTheBody) {
  const std::string complete =
      R"({"events":[{"event_type":"a.b","entity_id":"e1","payload":{"x":1}}]})";
  std::string buffer = complete + std::string(kJsonPadding, ' ');
  auto ok = ParseBatchBody(std::string_view(buffer.data(), complete.size()), nullptr,
                           buffer.size());
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  ASSERT_EQ(ok->size(), 1u);
  EXPECT_EQ((*ok)[0].payload, R"({"x":1})");

  // The same bytes, but the body ends before the closing brackets, which sit in the room.
  const size_t cut = complete.size() - 2;
  buffer = complete + std::string(kJsonPadding, '}');
  auto truncated = ParseBatchBody(std::string_view(buffer.data(), cut), nullptr, buffer.size());
  EXPECT_EQ(truncated.status().code(), kBad) << truncated.status().ToString();
  // Too little room: copied, and still the same answer.
  auto copied = ParseBatchBody(std::string_view(buffer.data(), cut), nullptr, cut + 1);
  EXPECT_EQ(copied.status().code(), kBad) << copied.status().ToString();
}

TEST(ParseBatchBody, ErrorsNameTheIndex) {
  std::optional<size_t> index;
  auto r = ParseBatchBody(R"({"events":[{"event_type":"a","entity_id":"e","payload":1},
                                        {"event_type":"a","entity_id":"e"},
                                        {"event_type":"BAD","entity_id":"e","payload":1}]})",
                          &index);
  EXPECT_EQ(r.status().code(), StatusCode::kWrongShape);
  EXPECT_EQ(r.status().message().rfind("events[1]: ", 0), 0u) << r.status().message();
  EXPECT_EQ(index, std::optional<size_t>(1));

  index.reset();
  r = ParseBatchBody(R"({"events":[{"event_type":"a","entity_id":"e","payload":1},
                                   {"event_type":"a b","entity_id":"e","payload":1}]})",
                     &index);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message().rfind("events[1]: ", 0), 0u) << r.status().message();
  EXPECT_EQ(index, std::optional<size_t>(1));

  // Malformed JSON after a shape error wins and names no event.
  index.reset();
  r = ParseBatchBody(R"({"events":[{"event_type":"a","entity_id":"e"}]Y})", &index);
  EXPECT_EQ(r.status().code(), StatusCode::kMalformed);
  EXPECT_EQ(index, std::nullopt);

  r = ParseBatchBody(R"({"events":[{"event_type":"a","entity_id":"e","payload":1}, 5]})", &index);
  EXPECT_EQ(r.status().code(), StatusCode::kWrongShape);
  EXPECT_EQ(r.status().message().rfind("events[1]: ", 0), 0u) << r.status().message();
}

TEST(ParseBatchBody, RejectionTable) {
  const std::pair<std::string, StatusCode> cases[] = {
      {"", kBad},
      {"[]", k422},
      {"{}", k422},
      {R"({"events":{}})", k422},
      {R"({"events":null})", k422},
      {R"({"events":[]})", k400},
      {R"({"events":[{"event_type":"a","entity_id":"e","payload":1}],"events":[]})", k422},
      {R"({"events":[{"event_type":"a","entity_id":"e","payload":1}]} [)", kBad},
      {R"({"events":[{"event_type":"a","entity_id":"e"},{"payload":[1,]}]})", kBad},
      {R"({"events":[{"event_type":"a","entity_id":"e","payload":1}],"x":tru})", kBad},
      {R"({"x":1,"events":[{"event_type":"a","entity_id":"e","payload":1}]})", kOk},
  };
  for (const auto& [body, code] : cases) {
    auto r = ParseBatchBody(body);
    EXPECT_EQ(r.status().code(), code) << body << " -> " << r.status().ToString();
  }
}

TEST(MinifyJson, ValidatesAndMinifies) {
  EXPECT_EQ(*MinifyJson(" { \"a\" : [ 1 , \"x y\" ] } "), R"({"a":[1,"x y"]})");
  // Already compact text comes back unchanged; spaces inside strings are kept either way.
  EXPECT_EQ(*MinifyJson(R"({"a":[1,"x y"],"b":"c"})"), R"({"a":[1,"x y"],"b":"c"})");
  EXPECT_EQ(*MinifyJson(R"({"name":"a\tb","n":-1.5e3,"ok":true})"),
            R"({"name":"a\tb","n":-1.5e3,"ok":true})");
  EXPECT_EQ(*MinifyJson("{\"long\":\"0123456789abcdef\",\n\"k\":1}"),
            R"({"long":"0123456789abcdef","k":1})");
  EXPECT_EQ(MinifyJson("{").status().code(), kBad);
  EXPECT_EQ(MinifyJson("1 2").status().code(), kBad);
}

}  // namespace
}  // namespace annal::http
