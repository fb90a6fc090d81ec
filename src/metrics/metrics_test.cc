#include "metrics/metrics.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <unistd.h>

namespace annal::metrics {
namespace {

TEST(Metrics, SerializesEveryFamily) {
  Metrics m;
  m.EventsIngested(3);
  m.IngestionDuration(0.002);
  m.QueryServed(0.0005);
  m.StorageEvents(10);
  m.StorageEvents(7);  // never goes backwards
  m.WalGroupCommit(0.00012, 5);
  m.HttpRequest("/api/v1/events", 200, 0.003);
  m.HttpRequest("/api/v1/events/{id}", 404, 0.0001);
  std::string text = m.Serialize();
  for (const char* family :
       {"# TYPE allsource_events_ingested_total counter", "allsource_events_ingested_total 3",
        "# TYPE allsource_ingestion_duration_seconds histogram",
        "# TYPE allsource_queries_total counter", "allsource_queries_total 1",
        "# TYPE allsource_query_duration_seconds histogram",
        "# TYPE allsource_storage_events_total counter", "allsource_storage_events_total 10",
        "# TYPE annal_wal_fsync_seconds histogram", "annal_wal_fsync_seconds_bucket{le=\"0.0001\"} 0",
        "annal_wal_fsync_seconds_bucket{le=\"0.00025\"} 1",
        "# TYPE annal_wal_group_size histogram",
        "annal_http_requests_total{route=\"/api/v1/events\",status=\"200\"} 1",
        "annal_http_requests_total{route=\"/api/v1/events/{id}\",status=\"404\"} 1",
        "# TYPE annal_http_request_duration_seconds histogram"}) {
    EXPECT_NE(text.find(family), std::string::npos) << family << "\n" << text;
  }
}

TEST(Metrics, LabelSetsAreBounded) {
  Metrics m;
  for (int i = 0; i < 1000; ++i) m.HttpRequest("/bug/" + std::to_string(i), 200, 0.001);
  std::string text = m.Serialize();
  EXPECT_NE(text.find("route=\"other\""), std::string::npos);
  EXPECT_EQ(text.find("/bug/999\""), std::string::npos);
}

// The independent check of DESIGN.md §8: promtool (Debian package `prometheus`).
TEST(Metrics, PassesPromtool) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "promtool not installed (apt-get install prometheus)";
  Metrics m;
  m.EventsIngested(1);
  m.WalGroupCommit(0.001, 2);
  m.HttpRequest("/health", 200, 0.0001);
  m.HttpRequest("/api/v1/events", 415, 0.0001);
  auto path = std::filesystem::temp_directory_path() /
              ("annal-metrics-" + std::to_string(::getpid()) + ".txt");
  {
    std::ofstream out(path);
    out << m.Serialize();
  }
  std::string cmd = "promtool check metrics < " + path.string() + " 2>&1";
  int rc = std::system(cmd.c_str());
  std::filesystem::remove(path);
  EXPECT_EQ(rc, 0) << "promtool check metrics failed";
}

}  // namespace
}  // namespace annal::metrics
