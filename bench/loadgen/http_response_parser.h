// HttpResponseParser: an incremental HTTP/1.1 response parser for the loadgen's keep-alive client
// connections (one request in flight, no pipelining). Bodies are framed by Content-Length or
// chunked transfer coding; a response with neither is refused (the loadgen cannot tell where it
// ends on a kept-alive connection). Limits: 64 KiB of headers, 256 MiB of body.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace annal::loadgen {

class HttpResponseParser {
 public:
  enum class State { kIncomplete, kComplete, kError };

  // Consumes bytes from the front of `buffer` (erasing what it used) until a response is
  // complete; bytes after the response stay in `buffer`. Call again with more bytes while it
  // answers kIncomplete. After kComplete, status()/body()/keep_alive() describe the response and
  // Reset() prepares the next one. After kError, error() says why; the connection is unusable.
  State Feed(std::string& buffer);
  void Reset();

  int status() const { return status_; }
  const std::string& body() const { return body_; }
  // False when the server said `Connection: close` (or spoke HTTP/1.0 without keep-alive).
  bool keep_alive() const { return keep_alive_; }
  const std::string& error() const { return error_; }

 private:
  enum class Phase { kHeaders, kBody, kChunkSize, kChunkData, kChunkDataEnd, kTrailers, kDone };
  State Fail(std::string message);
  bool ParseHeaders(std::string_view head);

  Phase phase_ = Phase::kHeaders;
  int status_ = 0;
  bool keep_alive_ = true;
  bool chunked_ = false;
  size_t remaining_ = 0;  // body or current chunk bytes still to read
  std::string body_;
  std::string error_;
};

}  // namespace annal::loadgen
