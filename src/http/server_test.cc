// Server tests over real loopback sockets, with a minimal blocking HTTP client (POSIX
// sockets, no Beast, to keep this test cheap to compile). Every socket read has a 30 s
// timeout so a server bug fails a test instead of hanging it; no assertion depends on timing.
#include "http/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <random>
#include <thread>
#include <vector>

#include "metrics/metrics.h"
#include "store/store_test_util.h"

namespace annal::http {
namespace {

using store::testing::OpenOrDie;
using store::testing::OptionsFor;
using store::testing::TempDir;

struct Reply {
  int status = 0;  // 0: connection closed before a full response
  std::string headers;
  std::string body;
};

class Client {
 public:
  // receive_buffer > 0: a small SO_RCVBUF, so a large answer fills the server's socket.
  explicit Client(uint16_t port, int receive_buffer = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{30, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (receive_buffer > 0)
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~Client() { ::close(fd_); }
  bool connected() const { return connected_; }
  int fd() const { return fd_; }
  // A read gave up after the 30 s receive timeout: the server neither answered nor closed.
  bool timed_out() const { return timed_out_; }

  void Send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      data.remove_prefix(static_cast<size_t>(n));
    }
  }

  // Reads one response (Content-Length framed; a response to HEAD has no body).
  Reply Read(bool head_request = false) {
    Reply r;
    size_t header_end;
    while ((header_end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return r;
    }
    r.headers = buf_.substr(0, header_end + 2);
    size_t length = 0;
    std::string lower;
    for (char c : r.headers) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    if (auto p = lower.find("content-length:"); p != std::string::npos && !head_request)
      length = std::stoul(r.headers.substr(p + 15));
    while (buf_.size() < header_end + 4 + length) {
      if (!Fill()) return r;
    }
    r.body = buf_.substr(header_end + 4, length);
    buf_.erase(0, header_end + 4 + length);
    r.status = std::stoi(r.headers.substr(9, 3));
    return r;
  }

  // True once the server closed the connection (EOF or reset) with nothing more to read;
  // false if it sends something or the 30 s receive timeout passes first.
  bool ClosedByServer() {
    if (!buf_.empty()) return false;
    return !Fill() && !timed_out_;
  }

  Reply Request(std::string_view method, std::string_view target, std::string_view body = {},
                std::string_view extra_headers = "Content-Type: application/json\r\n") {
    Send(std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: t\r\n" +
         std::string(extra_headers) + "Content-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + std::string(body));
    return Read();
  }

 private:
  bool Fill() {
    char tmp[16384];
    ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) timed_out_ = true;
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }
  int fd_ = -1;
  bool connected_ = false;
  bool timed_out_ = false;
  std::string buf_;
};

class ServerTest : public ::testing::Test {
 protected:
  void StartServer(ServerOptions options = {}) {
    options.port = 0;
    options.threads = 2;
    auto s = Server::Start(options, *store_, metrics_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(s).value();
  }

  TempDir dir_;
  std::unique_ptr<store::EventStore> store_ = OpenOrDie(OptionsFor(dir_.path()));
  metrics::Metrics metrics_;
  std::unique_ptr<Server> server_;
};

const std::string kEvent = R"({"event_type":"a","entity_id":"e","payload":{"k":1}})";

TEST_F(ServerTest, KeepAliveAppendAndRead) {
  StartServer();
  Client c(server_->port());
  ASSERT_TRUE(c.connected());
  Reply r = c.Request("POST", "/api/v1/events", kEvent);
  ASSERT_EQ(r.status, 200) << r.headers << r.body;
  EXPECT_NE(r.headers.find("application/json"), std::string::npos);
  EXPECT_NE(r.body.find(R"("sequence":1)"), std::string::npos) << r.body;
  // Same connection, second request.
  r = c.Request("GET", "/api/v1/events/query?entity_id=e");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find(R"("count":1)"), std::string::npos) << r.body;
  r = c.Request("GET", "/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("annal_http_requests_total{route=\"/api/v1/events\",status=\"200\"} 1"),
            std::string::npos)
      << r.body;
}

TEST_F(ServerTest, BodyLimitsArePerRoute) {
  ServerOptions o;
  o.max_event_bytes = 100;
  o.max_batch_bytes = 1000;
  StartServer(o);
  std::string big(500, ' ');
  {
    // Declared too large: 413 from the header alone, then close.
    Client c(server_->port());
    Reply r = c.Request("POST", "/api/v1/events", big + kEvent);
    EXPECT_EQ(r.status, 413) << r.headers << r.body;
    EXPECT_NE(r.body.find("payload_too_large"), std::string::npos);
    EXPECT_TRUE(c.ClosedByServer());
  }
  {
    // The batch route has its own, larger limit.
    Client c(server_->port());
    Reply r = c.Request("POST", "/api/v1/events/batch", R"({"events":[)" + kEvent + "]}" + big);
    EXPECT_EQ(r.status, 200) << r.body;
  }
  {
    // Chunked body without a Content-Length: the limit is enforced while reading.
    Client c(server_->port());
    c.Send("POST /api/v1/events HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
           "Transfer-Encoding: chunked\r\n\r\n1f4\r\n" + big + "\r\n0\r\n\r\n");
    EXPECT_EQ(c.Read().status, 413);
  }
}

TEST_F(ServerTest, GarbageGets400AndClose) {
  StartServer();
  Client c(server_->port());
  c.Send("THIS IS NOT HTTP\r\n\r\n");
  Reply r = c.Read();
  EXPECT_EQ(r.status, 400) << r.headers;
  EXPECT_TRUE(c.ClosedByServer());
}

TEST_F(ServerTest, HeaderTooLargeGets431) {
  ServerOptions o;
  o.max_header_bytes = 1024;
  StartServer(o);
  Client c(server_->port());
  c.Send("GET /health HTTP/1.1\r\nX-Big: " + std::string(4096, 'x') + "\r\n\r\n");
  EXPECT_EQ(c.Read().status, 431);
}

TEST_F(ServerTest, ExpectContinue) {
  StartServer();
  Client c(server_->port());
  c.Send("POST /api/v1/events HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
         "Expect: 100-continue\r\nContent-Length: " + std::to_string(kEvent.size()) + "\r\n\r\n");
  Reply interim = c.Read();
  EXPECT_EQ(interim.status, 100);
  c.Send(kEvent);
  EXPECT_EQ(c.Read().status, 200);
}

TEST_F(ServerTest, HeadHasNoBody) {
  StartServer();
  Client c(server_->port());
  c.Send("HEAD /health HTTP/1.1\r\nHost: t\r\n\r\n");
  Reply head = c.Read(/*head_request=*/true);
  EXPECT_EQ(head.status, 200);
  EXPECT_NE(head.headers.find("Content-Length: "), std::string::npos) << head.headers;
  EXPECT_EQ(head.headers.find("Content-Length: 0"), std::string::npos) << head.headers;
  // No body followed: the next response on the connection parses cleanly.
  Reply r = c.Request("GET", "/health");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body.rfind("{\"status\":\"healthy\"", 0), 0u) << r.body;
}

TEST_F(ServerTest, ConnectionCloseAndHttp10) {
  StartServer();
  Client c(server_->port());
  Reply r = c.Request("GET", "/health", {}, "Connection: close\r\n");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(c.ClosedByServer());
  Client c10(server_->port());
  c10.Send("GET /health HTTP/1.0\r\n\r\n");
  EXPECT_EQ(c10.Read().status, 200);
  EXPECT_TRUE(c10.ClosedByServer());
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  StartServer();
  Client c(server_->port());
  const std::string append = "POST /api/v1/events HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                             "Content-Length: " + std::to_string(kEvent.size()) + "\r\n\r\n" + kEvent;
  // Three requests in one send: the query after the append sees it (each request is answered
  // before the next is read, the append only once durable).
  c.Send(append + "GET /api/v1/events/query?entity_id=e HTTP/1.1\r\nHost: t\r\n\r\n" +
         "GET /health HTTP/1.1\r\nHost: t\r\n\r\n");
  Reply r = c.Read();
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(R"("sequence":1)"), std::string::npos) << r.body;
  r = c.Read();
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find(R"("count":1)"), std::string::npos) << r.body;
  r = c.Read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body.rfind("{\"status\":\"healthy\"", 0), 0u) << r.body;
}

