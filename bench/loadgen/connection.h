// Connection: one load client's connection to the system under test, driven by the event loop in
// driver.h. Setup (connect, prepare) is blocking and happens outside the measured time; requests
// are non-blocking: Prepare builds one request, then Progress is called right away and again
// whenever the socket is ready, until it returns the Outcome. One request in flight at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "event_source.h"

namespace annal::loadgen {

enum class OpKind { kWrite, kRead };

// What the event loop should wait for before calling Progress again.
enum class Wait { kRead, kReadWrite };

struct Outcome {
  bool ok = false;
  uint64_t events = 0;       // write: events acknowledged; read: events returned
  std::string error_kind;    // set when !ok: "http_503", "pg_23505", "redis_ERR", "io", ...
  std::string error_detail;  // the server's words (shortened), for the report's samples
  bool reconnect = false;    // the connection is unusable; the driver reconnects before reuse

  static Outcome Success(uint64_t events) { return Outcome{true, events, {}, {}, false}; }
  static Outcome Failure(std::string kind, std::string detail, bool reconnect) {
    return Outcome{false, 0, std::move(kind), std::move(detail), reconnect};
  }
};

class Connection {
 public:
  virtual ~Connection() = default;

  // Blocking: opens (or reopens) the connection and prepares statements. Returns "" on success,
  // else what failed. After success fd() is the socket to wait on (it may change on reconnect).
  virtual std::string Connect() = 0;
  virtual void Close() = 0;
  virtual int fd() const = 0;

  // Builds the next request: `batch` events from `events` for kWrite, one 100-event stream read
  // of a random entity for kRead. No I/O.
  virtual void Prepare(OpKind op, EventSource& events) = 0;
  // Sends and receives what it can without blocking; the Outcome once the response is complete
  // (or the connection failed), else nullopt and what to wait for in `wait`.
  virtual std::optional<Outcome> Progress(Wait& wait) = 0;
};

}  // namespace annal::loadgen
