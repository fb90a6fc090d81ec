// Storage benchmark on the embedded store (docs/benchmarks.md, "Storage benchmark"); driven by
// bench/storage.sh, which runs each mode in a fresh process.
//
//   storage_bench load DIR EVENTS CODEC   append EVENTS events in 1000-event batches
//                                         (--wal-sync never, periodic checkpoints off), then time
//                                         one EventStore::Checkpoint() writing them all
//   storage_bench open DIR                time EventStore::Open on DIR (Parquet + WAL tail) and
//                                         the resident memory it adds
//
// Each mode prints one line of key=value pairs. Events: ~140-byte JSON payloads with a random
// 32-hex-digit token each, one entity per 10 events.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "http/event_json.h"
#include "http/json_writer.h"
#include "storage/parquet/event_file.h"
#include "store/event_store.h"

namespace {

using annal::Lsn;
using annal::store::EventStore;
using annal::store::StoreOptions;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// Resident set size of this process in bytes (VmRSS in /proc/self/status).
uint64_t RssBytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10) * 1024;
  return 0;
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "storage_bench: %s\n", what.c_str());
  std::exit(1);
}

StoreOptions BenchOptions(const std::string& dir) {
  StoreOptions o;
  o.data_dir = dir;
  auto never = annal::wal::SyncPolicy::Parse("never");
  if (!never.ok()) Die(never.status().ToString());
  o.wal_sync = *never;                          // load phase only: measures storage, not the disk
  o.checkpoint_interval = std::chrono::milliseconds(0);  // only the timed Checkpoint()
  o.checkpoint_on_close = false;
  o.compaction.enabled = false;
  // WAL retention stays at the server's default (256 MiB): a restart reads what a real one does.
  return o;
}

int Load(const std::string& dir, uint64_t events, const std::string& codec) {
  StoreOptions o = BenchOptions(dir);
  auto c = annal::storage::ParseCompression(codec);
  if (!c.ok()) Die(c.status().ToString());
  o.parquet.compression = *c;
  auto store = EventStore::Open(o);
  if (!store.ok()) Die(store.status().ToString());

  constexpr uint64_t kBatch = 1000;
  // Payload text is not all repetition: a 32-hex-digit pseudo-random token per event (as in
  // ids, hashes, references), so the ratio is not flattered by perfectly repetitive JSON.
  static constexpr const char* kCustomers[] = {"alice", "bob", "carol", "dave", "erin", "frank"};
  uint64_t rng = 0x9E3779B97F4A7C15ull;
  auto next_hex = [&rng] {
    char buf[33];
    uint64_t a = (rng = rng * 6364136223846793005ull + 1442695040888963407ull);
    uint64_t b = (rng = rng * 6364136223846793005ull + 1442695040888963407ull);
    std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(a),
                  static_cast<unsigned long long>(b));
    return std::string(buf);
  };
  auto load_start = Clock::now();
  for (uint64_t i = 0; i < events; i += kBatch) {
    std::vector<annal::NewEvent> batch;
    batch.reserve(kBatch);
    for (uint64_t k = i; k < std::min(events, i + kBatch); ++k) {
      annal::NewEvent e;
      e.event_type = "bench.order_placed";
      e.entity_id = "order-" + std::to_string(k / 10);
      e.payload = "{\"order\":" + std::to_string(k) + ",\"customer\":\"" + kCustomers[k % 6] +
                  "\",\"amount\":" + std::to_string(k % 9973) +
                  ".5,\"currency\":\"EUR\",\"items\":[" + std::to_string(k % 7) + "," +
                  std::to_string(k % 13) + "],\"ref\":\"" + next_hex() + "\"}";
      batch.push_back(std::move(e));
    }
    annal::store::AppendOutcome out = (*store)->Append(std::move(batch));
    if (!out.status.ok()) Die(out.status.ToString());
  }
  double load_s = Seconds(load_start);

  auto cp_start = Clock::now();
  auto cp = (*store)->Checkpoint();
  double cp_s = Seconds(cp_start);
  if (!cp.ok()) Die(cp.status().ToString());

  // Raw size: the events as the API's event JSON (one line each, as in an NDJSON export).
  uint64_t json_bytes = 0;
  annal::store::Query q;
  q.limit = 100000;
  for (;;) {
    auto r = (*store)->QueryEvents(q);
    if (!r.ok()) Die(r.status().ToString());
    for (const annal::Event* e : r->events) {
      annal::http::JsonWriter w;
      annal::http::WriteEventJson(w, *e);
      json_bytes += w.str().size() + 1;
    }
    if (!r->has_more) break;
    q.after = *r->next_after;
  }
  if (annal::Status s = (*store)->Close(); !s.ok()) Die(s.ToString());

  std::printf("mode=load events=%llu codec=%s load_s=%.3f checkpoint_s=%.3f checkpoint_events_per_s=%.0f "
              "checkpoint_json_mb_per_s=%.1f json_bytes=%llu parquet_bytes=%llu ratio=%.3f files=%zu\n",
              static_cast<unsigned long long>(events), codec.c_str(), load_s, cp_s,
              static_cast<double>(cp->events) / cp_s, static_cast<double>(json_bytes) / 1e6 / cp_s,
              static_cast<unsigned long long>(json_bytes),
              static_cast<unsigned long long>(cp->bytes),
              static_cast<double>(cp->bytes) / static_cast<double>(json_bytes), cp->files_written);
  return 0;
}

int Open(const std::string& dir) {
  StoreOptions o = BenchOptions(dir);
  uint64_t rss_before = RssBytes();
  auto start = Clock::now();
  auto store = EventStore::Open(o);
  double open_s = Seconds(start);
  if (!store.ok()) Die(store.status().ToString());
  uint64_t rss_after = RssBytes();
  uint64_t events = (*store)->GetStats().total_events;
  Lsn checkpoint = (*store)->checkpoint_lsn();
  if (annal::Status s = (*store)->Close(); !s.ok()) Die(s.ToString());
  double per_million = events ? static_cast<double>(rss_after - rss_before) / (events / 1e6) : 0;
  std::printf("mode=open events=%llu checkpoint_lsn=%llu open_s=%.3f rss_before_mb=%.1f "
              "rss_after_mb=%.1f rss_mb_per_million=%.1f\n",
              static_cast<unsigned long long>(events),
              static_cast<unsigned long long>(checkpoint.value()), open_s, rss_before / 1048576.0,
              rss_after / 1048576.0, per_million / 1048576.0);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 4 && args[0] == "load") return Load(args[1], std::strtoull(args[2].c_str(), nullptr, 10), args[3]);
  if (args.size() == 2 && args[0] == "open") return Open(args[1]);
  std::fprintf(stderr, "usage: storage_bench load DIR EVENTS zstd|snappy|none\n"
                       "       storage_bench open DIR\n");
  return 2;
}
