#include "run_stats.h"

#include <gtest/gtest.h>

namespace annal::loadgen {
namespace {

// Each driver thread counts its own seconds; the report adds them second by second, and a
// thread that saw fewer seconds (it stopped earlier) adds nothing to the later ones.
TEST(RunStats, EventsBySecondAddUpAcrossThreadsAndReachTheReport) {
  RunStats a, b;
  a.write.AddEventsAt(0, 1000);
  a.write.AddEventsAt(2, 3000);  // second 1 saw nothing
  a.write.AddEventsAt(2, 500);
  b.write.AddEventsAt(0, 10);
  b.write.AddEventsAt(1, 20);
  b.write.AddEventsAt(3, 40);
  a.Merge(b);
  EXPECT_EQ(a.write.events_by_second, (std::vector<uint64_t>{1010, 20, 3500, 40}));
  EXPECT_TRUE(a.read.events_by_second.empty());

  RunDescription run;
  run.duration_s = 4;
  const std::string json = ReportJson(run, a, DriverCpu{});
  EXPECT_NE(json.find(R"("events_by_second":[1010,20,3500,40])"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("events_by_second":[])"), std::string::npos) << json;
}

}  // namespace
}  // namespace annal::loadgen
