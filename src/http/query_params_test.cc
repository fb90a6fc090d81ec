#include "http/query_params.h"

#include <gtest/gtest.h>

namespace annal::http {
namespace {

TEST(UrlDecode, DecodesPercentAndPlus) {
  EXPECT_EQ(UrlDecode("a%20b+c%2Bd", true), std::optional<std::string>("a b c+d"));
  EXPECT_EQ(UrlDecode("a+b", false), std::optional<std::string>("a+b"));
  EXPECT_EQ(UrlDecode("%e2%82%AC", true), std::optional<std::string>("\xE2\x82\xAC"));
  EXPECT_EQ(UrlDecode("%", true), std::nullopt);
  EXPECT_EQ(UrlDecode("%4", true), std::nullopt);
  EXPECT_EQ(UrlDecode("%zz", true), std::nullopt);
  EXPECT_EQ(UrlDecode("", true), std::optional<std::string>(""));
}

TEST(SplitTarget, SplitsPathAndQuery) {
  EXPECT_EQ(SplitTarget("/a/b?x=1&y=2"), std::make_pair(std::string_view("/a/b"), std::string_view("x=1&y=2")));
  EXPECT_EQ(SplitTarget("/a"), std::make_pair(std::string_view("/a"), std::string_view()));
  EXPECT_EQ(SplitTarget("/a?x#frag"), std::make_pair(std::string_view("/a"), std::string_view("x")));
}

TEST(ParseEventQuery, AllParameters) {
  auto q = ParseEventQuery(
      "entity_id=order%2F1&event_type=order.placed&event_type_prefix=order.&tenant_id=acme"
      "&since=2026-01-01T00:00:00Z&until=2026-01-02T00:00:00+01:00&as_of=2026-01-03"
      "&payload_filter=%7B%22status%22%3A%20%22paid%22%2C%22n%22%3A%201%7D&limit=10&after=5"
      "&unknown=1");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->entity_id, std::optional<std::string>("order/1"));
  EXPECT_EQ(q->event_type, std::optional<std::string>("order.placed"));
  EXPECT_EQ(q->event_type_prefix, std::optional<std::string>("order."));
  EXPECT_EQ(q->tenant_id, std::optional<std::string>("acme"));
  EXPECT_EQ(q->since, ParseRfc3339("2026-01-01T00:00:00Z"));
  // '+' in a timestamp is an offset sign, not a space.
  EXPECT_EQ(q->until, ParseRfc3339("2026-01-01T23:00:00Z"));
  EXPECT_EQ(q->as_of, ParseRfc3339("2026-01-03T00:00:00Z"));
  ASSERT_EQ(q->payload_filter.size(), 2u);
  EXPECT_EQ(q->payload_filter[0], std::make_pair(std::string("status"), std::string("\"paid\"")));
  EXPECT_EQ(q->payload_filter[1], std::make_pair(std::string("n"), std::string("1")));
  EXPECT_EQ(q->limit, std::optional<size_t>(10));
  EXPECT_EQ(q->after, Lsn(5));
}

TEST(ParseEventQuery, EmptyMeansAbsentAndLastWins) {
  auto q = ParseEventQuery("entity_id=&limit=&event_type=a&event_type=b&&flag");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_FALSE(q->entity_id.has_value());
  EXPECT_FALSE(q->limit.has_value());
  EXPECT_EQ(q->event_type, std::optional<std::string>("b"));
  EXPECT_EQ(q->after, Lsn(0));
  EXPECT_TRUE(ParseEventQuery("").ok());
}

TEST(ParseEventQuery, RejectionsNameTheParameter) {
  const std::pair<const char*, const char*> cases[] = {
      {"limit=-1", "limit"},
      {"limit=abc", "limit"},
      {"limit=1.5", "limit"},
      {"limit=99999999999999999999999", "limit"},
      {"after=x", "after"},
      {"since=yesterday", "since"},
      {"until=2026-13-01T00:00:00Z", "until"},
      {"as_of=2026-01-01T00:00:00", "as_of"},
      {"payload_filter=%5B1%5D", "payload_filter"},
      {"payload_filter=%7B%22a%22%3A%7D", "payload_filter"},
      {"payload_filter=notjson", "payload_filter"},
      {"payload_filter=%7B%7D%20x", "payload_filter"},
      {"entity_id=%zz", "entity_id"},
  };
  for (const auto& [query, param] : cases) {
    auto q = ParseEventQuery(query);
    EXPECT_EQ(q.status().code(), StatusCode::kInvalidArgument) << query;
    EXPECT_NE(q.status().message().find(param), std::string::npos)
        << query << " -> " << q.status().message();
  }
}

TEST(ParseListParams, DefaultsAndValues) {
  auto p = ParseListParams("");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->limit, kDefaultListLimit);
  EXPECT_EQ(p->offset, 0u);
  p = ParseListParams("limit=5&offset=10&event_type_prefix=user.&payload_filter=%7B%22a%22%3Atrue%7D"
                      "&as_of=2026-01-01T00:00:00.5Z");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->limit, 5u);
  EXPECT_EQ(p->offset, 10u);
  EXPECT_EQ(p->event_type_prefix, std::optional<std::string>("user."));
  ASSERT_EQ(p->payload_filter.size(), 1u);
  EXPECT_EQ(p->payload_filter[0].second, "true");
  EXPECT_EQ(p->as_of, ParseRfc3339("2026-01-01T00:00:00.500Z"));
  EXPECT_EQ(ParseListParams("offset=-3").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace annal::http
