#include "store/event_log.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace annal::store {
namespace {

Event MakeEvent(uint64_t lsn) {
  Event e;
  e.sequence = Lsn(lsn);
  e.timestamp = static_cast<TimestampMicros>(lsn / 10);
  e.entity_id = "entity-" + std::to_string(lsn % 7);
  e.payload = R"({"n":)" + std::to_string(lsn) + "}";
  return e;
}

// Events appended across many chunks, while another thread keeps preparing the next chunk, are
// all there, at their LSNs, at addresses that never change.
TEST(EventLogTest, AppendsAcrossChunksWhileTheNextIsPrepared) {
  constexpr uint64_t kEvents = 5 * 4096 + 17;
  EventLog log(Lsn(100));
  std::atomic<bool> stop{false};
  std::thread preparer([&] {
    while (!stop.load()) log.PrepareNextChunk();
  });
  std::vector<const Event*> stored;
  for (uint64_t lsn = 100; lsn < 100 + kEvents; ++lsn) {
    stored.push_back(log.Append(MakeEvent(lsn)));
    if (lsn % 1000 == 0) log.PrepareNextChunk();  // the appender's own calls race too
  }
  stop = true;
  preparer.join();

  ASSERT_EQ(log.size(), kEvents);
  EXPECT_EQ(log.first_lsn(), Lsn(100));
  EXPECT_EQ(log.last_lsn(), Lsn(100 + kEvents - 1));
  for (uint64_t i = 0; i < kEvents; ++i) {
    const Event& e = log.At(Lsn(100 + i));
    ASSERT_EQ(&e, stored[i]);
    ASSERT_EQ(e.sequence, Lsn(100 + i));
    ASSERT_EQ(e.payload, R"({"n":)" + std::to_string(100 + i) + "}");
  }
  EXPECT_EQ(log.LowerBoundTimestamp(Lsn(100), log.last_lsn(), 2000), Lsn(20000));
}

}  // namespace
}  // namespace annal::store
