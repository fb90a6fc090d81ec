#include "stream_connection.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace annal::loadgen {

StreamConnection::StreamConnection(std::string host, uint16_t port,
                                   std::unique_ptr<WireCodec> codec)
    : host_(std::move(host)), port_(port), codec_(std::move(codec)) {}

StreamConnection::~StreamConnection() { Close(); }

void StreamConnection::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::string StreamConnection::Connect() {
  Close();
  out_.clear();
  out_pos_ = 0;
  in_.clear();
  codec_->Reset();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(port_);
  if (int rc = ::getaddrinfo(host_.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return "resolve " + host_ + ": " + ::gai_strerror(rc);
  }
  std::string error = "no address for " + host_;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      error = std::string("socket: ") + std::strerror(errno);
      continue;
    }
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      error = "connect " + host_ + ":" + port + ": " + std::strerror(errno);
      ::close(fd);
      continue;
    }
    // Requests are written whole; do not let Nagle hold back the tail of one.
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    fd_ = fd;
    error.clear();
    break;
  }
  ::freeaddrinfo(found);
  return error;
}

void StreamConnection::Prepare(OpKind op, EventSource& events) {
  out_.clear();
  out_pos_ = 0;
  codec_->BuildRequest(op, events, out_);
}

std::optional<Outcome> StreamConnection::Progress(Wait& wait) {
  while (out_pos_ < out_.size()) {
    const ssize_t n = ::send(fd_, out_.data() + out_pos_, out_.size() - out_pos_, MSG_NOSIGNAL);
    if (n > 0) {
      out_pos_ += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      break;
    } else {
      return Outcome::Failure("io", std::string("send: ") + std::strerror(errno), true);
    }
  }
  // Read even while the request is still going out: a server may answer early (413) and close.
  char buf[64 * 1024];
  bool got = false;
  while (true) {
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      in_.append(buf, static_cast<size_t>(n));
      got = true;
      if (static_cast<size_t>(n) < sizeof buf) break;  // drained for now; saves an EAGAIN call
    } else if (n == 0) {
      if (got) {
        if (auto outcome = codec_->Parse(in_)) {
          outcome->reconnect = true;
          return outcome;
        }
      }
      return Outcome::Failure("closed", "the server closed the connection", true);
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      break;
    } else {
      return Outcome::Failure("io", std::string("recv: ") + std::strerror(errno), true);
    }
  }
  if (got) {
    if (auto outcome = codec_->Parse(in_)) {
      if (out_pos_ < out_.size()) outcome->reconnect = true;  // answered before reading it all
      return outcome;
    }
  }
  wait = out_pos_ < out_.size() ? Wait::kReadWrite : Wait::kRead;
  return std::nullopt;
}

}  // namespace annal::loadgen
