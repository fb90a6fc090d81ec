// Blocking TCP plumbing for replication: one thread reads a connection, another may write it.
// Newline-delimited lines (protocol.h) are read through a bounded buffer, so a peer cannot make
// us hold more than kMaxLineBytes of one line.
//
// Thread-safety: ReadLine from one thread and WriteAll from one (other) thread may run at the
// same time; Shutdown may be called from any thread and wakes both.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace annal::replication {

class Connection {
 public:
  explicit Connection(int fd, std::string peer);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Connects to host:port within `timeout`. Unavailable on failure (names the address).
  static Result<std::unique_ptr<Connection>> Dial(const std::string& host, uint16_t port,
                                                  std::chrono::milliseconds timeout);

  // Reads one line (without its "\n"). NotFound at a clean end of stream (peer closed between
  // lines), Unavailable on a read error or Shutdown, TooLarge for a line longer than
  // `max_bytes`, Unavailable("timed out") when nothing arrives within `timeout` (0 = forever).
  Result<std::string> ReadLine(size_t max_bytes, std::chrono::milliseconds timeout);
  // Whether a complete line is already buffered (ReadLine will not block).
  bool HasBufferedLine() const;
  // Reads whatever the socket holds right now into the buffer, without blocking (at most
  // `max_bytes` buffered). true if a complete line is then buffered.
  bool FillAvailable(size_t max_bytes);

  // Writes all of `data` (blocking: this is the back-pressure). Unavailable on error, on
  // Shutdown, or when the peer accepts nothing for `stall_timeout` (0 = forever).
  Status WriteAll(std::string_view data, std::chrono::milliseconds stall_timeout);

  // Unblocks readers and writers; later calls fail. Idempotent.
  void Shutdown();
  const std::string& peer() const { return peer_; }

 private:
  int fd_;
  std::string peer_;
  std::string buf_;    // read buffer; buf_[start_, end) are bytes after the last returned line
  size_t start_ = 0;   // first unread byte (compacted away before each refill)
  size_t scan_ = 0;    // buf_[start_, scan_) holds no '\n'
};

// A listening socket on host:port (port 0 = any free port).
class Listener {
 public:
  static Result<std::unique_ptr<Listener>> Bind(const std::string& host, uint16_t port);
  ~Listener();
  uint16_t port() const { return port_; }
  // Waits for the next connection. Unavailable after Shutdown.
  Result<std::unique_ptr<Connection>> Accept();
  void Shutdown();

 private:
  Listener(int fd, uint16_t port) : fd_(fd), port_(port) {}
  int fd_;
  uint16_t port_;
};

// "host:port" -> parts; InvalidArgument when malformed.
Status SplitHostPort(std::string_view address, std::string* host, uint16_t* port);

}  // namespace annal::replication
