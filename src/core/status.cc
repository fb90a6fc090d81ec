#include "core/status.h"

#include <cstring>

namespace annal {

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kInvalidArgument: return "InvalidArgument";
    case StatusCode::kMalformed: return "Malformed";
    case StatusCode::kWrongShape: return "WrongShape";
    case StatusCode::kNotFound: return "NotFound";
    case StatusCode::kVersionConflict: return "VersionConflict";
    case StatusCode::kDuplicateEventId: return "DuplicateEventId";
    case StatusCode::kReadOnly: return "ReadOnly";
    case StatusCode::kTooLarge: return "TooLarge";
    case StatusCode::kUnavailable: return "Unavailable";
    case StatusCode::kCorruption: return "Corruption";
    case StatusCode::kIOError: return "IOError";
    case StatusCode::kInternal: return "Internal";
  }
  return "Unknown";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string s(StatusCodeName(code_));
  s += ": ";
  s += message_;
  return s;
}

Status ErrnoError(std::string_view what, int err) {
  std::string m(what);
  m += ": ";
  m += std::strerror(err);
  return {StatusCode::kIOError, std::move(m)};
}

void CheckFailed(const char* file, int line, const char* expr, std::string_view msg) {
  std::fprintf(stderr, "FATAL %s:%d: check failed: %s %.*s\n", file, line, expr,
               static_cast<int>(msg.size()), msg.data());
  std::fflush(stderr);
  std::abort();
}

}  // namespace annal
