#include "core/clock.h"

#include <gtest/gtest.h>

namespace annal {
namespace {

TEST(Clock, FormatsUtcWithMicroseconds) {
  EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(FormatRfc3339(1795356187123456), "2026-11-22T14:03:07.123456Z");
}

TEST(Clock, FormatsEachTimestampOnItsOwn) {
  // Consecutive calls with the same timestamp, within one second, across seconds, days and
  // back, and before 1970.
  const std::pair<int64_t, const char*> cases[] = {
      {1795356187123456, "2026-11-22T14:03:07.123456Z"},
      {1795356187000001, "2026-11-22T14:03:07.000001Z"},
      {1795356188999999, "2026-11-22T14:03:08.999999Z"},
      {1795392000000000, "2026-11-23T00:00:00.000000Z"},
      {1795356187123456, "2026-11-22T14:03:07.123456Z"},
      {1795356187123456, "2026-11-22T14:03:07.123456Z"},  // the same one again
      {1795356187123457, "2026-11-22T14:03:07.123457Z"},
      {1795356187123456, "2026-11-22T14:03:07.123456Z"},
      {-1, "1969-12-31T23:59:59.999999Z"},
      {-1, "1969-12-31T23:59:59.999999Z"},
      {-1000000, "1969-12-31T23:59:59.000000Z"},
  };
  for (const auto& [t, text] : cases) EXPECT_EQ(FormatRfc3339(t), text) << t;
}

TEST(Clock, ParseRoundTrips) {
  for (int64_t t : {int64_t{0}, int64_t{1795356187123456}, int64_t{951782400000001}}) {
    auto parsed = ParseRfc3339(FormatRfc3339(t));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(*parsed, t);
  }
}

TEST(Clock, ParsesOffsetsAndShortForms) {
  EXPECT_EQ(ParseRfc3339("2026-11-21T14:03:07Z"), ParseRfc3339("2026-11-21T15:03:07+01:00"));
  EXPECT_EQ(ParseRfc3339("2026-11-21T14:03:07.5Z").value() % 1000000, 500000);
  EXPECT_EQ(ParseRfc3339("2026-11-21"), ParseRfc3339("2026-11-21T00:00:00Z"));
  EXPECT_EQ(ParseRfc3339("2026-11-21T14:03:07.123456789Z").value() % 1000000, 123456);
}

TEST(Clock, RejectsGarbage) {
  for (const char* bad : {"", "yesterday", "2026-13-01", "2026-11-21T25:00:00Z",
                          "2026-11-21T14:03:07", "2026-11-21T14:03:07Zjunk", "2026-11-21T14:03:07.Z"}) {
    EXPECT_FALSE(ParseRfc3339(bad)) << bad;
  }
}

}  // namespace
}  // namespace annal