// A request that arrives a byte at a time, header and chunked body, is parsed as if it had
// come in one piece; so is the next one on the connection.
TEST_F(ServerTest, RequestSentAByteAtATime) {
  StartServer();
  Client c(server_->port());
  int one = 1;
  ASSERT_EQ(::setsockopt(c.fd(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one), 0);
  const std::string chunked = "POST /api/v1/events HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                              "Transfer-Encoding: chunked\r\n\r\n" +
                              [] {
                                char size[16];
                                std::snprintf(size, sizeof size, "%zx", kEvent.size());
                                return std::string(size);
                              }() + "\r\n" + kEvent + "\r\n0\r\n\r\n";
  for (char ch : chunked) c.Send(std::string_view(&ch, 1));
  Reply r = c.Read();
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(R"("sequence":1)"), std::string::npos) << r.body;
  const std::string query = "GET /api/v1/events/query?entity_id=e HTTP/1.1\r\nHost: t\r\n\r\n";
  for (char ch : query) c.Send(std::string_view(&ch, 1));
  r = c.Read();
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find(R"("count":1)"), std::string::npos) << r.body;
}

// Byte soup, some of it shaped like HTTP: every connection ends (an error answer or a close,
// never a hang), nothing is stored, and the server goes on serving.
TEST_F(ServerTest, RandomBytesNeverBreakTheServer) {
  ServerOptions o;
  // Deadlines past the client's 30 s receive timeout: a connection left waiting is a failure
  // here, not something the sweeper tidies up.
  o.header_timeout = o.body_timeout = std::chrono::milliseconds(120'000);
  StartServer(o);
  std::mt19937 rng(20261122);
  const std::vector<std::string> pieces = {
      "POST ", "GET ", "/api/v1/events", "/api/v1/events/batch", " HTTP/1.1\r\n", "\r\n",
      "Content-Length: ", "Transfer-Encoding: chunked\r\n", "Expect: 100-continue\r\n", "0",
      "ffffffff", "-1", ":", "{\"events\":[", kEvent, "\x00", "\xff\xfe"};
  for (int round = 0; round < 200; ++round) {
    std::string soup;
    const int n = std::uniform_int_distribution<int>(1, 12)(rng);
    for (int i = 0; i < n; ++i) {
      if (rng() % 3 == 0) {
        for (int k = std::uniform_int_distribution<int>(1, 40)(rng); k > 0; --k)
          soup.push_back(static_cast<char>(rng() & 0xff));
      } else {
        soup += pieces[rng() % pieces.size()];
      }
    }
    Client c(server_->port());
    ASSERT_TRUE(c.connected());
    c.Send(soup);
    ::shutdown(c.fd(), SHUT_WR);  // no more bytes: the server must not wait for them
    for (int answers = 0;; ++answers) {
      Reply r = c.Read();
      if (r.status == 0) break;
      EXPECT_NE(r.status, 500) << "round " << round;
      ASSERT_LT(answers, 16) << "round " << round;
    }
    ASSERT_FALSE(c.timed_out()) << "round " << round << ": the server kept the connection open";
  }
  Client c(server_->port());
  EXPECT_EQ(c.Request("GET", "/health").status, 200);
  EXPECT_EQ(store_->GetStats().total_events, 0u);
}

// An answer far larger than the socket buffers, to a client that reads slowly: all of it
// arrives, and the connection serves the next request.
TEST_F(ServerTest, LargeAnswerToASlowReader) {
  StartServer();
  const std::string payload(10000, 'x');  // 12 MB in all: over the 4 MiB send buffer maximum
  std::string batch = R"({"events":[)";
  for (int i = 0; i < 1200; ++i) {
    if (i > 0) batch += ',';
    batch += R"({"event_type":"a","entity_id":"big","payload":{"p":")" + payload + R"("}})";
  }
  batch += "]}";
  Client writer(server_->port());
  ASSERT_EQ(writer.Request("POST", "/api/v1/events/batch", batch).status, 200);

  Client c(server_->port(), /*receive_buffer=*/4096);
  c.Send("GET /api/v1/events/query?entity_id=big HTTP/1.1\r\nHost: t\r\n\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let the server's socket fill
  Reply r = c.Read();
  ASSERT_EQ(r.status, 200);
  EXPECT_GT(r.body.size(), 12'000'000u);
  EXPECT_NE(r.body.find(R"("count":1200)"), std::string::npos);
  EXPECT_EQ(c.Request("GET", "/health").status, 200);
}

TEST_F(ServerTest, ConnectionsPastTheirDeadlineAreClosed) {
  ServerOptions o;
  o.header_timeout = std::chrono::milliseconds(200);
  o.body_timeout = std::chrono::milliseconds(200);
  StartServer(o);
  Client idle(server_->port());  // keep-alive, no next request
  ASSERT_EQ(idle.Request("GET", "/health").status, 200);
  Client half_header(server_->port());
  half_header.Send("GET /health HTTP/1.1\r\nHost: t\r\n");
  Client half_body(server_->port());
  half_body.Send("POST /api/v1/events HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                 "Content-Length: 100\r\n\r\n{\"event_type\"");
  EXPECT_TRUE(idle.ClosedByServer());
  EXPECT_TRUE(half_header.ClosedByServer());
  EXPECT_TRUE(half_body.ClosedByServer());
  // The server still serves, and the half-sent event was not stored.
  Client c(server_->port());
  EXPECT_EQ(c.Request("GET", "/health").status, 200);
  EXPECT_EQ(store_->GetStats().total_events, 0u);
}

// Stop() while appends are in flight: every append the server accepted is answered, and an
// event is in the store exactly when its client got a 200 (holds for any interleaving).
TEST_F(ServerTest, StopAnswersInFlightAppends) {
  StartServer();
  constexpr int kClients = 8;
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<Client>(server_->port()));
    ASSERT_TRUE(clients.back()->connected());
  }
  Client idle(server_->port());  // an idle keep-alive connection must not hold Stop() up
  ASSERT_EQ(idle.Request("GET", "/health").status, 200);
  for (int i = 0; i < kClients; ++i) {
    clients[i]->Send("POST /api/v1/events HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                     "Content-Length: " + std::to_string(kEvent.size()) + "\r\n\r\n" + kEvent);
  }
  server_->Stop();
  int answered = 0;
  for (auto& c : clients) {
    Reply r = c->Read();
    if (r.status != 0) {
      EXPECT_EQ(r.status, 200) << r.body;
      EXPECT_NE(r.headers.find("Connection: close"), std::string::npos) << r.headers;
      ++answered;
    }
  }
  EXPECT_EQ(static_cast<int>(store_->GetStats().total_events), answered);
  EXPECT_TRUE(idle.ClosedByServer());
  server_->Stop();  // idempotent
}

}  // namespace
}  // namespace annal::http
