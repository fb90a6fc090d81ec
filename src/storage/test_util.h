// Helpers for the storage unit tests: an in-memory event source and a catalog filled by
// checkpoints. Events come from wal/test_util.h's MakeEvent (deterministic per LSN).
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <vector>

#include "storage/catalog.h"
#include "storage/checkpointer.h"
#include "storage/event_source.h"
#include "storage/file_check.h"
#include "wal/test_util.h"

namespace annal::storage::testing {

// Events 1..n held in memory, like the store's log.
class MemoryLog {
 public:
  void AppendUpTo(uint64_t last) {
    while (events_.size() < last) events_.push_back(wal::testing::MakeEvent(events_.size() + 1));
  }
  const Event& At(uint64_t lsn) const { return events_.at(lsn - 1); }
  EventSource source() const {
    return [this](Lsn first, Lsn last, std::vector<const Event*>* out) -> Status {
      for (uint64_t l = first.value(); l <= last.value(); ++l) out->push_back(&events_.at(l - 1));
      return Status::Ok();
    };
  }

 private:
  std::deque<Event> events_;  // stable addresses
};

inline std::unique_ptr<Catalog> OpenCatalog(const std::filesystem::path& dir) {
  auto c = Catalog::Open(dir);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? std::move(c).value() : nullptr;
}

// Checkpoints up to each of `uptos` in turn (one file each), without a WAL.
inline void CheckpointSteps(Catalog& catalog, MemoryLog& log, const std::vector<uint64_t>& uptos) {
  Checkpointer cp(&catalog, CheckpointOptions{});
  for (uint64_t upto : uptos) {
    log.AppendUpTo(upto);
    auto r = cp.Run(Lsn(upto), log.source(), nullptr, 0);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
}

// Every event of the catalog's files, read back with all checks, in LSN order.
inline std::vector<Event> ReadAllFiles(const Catalog& catalog) {
  std::vector<Event> out;
  for (const FileMeta& f : catalog.current().files) {
    Status st = ReadCheckedEventFile(catalog.dir(), f, [&](Event&& e) {
      out.push_back(std::move(e));
      return Status::Ok();
    });
    EXPECT_TRUE(st.ok()) << st.ToString();
  }
  return out;
}

inline void ExpectSameEvent(const Event& a, const Event& b) {
  EXPECT_EQ(a.sequence, b.sequence);
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.tenant_id, b.tenant_id);
  EXPECT_EQ(a.event_type, b.event_type);
  EXPECT_EQ(a.entity_id, b.entity_id);
  EXPECT_EQ(a.payload, b.payload);
  EXPECT_EQ(a.metadata, b.metadata);
  EXPECT_EQ(a.timestamp, b.timestamp);
  EXPECT_EQ(a.entity_version, b.entity_version);
}

}  // namespace annal::storage::testing
