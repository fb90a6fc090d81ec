#include "run_stats.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "http/json_writer.h"

namespace annal::loadgen {

void OpStats::Merge(const OpStats& other) {
  latency.Merge(other.latency);
  requests += other.requests;
  events += other.events;
  errors += other.errors;
  for (size_t i = 0; i < other.events_by_second.size(); ++i)
    AddEventsAt(i, other.events_by_second[i]);
}

void OpStats::AddEventsAt(size_t second, uint64_t n) {
  if (events_by_second.size() <= second) events_by_second.resize(second + 1, 0);
  events_by_second[second] += n;
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

namespace {

// Rounded to 1/1000 so the report shows 0.341, not 0.34112300000000002.
double Round3(double v) { return std::round(v * 1000) / 1000; }

void LatencyJson(http::JsonWriter& w, const LatencyHistogram& h) {
  auto ms = [](uint64_t ns) { return Round3(static_cast<double>(ns) / 1e6); };
  w.BeginObject();
  w.Field("p50", ms(h.ValueAtQuantile(0.50)));
  w.Field("p99", ms(h.ValueAtQuantile(0.99)));
  w.Field("p99_9", ms(h.ValueAtQuantile(0.999)));
  w.Field("max", ms(h.max()));
  w.Field("mean", Round3(h.mean() / 1e6));
  w.EndObject();
}

void OpJson(http::JsonWriter& w, const OpStats& op, double seconds) {
  w.BeginObject();
  w.Field("requests", op.requests);
  w.Field("events", op.events);
  w.Field("errors", op.errors);
  w.Field("requests_per_s", Round3(static_cast<double>(op.requests) / seconds));
  w.Field("events_per_s", Round3(static_cast<double>(op.events) / seconds));
  w.Key("latency_ms");
  LatencyJson(w, op.latency);
  w.Key("events_by_second");
  w.BeginArray();
  for (uint64_t n : op.events_by_second) w.Uint(n);
  w.EndArray();
  w.EndObject();
}

}  // namespace

std::string ReportJson(const RunDescription& run, const RunStats& stats, const DriverCpu& cpu) {
  const double seconds = run.duration_s > 0 ? run.duration_s : 1;
  const double cpu_s = cpu.user_s + cpu.sys_s;
  const long cores = std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN));
  const uint64_t errors = stats.error_total();
  http::JsonWriter w;
  w.BeginObject();
  w.Field("target", run.target);
  w.Field("label", run.label);
  w.Field("clients", run.clients);
  w.Field("readers", run.readers);
  w.Field("batch", run.batch);
  w.Field("payload_bytes", run.payload_bytes);
  w.Field("entities", run.entities);
  w.Field("warmup_s", run.warmup_s);
  w.Field("duration_s", run.duration_s);
  w.Field("events_per_s", Round3(static_cast<double>(stats.write.events) / seconds));
  w.Field("requests_per_s", Round3(static_cast<double>(stats.write.requests) / seconds));
  w.Key("write");
  OpJson(w, stats.write, seconds);
  w.Key("read");
  OpJson(w, stats.read, seconds);
  w.Field("acked_events_total", stats.acked_events_total);
  w.Key("errors");
  w.BeginObject();
  w.Field("total", errors);
  w.Key("by_kind");
  w.BeginObject();
  for (const auto& [kind, n] : stats.errors) w.Field(kind, n);
  w.EndObject();
  w.Key("samples");
  w.BeginObject();
  for (const auto& [kind, text] : stats.error_samples) w.Field(kind, text);
  w.EndObject();
  w.EndObject();
  w.Field("reconnects", stats.reconnects);
  w.Key("driver");
  w.BeginObject();
  w.Field("threads", cpu.threads);
  w.Field("cpu_s", Round3(cpu_s));
  w.Field("user_s", Round3(cpu.user_s));
  w.Field("sys_s", Round3(cpu.sys_s));
  w.Field("cpu_pct_of_one_core", Round3(100 * cpu_s / seconds));
  w.Field("cpu_pct_of_machine", Round3(100 * cpu_s / seconds / static_cast<double>(cores)));
  w.EndObject();
  w.Field("ok", errors == 0);
  w.EndObject();
  return w.Take();
}

}  // namespace annal::loadgen
