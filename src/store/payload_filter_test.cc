#include "store/payload_filter.h"

#include <gtest/gtest.h>

#include "store/entity_state_merge.h"

namespace annal::store {
namespace {

bool Match(const PayloadFilter& filter, std::string_view payload) {
  auto m = PayloadMatcher::Compile(filter);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m->Matches(payload);
}

TEST(PayloadFilterTest, EmptyFilterMatchesEverything) {
  EXPECT_TRUE(Match({}, R"({"a":1})"));
  EXPECT_TRUE(Match({}, "[1,2]"));
  EXPECT_TRUE(Match({}, "not json"));
}

TEST(PayloadFilterTest, NumbersCompareByValue) {
  EXPECT_TRUE(Match({{"n", "1"}}, R"({"n":1})"));
  EXPECT_TRUE(Match({{"n", "1"}}, R"({"n":1.0})"));
  EXPECT_TRUE(Match({{"n", "1.0"}}, R"({"n":1})"));
  EXPECT_TRUE(Match({{"n", "100"}}, R"({"n":1e2})"));
  EXPECT_TRUE(Match({{"n", "-3"}}, R"({"n":-3.0})"));
  EXPECT_TRUE(Match({{"n", "18446744073709551615"}}, R"({"n":18446744073709551615})"));
  EXPECT_FALSE(Match({{"n", "1"}}, R"({"n":2})"));
  EXPECT_FALSE(Match({{"n", "1"}}, R"({"n":"1"})"));
  EXPECT_FALSE(Match({{"n", "1"}}, R"({"n":true})"));
  EXPECT_FALSE(Match({{"n", "-1"}}, R"({"n":18446744073709551615})"));
}

TEST(PayloadFilterTest, StringsBoolsNulls) {
  EXPECT_TRUE(Match({{"s", R"("abc")"}}, R"({"s":"abc"})"));
  EXPECT_TRUE(Match({{"s", R"("a\"b")"}}, R"({"s":"a\u0022b"})"));
  EXPECT_FALSE(Match({{"s", R"("abc")"}}, R"({"s":"abd"})"));
  EXPECT_TRUE(Match({{"b", "true"}}, R"({"b":true})"));
  EXPECT_FALSE(Match({{"b", "true"}}, R"({"b":false})"));
  EXPECT_TRUE(Match({{"z", "null"}}, R"({"z":null})"));
  EXPECT_FALSE(Match({{"z", "null"}}, R"({"y":null})"));  // missing key is not null
}

TEST(PayloadFilterTest, NestedValuesCompareStructurally) {
  PayloadFilter f = {{"o", R"({"a":1,"b":[1,{"c":"x"}]})"}};
  EXPECT_TRUE(Match(f, R"({"o":{"b":[1.0,{"c":"x"}],"a":1},"other":5})"));
  EXPECT_FALSE(Match(f, R"({"o":{"a":1,"b":[{"c":"x"},1]}})"));      // array order matters
  EXPECT_FALSE(Match(f, R"({"o":{"a":1,"b":[1,{"c":"x"}],"d":0}})"));  // extra member
  EXPECT_FALSE(Match(f, R"({"o":{"a":1}})"));
  EXPECT_FALSE(Match({{"a", "[1,2]"}}, R"({"a":[1,2,3]})"));
}

TEST(PayloadFilterTest, EveryTermMustMatchAndOnlyTopLevel) {
  PayloadFilter f = {{"a", "1"}, {"b", R"("x")"}};
  EXPECT_TRUE(Match(f, R"({"b":"x","a":1})"));
  EXPECT_FALSE(Match(f, R"({"a":1})"));
  EXPECT_FALSE(Match({{"c", "1"}}, R"({"o":{"c":1}})"));
  EXPECT_FALSE(Match({{"a", "1"}}, R"([{"a":1}])"));  // not an object
  EXPECT_FALSE(Match({{"a", "1"}}, "garbage"));
}

TEST(PayloadFilterTest, RepeatedKeyLastOccurrenceCounts) {
  EXPECT_TRUE(Match({{"a", "2"}}, R"({"a":1,"a":2})"));
  EXPECT_FALSE(Match({{"a", "1"}}, R"({"a":1,"a":2})"));
}

TEST(PayloadFilterTest, InvalidFilterValueIsRejected) {
  auto m = PayloadMatcher::Compile({{"a", "{not json"}});
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument);
}

TEST(PayloadFilterTest, MatcherIsReusableAcrossPayloads) {
  auto m = PayloadMatcher::Compile({{"k", "7"}});
  ASSERT_TRUE(m.ok());
  for (int i = 0; i < 100; ++i) {
    std::string payload = R"({"k":)" + std::to_string(i % 10) + R"(,"pad":")" +
                          std::string(i * 10, 'x') + R"("})";
    EXPECT_EQ(m->Matches(payload), i % 10 == 7) << payload;
  }
}

std::string Merge(std::vector<std::string> payloads) {
  std::vector<Event> events(payloads.size());
  std::vector<const Event*> ptrs;
  for (size_t i = 0; i < payloads.size(); ++i) {
    events[i].payload = payloads[i];
    ptrs.push_back(&events[i]);
  }
  return MergeEntityState(ptrs);
}

TEST(EntityStateMergeTest, LastWriteWinsFirstSeenOrder) {
  EXPECT_EQ(Merge({R"({"a":1,"b":2})", R"({"b":3,"c":{"x":[1,2]}})", R"({"a":"z"})"}),
            R"({"a":"z","b":3,"c":{"x":[1,2]}})");
}

TEST(EntityStateMergeTest, ValuesAreVerbatimAndKeysReescaped) {
  EXPECT_EQ(Merge({R"({"n":1.50,"e":1e2,"s":"a\"b\\c","k\n":null})"}),
            R"({"n":1.50,"e":1e2,"s":"a\"b\\c","k\n":null})");
  EXPECT_EQ(Merge({R"({"\u0061":1})", R"({"a":2})"}), R"({"a":2})");
}

TEST(EntityStateMergeTest, NonObjectsAndEmptyInputContributeNothing) {
  EXPECT_EQ(Merge({}), "{}");
  EXPECT_EQ(Merge({"[1,2]", "3", R"("s")", R"({"a":1})", "null", "{broken"}), R"({"a":1})");
}

TEST(EntityStateMergeTest, MergedStateCanBeFiltered) {
  std::string state = Merge({R"({"status":"new","total":10})", R"({"status":"paid"})"});
  auto m = PayloadMatcher::Compile({{"status", R"("paid")"}, {"total", "10.0"}});
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->Matches(state));
}

}  // namespace
}  // namespace annal::store
