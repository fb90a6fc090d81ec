#include "core/clock.h"

#include <chrono>

namespace annal {
namespace {

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

void AppendDigits(std::string& out, int64_t v, int width) {
  char buf[24];
  for (int i = width - 1; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  out.append(buf, static_cast<size_t>(width));
}

bool ReadDigits(std::string_view s, size_t& pos, int n, int& out) {
  if (pos + static_cast<size_t>(n) > s.size()) return false;
  out = 0;
  for (int i = 0; i < n; ++i) {
    char c = s[pos + static_cast<size_t>(i)];
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  pos += static_cast<size_t>(n);
  return true;
}

}  // namespace

TimestampMicros NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void AppendRfc3339(std::string& out, TimestampMicros t) {
  // A batch's new events share one timestamp, so answers write the same one many times over:
  // each thread keeps the last text it made.
  thread_local TimestampMicros last_t = INT64_MIN;
  thread_local char last_text[32];
  thread_local size_t last_size = 0;
  if (t == last_t) {
    out.append(last_text, last_size);
    return;
  }
  const size_t start = out.size();
  int64_t secs = t >= 0 ? t / 1000000 : -((-t + 999999) / 1000000);
  int64_t micros = t - secs * 1000000;
  // Others often share the second: the text up to the seconds' '.' is kept too.
  thread_local int64_t cached_secs = INT64_MIN;
  thread_local std::string cached_prefix;
  if (secs != cached_secs) {
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    int64_t sod = secs - days * 86400;
    int64_t y;
    unsigned m, d;
    CivilFromDays(days, y, m, d);
    cached_prefix.clear();
    AppendDigits(cached_prefix, y, 4);
    cached_prefix.push_back('-');
    AppendDigits(cached_prefix, m, 2);
    cached_prefix.push_back('-');
    AppendDigits(cached_prefix, d, 2);
    cached_prefix.push_back('T');
    AppendDigits(cached_prefix, sod / 3600, 2);
    cached_prefix.push_back(':');
    AppendDigits(cached_prefix, (sod / 60) % 60, 2);
    cached_prefix.push_back(':');
    AppendDigits(cached_prefix, sod % 60, 2);
    cached_prefix.push_back('.');
    cached_secs = secs;
  }
  char tail[7];
  for (int i = 5; i >= 0; --i) {
    tail[i] = static_cast<char>('0' + micros % 10);
    micros /= 10;
  }
  tail[6] = 'Z';
  out.append(cached_prefix).append(tail, sizeof tail);
  if (out.size() - start <= sizeof last_text) {
    last_size = out.size() - start;
    out.copy(last_text, last_size, start);
    last_t = t;
  }
}

std::string FormatRfc3339(TimestampMicros t) {
  std::string s;
  s.reserve(27);
  AppendRfc3339(s, t);
  return s;
}

std::optional<TimestampMicros> ParseRfc3339(std::string_view s) {
  size_t pos = 0;
  int year, month, day, hour = 0, minute = 0, second = 0;
  if (!ReadDigits(s, pos, 4, year)) return std::nullopt;
  if (pos >= s.size() || s[pos++] != '-') return std::nullopt;
  if (!ReadDigits(s, pos, 2, month)) return std::nullopt;
  if (pos >= s.size() || s[pos++] != '-') return std::nullopt;
  if (!ReadDigits(s, pos, 2, day)) return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > 31) return std::nullopt;
  int64_t micros = 0;
  int64_t offset_secs = 0;
  if (pos < s.size()) {
    char sep = s[pos++];
    if (sep != 'T' && sep != 't' && sep != ' ') return std::nullopt;
    if (!ReadDigits(s, pos, 2, hour)) return std::nullopt;
    if (pos >= s.size() || s[pos++] != ':') return std::nullopt;
    if (!ReadDigits(s, pos, 2, minute)) return std::nullopt;
    if (pos >= s.size() || s[pos++] != ':') return std::nullopt;
    if (!ReadDigits(s, pos, 2, second)) return std::nullopt;
    if (hour > 23 || minute > 59 || second > 60) return std::nullopt;
    if (pos < s.size() && s[pos] == '.') {
      ++pos;
      int digits = 0;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
        if (digits < 6) micros = micros * 10 + (s[pos] - '0');
        ++digits;
        ++pos;
      }
      if (digits == 0 || digits > 9) return std::nullopt;
      for (int i = digits; i < 6; ++i) micros *= 10;
    }
    if (pos >= s.size()) return std::nullopt;  // a time needs a zone
    char z = s[pos++];
    if (z == 'Z' || z == 'z') {
      // UTC
    } else if (z == '+' || z == '-') {
      int oh, om;
      if (!ReadDigits(s, pos, 2, oh)) return std::nullopt;
      if (pos >= s.size() || s[pos++] != ':') return std::nullopt;
      if (!ReadDigits(s, pos, 2, om)) return std::nullopt;
      if (oh > 23 || om > 59) return std::nullopt;
      offset_secs = (oh * 3600 + om * 60) * (z == '+' ? 1 : -1);
    } else {
      return std::nullopt;
    }
    if (pos != s.size()) return std::nullopt;
  }
  int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_secs;
  return secs * 1000000 + micros;
}

}  // namespace annal
