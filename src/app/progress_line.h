// A one-line progress display for long commands (`annal export`): "events done / total,
// percent, rate", rewritten in place at most ten times a second. It draws only when the stream
// is a terminal, so scripts and tests that capture stderr see no progress noise.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace annal::app {

// 1234567 -> "1,234,567".
std::string WithThousands(uint64_t v);

class ProgressLine {
 public:
  // `label` starts the line ("export"); `total` may be 0 when unknown.
  ProgressLine(std::FILE* stream, std::string label, uint64_t total);
  ~ProgressLine() { Finish(); }
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  bool enabled() const { return enabled_; }
  // Cheap when called for every event: looks at the clock every 1024 calls.
  void Update(uint64_t done) {
    if (!enabled_ || (++calls_ & 1023) != 0) return;
    Draw(done, false);
  }
  // Draws the final state and ends the line. Idempotent.
  void Finish(uint64_t done);
  void Finish() { Finish(last_done_); }

  // "1,234,567 / 5,000,000 events (24.7%), 412,345 events/s" (for tests and the final line).
  static std::string Format(uint64_t done, uint64_t total, double seconds);

 private:
  void Draw(uint64_t done, bool force);

  std::FILE* stream_;
  std::string label_;
  uint64_t total_;
  bool enabled_;
  bool finished_ = false;
  uint64_t calls_ = 0;
  uint64_t last_done_ = 0;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace annal::app
