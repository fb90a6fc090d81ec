// StreamConnection: a Connection over a plain TCP socket (Annal's HTTP/1.1, Redis's RESP) whose
// request/response format is a WireCodec. Keep-alive: the socket is reused until the codec or
// the server says otherwise, then Connect() opens a new one.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "connection.h"

namespace annal::loadgen {

// One backend's wire format. Not thread-safe; owned by one StreamConnection.
class WireCodec {
 public:
  virtual ~WireCodec() = default;
  // Appends the bytes of one request to `out`.
  virtual void BuildRequest(OpKind op, EventSource& events, std::string& out) = 0;
  // Consumes response bytes from the front of `in`; the Outcome once the response to the last
  // request is complete, nullopt while more bytes are needed.
  virtual std::optional<Outcome> Parse(std::string& in) = 0;
  // Forgets any partial response (the connection was reopened).
  virtual void Reset() = 0;
};

class StreamConnection final : public Connection {
 public:
  StreamConnection(std::string host, uint16_t port, std::unique_ptr<WireCodec> codec);
  ~StreamConnection() override;

  std::string Connect() override;
  void Close() override;
  int fd() const override { return fd_; }
  void Prepare(OpKind op, EventSource& events) override;
  std::optional<Outcome> Progress(Wait& wait) override;

 private:
  std::string host_;
  uint16_t port_;
  std::unique_ptr<WireCodec> codec_;
  int fd_ = -1;
  std::string out_;
  size_t out_pos_ = 0;
  std::string in_;
};

}  // namespace annal::loadgen
