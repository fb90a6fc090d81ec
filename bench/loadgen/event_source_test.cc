#include "event_source.h"

#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <unordered_set>

namespace annal::loadgen {
namespace {

TEST(EventSource, ClientsWithConsecutiveSeedsNeverShareAnEventId) {
  // The loadgen seeds client i with base + i; a weak seeding once made neighbours' id streams
  // shifted copies of each other (duplicate event ids under load).
  std::unordered_set<std::string> ids;
  for (uint64_t seed = 100; seed < 116; ++seed) {
    EventSource source(1000, 100, seed);
    for (int i = 0; i < 20000; ++i) {
      ASSERT_TRUE(ids.insert(std::string(source.Next().event_id)).second) << "seed " << seed;
    }
  }
}

TEST(EventSource, EventIdsAreUuidV7Text) {
  EventSource source(10, 100, 1);
  const std::regex v7("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  for (int i = 0; i < 100; ++i) {
    const std::string id(source.Next().event_id);
    EXPECT_TRUE(std::regex_match(id, v7)) << id;
  }
}

TEST(EventSource, PayloadsAreJsonObjectsOfExactlyTheAskedSize) {
  for (size_t size : {kMinPayloadBytes, size_t{100}, size_t{1024}, size_t{100000}}) {
    EventSource source(10, size, 3);
    for (int i = 0; i < 50; ++i) {
      const std::string_view p = source.Next().payload;
      ASSERT_EQ(p.size(), size);
      EXPECT_EQ(p.substr(0, 5), R"({"n":)");
      EXPECT_EQ(p.substr(p.size() - 2), R"("})");
    }
  }
}

TEST(EventSource, EntitiesComeFromTheFixedSetAndAllGetPicked) {
  EventSource source(50, 100, 9);
  std::unordered_set<std::string> seen;
  for (int i = 0; i < 5000; ++i) seen.insert(std::string(source.Next().entity_id));
  for (int i = 0; i < 5000; ++i) seen.insert(std::string(source.PickEntity()));
  EXPECT_EQ(seen.size(), 50u);
  for (int e = 0; e < 50; ++e) EXPECT_TRUE(seen.count("entity-" + std::to_string(e))) << e;
}

}  // namespace
}  // namespace annal::loadgen
