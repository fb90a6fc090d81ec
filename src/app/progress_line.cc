#include "app/progress_line.h"

#include <unistd.h>

namespace annal::app {

std::string WithThousands(uint64_t v) {
  std::string digits = std::to_string(v);
  std::string out;
  out.reserve(digits.size() + digits.size() / 3);
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

ProgressLine::ProgressLine(std::FILE* stream, std::string label, uint64_t total)
    : stream_(stream),
      label_(std::move(label)),
      total_(total),
      enabled_(::isatty(::fileno(stream)) == 1),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

std::string ProgressLine::Format(uint64_t done, uint64_t total, double seconds) {
  std::string s = WithThousands(done);
  if (total > 0) {
    char pct[32];
    std::snprintf(pct, sizeof pct, " (%.1f%%)", 100.0 * static_cast<double>(done) / static_cast<double>(total));
    s += " / " + WithThousands(total) + " events" + pct;
  } else {
    s += " events";
  }
  if (seconds > 0)
    s += ", " + WithThousands(static_cast<uint64_t>(static_cast<double>(done) / seconds)) + " events/s";
  return s;
}

void ProgressLine::Draw(uint64_t done, bool force) {
  auto now = std::chrono::steady_clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  last_done_ = done;
  double secs = std::chrono::duration<double>(now - start_).count();
  // \r back to the line start, \x1b[K clears what a longer previous line left.
  std::fprintf(stream_, "\r%s: %s\x1b[K", label_.c_str(), Format(done, total_, secs).c_str());
  std::fflush(stream_);
}

void ProgressLine::Finish(uint64_t done) {
  if (!enabled_ || finished_) return;
  finished_ = true;
  Draw(done, true);
  std::fputc('\n', stream_);
  std::fflush(stream_);
}

}  // namespace annal::app
