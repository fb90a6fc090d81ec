#include "run_stats.h"

#include <fmt/format.h>
#include <unistd.h>

namespace annal::loadgen {

void OpStats::Merge(const OpStats& other) {
  latency.Merge(other.latency);
  requests += other.requests;
  events += other.events;
  errors += other.errors;
}

void RunStats::AddError(const std::string& kind, const std::string& detail) {
  ++errors[kind];
  error_samples.try_emplace(kind, detail);
}

uint64_t RunStats::error_total() const {
  uint64_t total = 0;
  for (const auto& [kind, n] : errors) total += n;
  return total;
}

void RunStats::Merge(const RunStats& other) {
  write.Merge(other.write);
  read.Merge(other.read);
  acked_events_total += other.acked_events_total;
  for (const auto& [kind, n] : other.errors) errors[kind] += n;
  for (const auto& [kind, text] : other.error_samples) error_samples.try_emplace(kind, text);
  reconnects += other.reconnects;
}

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
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
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<int>(c));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

namespace {

std::string LatencyJson(const LatencyHistogram& h) {
  auto ms = [](uint64_t ns) { return static_cast<double>(ns) / 1e6; };
  return fmt::format(R"({{"p50":{:.3f},"p99":{:.3f},"p99_9":{:.3f},"max":{:.3f},"mean":{:.3f}}})",
                     ms(h.ValueAtQuantile(0.50)), ms(h.ValueAtQuantile(0.99)),
                     ms(h.ValueAtQuantile(0.999)), ms(h.max()), h.mean() / 1e6);
}

std::string OpJson(const OpStats& op, double seconds) {
  return fmt::format(
      R"({{"requests":{},"events":{},"errors":{},"requests_per_s":{:.1f},"events_per_s":{:.1f},"latency_ms":{}}})",
      op.requests, op.events, op.errors, static_cast<double>(op.requests) / seconds,
      static_cast<double>(op.events) / seconds, LatencyJson(op.latency));
}

template <typename Map, typename Format>
std::string ObjectJson(const Map& map, Format value) {
  std::string out = "{";
  for (const auto& [key, v] : map) {
    if (out.size() > 1) out += ',';
    out += JsonString(key) + ":" + value(v);
  }
  return out + "}";
}

}  // namespace

std::string ReportJson(const RunDescription& run, const RunStats& stats, const DriverCpu& cpu) {
  const double seconds = run.duration_s > 0 ? run.duration_s : 1;
  const double cpu_s = cpu.user_s + cpu.sys_s;
  const long cores = ::sysconf(_SC_NPROCESSORS_ONLN);
  const uint64_t errors = stats.error_total();
  std::string out = fmt::format(
      R"({{"target":{},"label":{},"clients":{},"readers":{},"batch":{},"payload_bytes":{},)"
      R"("entities":{},"warmup_s":{},"duration_s":{},)",
      JsonString(run.target), JsonString(run.label), run.clients, run.readers, run.batch,
      run.payload_bytes, run.entities, run.warmup_s, run.duration_s);
  out += fmt::format(R"("events_per_s":{:.1f},"requests_per_s":{:.1f},)",
                     static_cast<double>(stats.write.events) / seconds,
                     static_cast<double>(stats.write.requests) / seconds);
  out +=
      fmt::format(R"("write":{},"read":{},"acked_events_total":{},)", OpJson(stats.write, seconds),
                  OpJson(stats.read, seconds), stats.acked_events_total);
  out += fmt::format(
      R"("errors":{{"total":{},"by_kind":{},"samples":{}}},"reconnects":{},)", errors,
      ObjectJson(stats.errors, [](uint64_t n) { return std::to_string(n); }),
      ObjectJson(stats.error_samples, [](const std::string& s) { return JsonString(s); }),
      stats.reconnects);
  out += fmt::format(R"("driver":{{"threads":{},"cpu_s":{:.3f},"user_s":{:.3f},"sys_s":{:.3f},)"
                     R"("cpu_pct_of_one_core":{:.1f},"cpu_pct_of_machine":{:.1f}}},"ok":{}}})",
                     cpu.threads, cpu_s, cpu.user_s, cpu.sys_s, 100 * cpu_s / seconds,
                     100 * cpu_s / seconds / static_cast<double>(cores > 0 ? cores : 1),
                     errors == 0 ? "true" : "false");
  return out;
}

}  // namespace annal::loadgen
