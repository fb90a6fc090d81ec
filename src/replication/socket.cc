#include "replication/socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace annal::replication {
namespace {

std::string ErrnoText(int err) { return std::strerror(err); }

int PollMillis(std::chrono::milliseconds timeout) {
  return timeout.count() <= 0 ? -1 : static_cast<int>(std::min<int64_t>(timeout.count(), 1 << 30));
}

std::string Describe(const sockaddr_storage& addr) {
  char host[INET6_ADDRSTRLEN] = "?";
  uint16_t port = 0;
  if (addr.ss_family == AF_INET) {
    auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
    port = ntohs(a->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
    port = ntohs(a->sin6_port);
  }
  return std::string(host) + ":" + std::to_string(port);
}

void TuneSocket(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
}

}  // namespace

Status SplitHostPort(std::string_view address, std::string* host, uint16_t* port) {
  size_t colon = address.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == address.size())
    return InvalidArgument("expected HOST:PORT, got '" + std::string(address) + "'");
  std::string_view h = address.substr(0, colon), p = address.substr(colon + 1);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
  if (ec != std::errc() || end != p.data() + p.size() || value == 0 || value > 65535)
    return InvalidArgument("bad port in '" + std::string(address) + "'");
  *host = std::string(h);
  *port = static_cast<uint16_t>(value);
  return Status::Ok();
}

Connection::Connection(int fd, std::string peer) : fd_(fd), peer_(std::move(peer)) {}
Connection::~Connection() { ::close(fd_); }

Result<std::unique_ptr<Connection>> Connection::Dial(const std::string& host, uint16_t port,
                                                     std::chrono::milliseconds timeout) {
  const std::string where = host + ":" + std::to_string(port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res);
  if (rc != 0) return Unavailable("resolve " + where + ": " + gai_strerror(rc));
  std::string last_error = "no address";
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) {
      last_error = ErrnoText(errno);
      continue;
    }
    int r = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (r < 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      r = ::poll(&p, 1, PollMillis(timeout));
      if (r == 0) {
        last_error = "connect timed out";
        ::close(fd);
        continue;
      }
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      r = err == 0 ? 0 : -1;
      errno = err;
    }
    if (r < 0) {
      last_error = ErrnoText(errno);
      ::close(fd);
      continue;
    }
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    TuneSocket(fd);
    freeaddrinfo(res);
    return std::make_unique<Connection>(fd, where);
  }
  freeaddrinfo(res);
  return Unavailable("connect " + where + ": " + last_error);
}

bool Connection::HasBufferedLine() const {
  return buf_.find('\n', scan_) != std::string::npos;
}

bool Connection::FillAvailable(size_t max_bytes) {
  char tmp[64 * 1024];
  while (!HasBufferedLine() && buf_.size() - start_ < max_bytes) {
    ssize_t n = ::recv(fd_, tmp, sizeof tmp, MSG_DONTWAIT);
    if (n <= 0) break;  // nothing now, closed or an error: ReadLine reports the latter two
    buf_.append(tmp, static_cast<size_t>(n));
  }
  return HasBufferedLine();
}

Result<std::string> Connection::ReadLine(size_t max_bytes, std::chrono::milliseconds timeout) {
  for (;;) {
    size_t nl = buf_.find('\n', scan_);
    if (nl != std::string::npos) {
      if (nl - start_ > max_bytes)
        return TooLarge("line longer than " + std::to_string(max_bytes) + " bytes");
      std::string line = buf_.substr(start_, nl - start_);
      start_ = scan_ = nl + 1;  // no memmove per line: the consumed prefix goes at the refill
      return line;
    }
    scan_ = buf_.size();
    if (buf_.size() - start_ > max_bytes)
      return TooLarge("line longer than " + std::to_string(max_bytes) + " bytes");
    buf_.erase(0, start_);  // once per refill
    scan_ -= start_;
    start_ = 0;
    if (timeout.count() > 0) {
      pollfd p{fd_, POLLIN, 0};
      int r = ::poll(&p, 1, PollMillis(timeout));
      if (r == 0) return Unavailable("timed out waiting for " + peer_);
      if (r < 0 && errno != EINTR) return Unavailable("poll " + peer_ + ": " + ErrnoText(errno));
    }
    char tmp[64 * 1024];
    ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n == 0) {
      if (buf_.size() == start_) return NotFound("connection closed by " + peer_);
      return Unavailable("connection closed by " + peer_ + " in the middle of a line");
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      return Unavailable("read from " + peer_ + ": " + ErrnoText(errno));
    }
    buf_.append(tmp, static_cast<size_t>(n));
  }
}

Status Connection::WriteAll(std::string_view data, std::chrono::milliseconds stall_timeout) {
  while (!data.empty()) {
    if (stall_timeout.count() > 0) {
      pollfd p{fd_, POLLOUT, 0};
      int r = ::poll(&p, 1, PollMillis(stall_timeout));
      if (r == 0) return Unavailable("write to " + peer_ + " stalled");
      if (r < 0 && errno != EINTR) return Unavailable("poll " + peer_ + ": " + ErrnoText(errno));
      if (p.revents & (POLLERR | POLLHUP | POLLNVAL))
        return Unavailable("connection to " + peer_ + " closed");
    }
    ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (stall_timeout.count() > 0) continue;  // poll above waits
        pollfd p{fd_, POLLOUT, 0};
        ::poll(&p, 1, -1);
        if (p.revents & (POLLERR | POLLHUP | POLLNVAL))
          return Unavailable("connection to " + peer_ + " closed");
        continue;
      }
      return Unavailable("write to " + peer_ + ": " + ErrnoText(errno));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

void Connection::Shutdown() { ::shutdown(fd_, SHUT_RDWR); }

Result<std::unique_ptr<Listener>> Listener::Bind(const std::string& host, uint16_t port) {
  const std::string where = host + ":" + std::to_string(port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res);
  if (rc != 0) return Unavailable("resolve " + where + ": " + gai_strerror(rc));
  int fd = ::socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, res->ai_protocol);
  if (fd < 0) {
    freeaddrinfo(res);
    return IOError("socket: " + ErrnoText(errno));
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd, res->ai_addr, res->ai_addrlen) < 0 || ::listen(fd, 64) < 0) {
    int err = errno;
    ::close(fd);
    freeaddrinfo(res);
    return Unavailable("listen on " + where + ": " + ErrnoText(err));
  }
  freeaddrinfo(res);
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  uint16_t bound = addr.ss_family == AF_INET6
                       ? ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port)
                       : ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  return std::unique_ptr<Listener>(new Listener(fd, bound));
}

Listener::~Listener() { ::close(fd_); }

Result<std::unique_ptr<Connection>> Listener::Accept() {
  for (;;) {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    int fd = ::accept4(fd_, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_CLOEXEC);
    if (fd >= 0) {
      TuneSocket(fd);
      return std::make_unique<Connection>(fd, Describe(addr));
    }
    if (errno == EINTR || errno == ECONNABORTED) continue;
    return Unavailable("accept: " + ErrnoText(errno));
  }
}

void Listener::Shutdown() { ::shutdown(fd_, SHUT_RDWR); }

}  // namespace annal::replication
