// Errors are values: every fallible operation returns a Status or a Result<T>.
// Exceptions never cross a module boundary.
#pragma once

#include <cassert>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace annal {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,   // a value breaks a rule (bad event_type, bad query param) -> HTTP 400
  kMalformed,         // input is not parseable (malformed JSON) -> HTTP 400
  kWrongShape,        // well-formed JSON, missing or ill-typed field -> HTTP 422
  kNotFound,          // -> 404
  kVersionConflict,   // expected_version mismatch -> 409
  kDuplicateEventId,  // reused event_id with other content -> 409
  kReadOnly,          // write on a follower -> 409
  kTooLarge,          // -> 413
  kUnavailable,       // overloaded, shutting down, replication timeout -> 503
  kCorruption,        // on-disk data failed a check
  kIOError,           // the OS said no
  kInternal,          // a bug or a poisoned store
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "Corruption: wal-000...log offset 4096: crc mismatch"
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status Malformed(std::string m) { return {StatusCode::kMalformed, std::move(m)}; }
inline Status WrongShape(std::string m) { return {StatusCode::kWrongShape, std::move(m)}; }
inline Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
inline Status IOError(std::string m) { return {StatusCode::kIOError, std::move(m)}; }
inline Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
inline Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status TooLarge(std::string m) { return {StatusCode::kTooLarge, std::move(m)}; }
// IOError carrying strerror(errno) and what we were doing.
Status ErrnoError(std::string_view what, int err);

// A value or the Status explaining why there is none. Small on purpose: std::expected is
// C++23 and clang-14 (used for the fuzz targets) cannot compile libstdc++'s <expected>.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(v_).ok() && "Result built from an OK status");
  }

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // The error; Status::Ok() when there is a value.
  Status status() const { return ok() ? Status::Ok() : std::get<1>(v_); }

 private:
  std::variant<T, Status> v_;
};

// Broken invariants are bugs: stop loudly, in every build type.
[[noreturn]] void CheckFailed(const char* file, int line, const char* expr, std::string_view msg);

}  // namespace annal

#define ANNAL_CHECK(cond)                                                         \
  do {                                                                            \
    if (!(cond)) ::annal::CheckFailed(__FILE__, __LINE__, #cond, {});             \
  } while (0)
#define ANNAL_CHECK_MSG(cond, msg)                                                \
  do {                                                                            \
    if (!(cond)) ::annal::CheckFailed(__FILE__, __LINE__, #cond, (msg));          \
  } while (0)

// Propagates a non-OK Status from an expression returning Status.
#define ANNAL_RETURN_IF_ERROR(expr)          \
  do {                                       \
    ::annal::Status _st = (expr);            \
    if (!_st.ok()) return _st;               \
  } while (0)

#define ANNAL_CONCAT_INNER(a, b) a##b
#define ANNAL_CONCAT(a, b) ANNAL_CONCAT_INNER(a, b)
// ANNAL_ASSIGN_OR_RETURN(auto x, MakeX()); declares x from a Result or returns its Status.
#define ANNAL_ASSIGN_OR_RETURN(decl, expr)                                  \
  auto ANNAL_CONCAT(_res_, __LINE__) = (expr);                              \
  if (!ANNAL_CONCAT(_res_, __LINE__).ok())                                  \
    return ANNAL_CONCAT(_res_, __LINE__).status();                          \
  decl = std::move(ANNAL_CONCAT(_res_, __LINE__)).value()
