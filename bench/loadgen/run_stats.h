// RunStats: what one load run measured, per driver thread and merged, and its one-line JSON form.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "histogram.h"

namespace annal::loadgen {

// Completions of one operation type inside the measured window (after warm-up, before the end).
struct OpStats {
  LatencyHistogram latency;  // nanoseconds, successful requests only
  uint64_t requests = 0;     // successful requests
  uint64_t events = 0;       // write: events acknowledged; read: events returned
  uint64_t errors = 0;       // failed requests
  // Events completed in each second of the window (second i: [begin + i s, begin + (i+1) s));
  // the last entry covers only what is left of a fractional duration. A rate that sags late in
  // a run (memory, compaction, the peer's own housekeeping) shows here and not in the mean.
  std::vector<uint64_t> events_by_second;

  void Merge(const OpStats& other);
  void AddEventsAt(size_t second, uint64_t n);
};

struct RunStats {
  OpStats write;
  OpStats read;
  // Every event acknowledged as written, warm-up and drain included: what the system under test
  // must hold afterwards (bench/compare.sh checks it).
  uint64_t acked_events_total = 0;
  // Every failed request of the whole run (warm-up and drain included), by kind.
  std::map<std::string, uint64_t> errors;
  std::map<std::string, std::string> error_samples;  // the first message of each kind
  uint64_t reconnects = 0;

  void AddError(const std::string& kind, const std::string& detail);
  uint64_t error_total() const;
  void Merge(const RunStats& other);
};

// The driver's own CPU use during the measured window, from getrusage(RUSAGE_SELF).
struct DriverCpu {
  int threads = 1;
  double user_s = 0;
  double sys_s = 0;
};

// Echo of the run's settings, for the report.
struct RunDescription {
  std::string target{};
  std::string label{};
  int clients = 0;
  int readers = 0;
  size_t batch = 1;
  size_t payload_bytes = 0;
  uint32_t entities = 0;
  double warmup_s = 0;
  double duration_s = 0;
};

// One line of JSON (no trailing newline). The top-level events_per_s and requests_per_s are the
// writes' (reads are under "read"); "ok" is false when any request failed.
std::string ReportJson(const RunDescription& run, const RunStats& stats, const DriverCpu& cpu);

}  // namespace annal::loadgen
