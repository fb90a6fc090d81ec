// When the shards of a hash table grow.
//
// The id and stream tables are split into shards that each double on their own, so one
// rehash touches 1/64 of the entries. But a good hash fills the shards evenly, so shards that
// doubled at the same load factor all reached it within a few thousand inserts of each other:
// at ~8M event ids that was 64 back-to-back rehashes of 6 MiB tables, ~0.75 s in which every
// append (and every read, as they run under the index lock) waited. Each shard therefore
// grows at a load factor of its own, from 1/2 (shard 0) to just under 5/8 (the last), which
// spreads the rehashes over a 1.25x range of total size.
#pragma once

#include <cstddef>

namespace annal::store {

// The most entries shard `shard` of `shards` may hold in `slots` slots before it doubles.
constexpr size_t ShardGrowthLimit(size_t slots, size_t shard, size_t shards) {
  return slots / 2 + slots * shard / (8 * shards);
}

}  // namespace annal::store
