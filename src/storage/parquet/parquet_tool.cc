// parquet_tool: a small command-line front end of the event-file writer and reader, used by the
// DuckDB interoperability test (tests/integration/parquet_duckdb.test.mjs) and for debugging.
//
//   parquet_tool write-sample OUT N [zstd|snappy|none] [ROW_GROUP_ROWS]
//       writes N deterministic sample events (SampleEvent below) to OUT
//   parquet_tool cat FILE     one JSON line per event:
//       {"sequence":1,"event_id":"…","tenant_id":"…","event_type":"…","entity_id":"…",
//        "timestamp":<micros>,"payload":"<JSON text>","metadata":"<JSON text>"|null,
//        "version":1,"entity_version":1,"epoch":1}
//   parquet_tool info FILE    the footer summary as one JSON line
//   parquet_tool bench N [zstd|snappy|none] [DIR]
//       writes N sample events (UUID v7 ids) to DIR (default /tmp), reads them back, and prints
//       write MB/s of raw event JSON (the API's event JSON), read events/s and the size ratio
// Exit status 0 on success, 1 with the error on stderr otherwise.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "storage/parquet/event_file.h"

namespace {

using namespace annal;
using namespace annal::storage;

void AppendJsonString(std::string& out, std::string_view s) {
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

// Deterministic sample i (1-based): repeated tenants/types/entities, ~150-byte JSON payloads
// with unicode, metadata null on every third event.
Event SampleEvent(uint64_t i, std::map<std::string, uint64_t>& versions) {
  static const char* kTypes[] = {"user.created", "user.updated", "order.placed", "order.shipped",
                                 "payment.captured"};
  Event e;
  e.sequence = Lsn(i);
  e.epoch = Epoch(1);
  for (int b = 0; b < 16; ++b)
    e.id.bytes[b] = static_cast<uint8_t>((i * 2654435761u) >> (b % 8 * 4)) ^ b;
  e.id.bytes[6] = static_cast<uint8_t>(0x70 | (e.id.bytes[6] & 0x0f));
  e.id.bytes[8] = static_cast<uint8_t>(0x80 | (e.id.bytes[8] & 0x3f));
  e.tenant_id = i % 5 == 0 ? "acme" : "default";
  e.event_type = kTypes[i % 5];
  e.entity_id = "user-" + std::to_string(i % 97);
  e.timestamp = 1700000000000000 + static_cast<int64_t>(i) * 1000;
  e.payload = "{\"name\":\"Zoë Ünïcødé " + std::to_string(i) + "\",\"email\":\"user" +
              std::to_string(i % 97) + "@example.com\",\"amount\":" + std::to_string(i * 7 % 1000) +
              ".25,\"tags\":[\"a\",\"b\"],\"note\":\"quote \\\" and backslash \\\\ \",\"ok\":true}";
  if (i % 3 != 0) e.metadata = "{\"source\":\"api\",\"request\":" + std::to_string(i % 11) + "}";
  e.entity_version = EntityVersion(++versions[e.tenant_id + "/" + e.entity_id]);
  return e;
}

int Fail(const Status& st) {
  std::fprintf(stderr, "parquet_tool: %s\n", st.ToString().c_str());
  return 1;
}

int WriteSample(const char* out, uint64_t n, const char* compression, size_t row_group_rows) {
  ParquetWriteOptions options;
  if (compression) {
    auto c = ParseCompression(compression);
    if (!c.ok()) return Fail(c.status());
    options.compression = *c;
  }
  if (row_group_rows) options.row_group_rows = row_group_rows;
  std::map<std::string, uint64_t> versions;
  std::vector<Event> events;
  events.reserve(n);
  for (uint64_t i = 1; i <= n; ++i) events.push_back(SampleEvent(i, versions));
  std::vector<const Event*> ptrs;
  for (const auto& e : events) ptrs.push_back(&e);
  auto info = WriteEventFile(out, ptrs, options);
  if (!info.ok()) return Fail(info.status());
  return 0;
}

int Cat(const char* file) {
  std::string line;
  Status st = ReadEventFile(file, [&line](Event&& e) {
    line.clear();
    line += "{\"sequence\":" + std::to_string(e.sequence.value()) + ",\"event_id\":";
    AppendJsonString(line, e.id.ToString());
    line += ",\"tenant_id\":";
    AppendJsonString(line, e.tenant_id);
    line += ",\"event_type\":";
    AppendJsonString(line, e.event_type);
    line += ",\"entity_id\":";
    AppendJsonString(line, e.entity_id);
    line += ",\"timestamp\":" + std::to_string(e.timestamp) + ",\"payload\":";
    AppendJsonString(line, e.payload);
    line += ",\"metadata\":";
    if (e.metadata)
      AppendJsonString(line, *e.metadata);
    else
      line += "null";
    line += ",\"version\":1,\"entity_version\":" + std::to_string(e.entity_version.value()) +
            ",\"epoch\":" + std::to_string(e.epoch.value()) + "}\n";
    std::fwrite(line.data(), 1, line.size(), stdout);
    return Status::Ok();
  });
  if (!st.ok()) return Fail(st);
  return 0;
}

int Info(const char* file) {
  EventFileInfo info;
  Status st = ReadEventFileInfo(file, &info);
  if (!st.ok()) return Fail(st);
  std::printf(
      "{\"first_lsn\":%llu,\"last_lsn\":%llu,\"rows\":%llu,\"bytes\":%llu,\"row_groups\":%zu,"
      "\"min_timestamp\":%lld,\"max_timestamp\":%lld,\"max_epoch\":%llu}\n",
      static_cast<unsigned long long>(info.first_lsn.value()),
      static_cast<unsigned long long>(info.last_lsn.value()),
      static_cast<unsigned long long>(info.rows), static_cast<unsigned long long>(info.bytes),
      info.row_groups, static_cast<long long>(info.min_timestamp),
      static_cast<long long>(info.max_timestamp),
      static_cast<unsigned long long>(info.max_epoch.value()));
  return 0;
}

// The event as the HTTP API renders it (DESIGN.md §6): what "raw JSON" means in the benchmark.
void AppendApiJson(std::string& out, const Event& e) {
  out += "{\"id\":\"";
  e.id.AppendTo(out);
  out += "\",\"event_type\":";
  AppendJsonString(out, e.event_type);
  out += ",\"entity_id\":";
  AppendJsonString(out, e.entity_id);
  out += ",\"tenant_id\":";
  AppendJsonString(out, e.tenant_id);
  out += ",\"payload\":" + e.payload + ",\"timestamp\":\"" + FormatRfc3339(e.timestamp) +
         "\",\"metadata\":" + (e.metadata ? *e.metadata : "null") +
         ",\"version\":1,\"sequence\":" + std::to_string(e.sequence.value()) +
         ",\"entity_version\":" + std::to_string(e.entity_version.value()) + "}";
}

int Bench(uint64_t n, const char* compression, const char* dir) {
  ParquetWriteOptions options;
  if (compression) {
    auto c = ParseCompression(compression);
    if (!c.ok()) return Fail(c.status());
    options.compression = *c;
  }
  std::map<std::string, uint64_t> versions;
  std::vector<Event> events;
  events.reserve(n);
  uint64_t raw = 0;
  std::string json;
  std::mt19937_64 rng(7);
  for (uint64_t i = 1; i <= n; ++i) {
    events.push_back(SampleEvent(i, versions));
    Event& e = events.back();
    e.id = Uuid::NewV7();
    e.timestamp += static_cast<int64_t>(rng() % 997);  // jitter, still increasing
    // Less regular than the sample: random ids, amounts and names (~40 random characters).
    char buf[256];
    std::snprintf(
        buf, sizeof buf,
        "{\"name\":\"Zoë %06llx\",\"email\":\"user%llu@example.com\",\"amount\":%llu.%02llu,"
        "\"order_id\":\"%016llx\",\"items\":%llu,\"tags\":[\"a\",\"b\"],\"ok\":true}",
        static_cast<unsigned long long>(rng() & 0xffffff),
        static_cast<unsigned long long>(rng() % 100000),
        static_cast<unsigned long long>(rng() % 10000),
        static_cast<unsigned long long>(rng() % 100), static_cast<unsigned long long>(rng()),
        static_cast<unsigned long long>(rng() % 20));
    e.payload = buf;
    json.clear();
    AppendApiJson(json, events.back());
    raw += json.size();
  }
  std::vector<const Event*> ptrs;
  for (const auto& e : events) ptrs.push_back(&e);
  const std::string path = std::string(dir ? dir : "/tmp") + "/parquet_tool_bench.parquet";
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  auto info = WriteEventFile(path, ptrs, options);
  const auto t1 = Clock::now();
  if (!info.ok()) return Fail(info.status());
  uint64_t read = 0, check = 0;
  Status st = ReadEventFile(path, [&](Event&& e) {
    ++read;
    check += e.payload.size();
    return Status::Ok();
  });
  const auto t2 = Clock::now();
  if (!st.ok()) return Fail(st);
  std::remove(path.c_str());
  const double w = std::chrono::duration<double>(t1 - t0).count();
  const double r = std::chrono::duration<double>(t2 - t1).count();
  std::printf(
      "{\"events\":%llu,\"codec\":\"%s\",\"raw_json_bytes\":%llu,\"file_bytes\":%llu,"
      "\"ratio\":%.3f,\"raw_bytes_per_event\":%.1f,\"file_bytes_per_event\":%.1f,"
      "\"write_s\":%.3f,\"write_raw_mb_s\":%.1f,\"read_s\":%.3f,\"read_events_s\":%.0f}\n",
      static_cast<unsigned long long>(n), std::string(CompressionName(options.compression)).c_str(),
      static_cast<unsigned long long>(raw), static_cast<unsigned long long>(info->bytes),
      static_cast<double>(info->bytes) / static_cast<double>(raw),
      static_cast<double>(raw) / static_cast<double>(n),
      static_cast<double>(info->bytes) / static_cast<double>(n), w,
      static_cast<double>(raw) / 1e6 / w, r, static_cast<double>(read) / r);
  return read == n && check > 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "write-sample" && argc >= 4) {
    return WriteSample(argv[2], std::strtoull(argv[3], nullptr, 10), argc > 4 ? argv[4] : nullptr,
                       argc > 5 ? std::strtoull(argv[5], nullptr, 10) : 0);
  }
  if (cmd == "cat" && argc == 3) return Cat(argv[2]);
  if (cmd == "info" && argc == 3) return Info(argv[2]);
  if (cmd == "bench" && argc >= 3) {
    return Bench(std::strtoull(argv[2], nullptr, 10), argc > 3 ? argv[3] : nullptr,
                 argc > 4 ? argv[4] : nullptr);
  }
  std::fprintf(stderr,
               "usage: parquet_tool write-sample OUT N [zstd|snappy|none] [ROW_GROUP_ROWS]\n"
               "       parquet_tool cat FILE\n"
               "       parquet_tool info FILE\n"
               "       parquet_tool bench N [zstd|snappy|none] [DIR]\n");
  return 2;
}
