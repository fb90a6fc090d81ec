#include "replication/wal_timestamp.h"

#include <chrono>

namespace annal::replication {
namespace {

constexpr int64_t kNanosPerSecond = 1'000'000'000;

// Appends `v` (>= 0) zero-padded to `width` digits. (snprintf was a visible share of a
// follower's catch-up profile: every entry formats its time for the AllSource checksum.)
void AppendPadded(std::string& out, int64_t v, int width) {
  char buf[20];
  int i = 20;
  do {
    buf[--i] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v > 0 && i > 0);
  while (20 - i < width && i > 0) buf[--i] = '0';
  out.append(buf + i, static_cast<size_t>(20 - i));
}

// Appends "YYYY-MM-DD<sep>HH:MM:SS[.fraction]".
void AppendDateTime(std::string& out, WalTimestamp t, char sep) {
  using namespace std::chrono;
  // Floor division: an instant before 1970 still has a fraction in [0, 1e9).
  int64_t secs = t.unix_nanos / kNanosPerSecond;
  int64_t frac = t.unix_nanos % kNanosPerSecond;
  if (frac < 0) {
    frac += kNanosPerSecond;
    --secs;
  }
  const sys_seconds s{seconds(secs)};
  const auto day = floor<days>(s);
  const year_month_day ymd{day};
  const hh_mm_ss<seconds> hms{s - day};
  // Years 0..9999 (ParseWalTimestamp's range; a leader never sends others).
  AppendPadded(out, static_cast<int>(ymd.year()), 4);
  out += '-';
  AppendPadded(out, static_cast<unsigned>(ymd.month()), 2);
  out += '-';
  AppendPadded(out, static_cast<unsigned>(ymd.day()), 2);
  out += sep;
  AppendPadded(out, hms.hours().count(), 2);
  out += ':';
  AppendPadded(out, hms.minutes().count(), 2);
  out += ':';
  AppendPadded(out, hms.seconds().count(), 2);
  // Shortest exact fraction among 3/6/9 digits, like chrono's AutoSi.
  if (frac == 0) return;
  out += '.';
  if (frac % 1'000'000 == 0) {
    AppendPadded(out, frac / 1'000'000, 3);
  } else if (frac % 1'000 == 0) {
    AppendPadded(out, frac / 1'000, 6);
  } else {
    AppendPadded(out, frac, 9);
  }
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::string FormatWalTimestampRfc3339(WalTimestamp t) {
  std::string out;
  AppendDateTime(out, t, 'T');
  out += 'Z';
  return out;
}

std::optional<WalTimestamp> ParseWalTimestamp(std::string_view text) {
  // ParseRfc3339 does the calendar and offset work but truncates to microseconds (toward
  // the past, as the fraction is added to whole seconds). The 7th-9th fraction digits are
  // recovered from the text: the fraction starts right after "YYYY-MM-DDTHH:MM:SS".
  const auto micros = ParseRfc3339(text);
  if (!micros) return std::nullopt;
  int64_t sub_micro = 0;
  if (text.size() > 19 && text[19] == '.') {
    size_t i = 20;
    int digit = 0;
    for (; i < text.size() && IsDigit(text[i]); ++i, ++digit) {
      if (digit >= 6) sub_micro = sub_micro * 10 + (text[i] - '0');
    }
    for (; digit < 9 && digit >= 6; ++digit) sub_micro *= 10;
  }
  int64_t nanos = 0;
  if (__builtin_mul_overflow(*micros, int64_t{1000}, &nanos) ||
      __builtin_add_overflow(nanos, sub_micro, &nanos))
    return std::nullopt;
  return WalTimestamp{nanos};
}

std::string FormatAllSourceWalTimestamp(WalTimestamp t) {
  std::string out;
  AppendDateTime(out, t, ' ');
  out += " UTC";
  return out;
}

std::string FormatAllSourceWalTimestamp(TimestampMicros t) {
  return FormatAllSourceWalTimestamp(WalTimestamp::FromMicros(t));
}

}  // namespace annal::replication
