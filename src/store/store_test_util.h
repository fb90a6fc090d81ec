// Helpers shared by the store's unit tests.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "store/event_store.h"

namespace annal::store::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/annal-store-test-XXXXXX";
    ANNAL_CHECK(mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline StoreOptions OptionsFor(const std::filesystem::path& dir,
                               std::string_view sync = "always") {
  StoreOptions options;
  options.data_dir = dir;
  auto policy = wal::SyncPolicy::Parse(sync);
  ANNAL_CHECK(policy.ok());
  options.wal_sync = *policy;
  return options;
}

inline std::unique_ptr<EventStore> OpenOrDie(const StoreOptions& options) {
  auto store = EventStore::Open(options);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  ANNAL_CHECK(store.ok());
  return std::move(store).value();
}

inline NewEvent Ev(std::string entity_id, std::string event_type = "thing.happened",
                   std::string payload = "{}", std::string tenant_id = "default") {
  NewEvent e;
  e.tenant_id = std::move(tenant_id);
  e.event_type = std::move(event_type);
  e.entity_id = std::move(entity_id);
  e.payload = std::move(payload);
  return e;
}

inline NewEvent WithId(NewEvent e, const Uuid& id) {
  e.event_id = id;
  return e;
}

inline NewEvent Expecting(NewEvent e, uint64_t version) {
  e.expected_version = EntityVersion(version);
  return e;
}

// Appends one event and checks it succeeded.
inline AppendResult AppendOk(EventStore& store, NewEvent e) {
  std::vector<NewEvent> batch;
  batch.push_back(std::move(e));
  AppendOutcome out = store.Append(std::move(batch));
  EXPECT_TRUE(out.status.ok()) << out.status.ToString();
  if (!out.status.ok() || out.results.size() != 1) return AppendResult{};
  return out.results[0];
}

// Waits (without relying on timing) until the wall clock has moved past `t`, so the next
// append gets a strictly larger timestamp.
inline void WaitForClockPast(TimestampMicros t) {
  while (NowMicros() <= t) std::this_thread::sleep_for(std::chrono::microseconds(50));
}

// Polls `pred` until it holds or the deadline passes.
inline EntityListOptions ListOptions(size_t limit, size_t offset = 0) {
  EntityListOptions o;
  o.limit = limit;
  o.offset = offset;
  return o;
}

template <typename Pred>
bool WaitUntil(Pred pred, std::chrono::milliseconds deadline = std::chrono::seconds(20)) {
  auto end = std::chrono::steady_clock::now() + deadline;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace annal::store::testing
