#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/indexes.h"

namespace annal::store {
namespace {

// A stream is the pair (tenant_id, entity_id): pairs whose concatenations coincide are still
// different streams, and each keeps its own state across the table's growth.
TEST(StreamTableTest, PairsAreDistinctAndStateSticks) {
  StreamTable table;
  StreamState& ab_c = table.FindOrCreate("ab", "c");
  StreamState& a_bc = table.FindOrCreate("a", "bc");
  StreamState& abc_ = table.FindOrCreate("abc", "");
  EXPECT_NE(&ab_c, &a_bc);
  EXPECT_NE(&ab_c, &abc_);
  EXPECT_NE(&a_bc, &abc_);
  ab_c.version = EntityVersion(7);

  // Enough streams to grow every shard several times and fill a few node chunks, some with
  // keys longer than a cache line.
  std::vector<StreamState*> states;
  for (int i = 0; i < 20000; ++i) {
    const std::string entity = "entity-" + std::to_string(i) + std::string(i % 3 == 0 ? 100 : 0, 'x');
    StreamState& s = table.FindOrCreate("tenant-" + std::to_string(i % 7), entity);
    s.version = EntityVersion(i + 1);
    states.push_back(&s);
  }
  EXPECT_EQ(table.size(), 20003u);
  EXPECT_EQ(&table.FindOrCreate("ab", "c"), &ab_c);  // references survive growth
  EXPECT_EQ(table.FindOrCreate("ab", "c").version, EntityVersion(7));
  EXPECT_EQ(table.FindOrCreate("a", "bc").version, EntityVersion(0));
  for (int i = 0; i < 20000; ++i) {
    const std::string entity = "entity-" + std::to_string(i) + std::string(i % 3 == 0 ? 100 : 0, 'x');
    const std::string tenant = "tenant-" + std::to_string(i % 7);
    StreamState& s = table.FindOrCreate(tenant, entity, StreamTable::Hash(tenant, entity));
    ASSERT_EQ(&s, states[i]) << i;
    ASSERT_EQ(s.version, EntityVersion(i + 1)) << i;
  }
  EXPECT_EQ(table.size(), 20003u);  // lookups created nothing
}

// A key longer than a node chunk gets a chunk of its own.
TEST(StreamTableTest, HugeKey) {
  StreamTable table;
  const std::string big(200000, 'e');
  StreamState& s = table.FindOrCreate("default", big);
  s.version = EntityVersion(3);
  StreamState& small = table.FindOrCreate("default", "e");
  EXPECT_NE(&s, &small);
  EXPECT_EQ(table.FindOrCreate("default", big).version, EntityVersion(3));
  EXPECT_EQ(table.FindOrCreate("default", big.substr(1)).version, EntityVersion(0));
}

}  // namespace
}  // namespace annal::store
