// The HTTP/1.1 server: Asio sockets, Beast's request parser, our own connection loop. The only
// file in Annal that includes Beast.
//
// Each connection reads with plain async_read_some calls and feeds the bytes to the parser
// itself, answers with a non-blocking send, and has a deadline the server's sweeper enforces.
// Beast's composed operations (async_read_header / async_read / async_write over a
// beast::basic_stream with a timer per operation) cost ~13% of the server's CPU at 64 clients
// of single appends: nested handlers, each bounced through the strand, an extra trip through
// the io_context per completed operation, and timers set and cancelled on every read and write.
//
// Threading: one io_context run by `threads` threads. Each connection (Session) owns a
// strand; all its handlers run there, so a Session needs no locks. Appends never block an
// IO thread: the router hands them to EventStore::AppendAsync and the store's callback (on
// the WAL writer thread) only posts the response back to the session's strand.
//
// Lifetimes: a Session is owned by shared_ptrs held by its pending async operations and, while
// an append is in flight, by the store's callback. While a request is being handled the
// Session also holds a work guard, so the io_context cannot run out of work (and Stop()
// cannot finish) before that request is answered. Sessions are registered (weak_ptr) with
// the server so Stop() can close the idle ones.
//
// Limits: header size (max_header_bytes -> 431), body size per route (-> 413, decided from the
// header before any body byte is read), header/keep-alive and body/write timeouts (close).
#include "http/server.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/read_size.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <atomic>
#include <cctype>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "http/request_parser.h"
#include "http/router.h"
#include "metrics/metrics.h"
#include "core/give_way.h"
#include "core/thread_name.h"

namespace annal::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

class Session;
using Clock = std::chrono::steady_clock;
// Concrete executor types (no asio::any_io_executor): every async operation of a connection
// then dispatches without type erasure, a measurable share of a small request's CPU.
using Strand = asio::strand<asio::io_context::executor_type>;
using Socket = asio::basic_stream_socket<tcp, Strand>;
// How long a connection we close because of a bad request keeps draining the client's
// unread bytes, so our error response is not destroyed by a TCP reset.
constexpr std::chrono::milliseconds kLingerTimeout{1000};
// The largest single read of a connection (what ReadMore asks beast::read_size for).
constexpr size_t kBodyReadChunk = 64 << 10;

}  // namespace

class Server::Impl {
 public:
  template <typename StoreOrCluster>
  Impl(ServerOptions options, StoreOrCluster& source, metrics::Metrics& metrics)
      : options_(std::move(options)),
        metrics_(metrics),
        router_(RouterOptions{options_.max_query_results, options_.version},
                source, metrics),
        ioc_(static_cast<int>(ThreadCount())),
        acceptor_(asio::make_strand(ioc_)),
        accept_retry_(acceptor_.get_executor()),
        sweep_(acceptor_.get_executor()) {}

  Status Listen();
  void Run();
  void Stop();
  uint16_t port() const { return port_; }

  // Used by sessions.
  const ServerOptions& options() const { return options_; }
  const Router& router() const { return router_; }
  metrics::Metrics& metrics() { return metrics_; }
  asio::io_context& ioc() { return ioc_; }
  // Where batch appends are parsed and submitted (see ingest_ioc_).
  asio::io_context& ingest() { return ingest_ioc_; }
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }
  void Unregister(Session* s) {
    std::lock_guard lock(sessions_mu_);
    sessions_.erase(s);
  }

 private:
  size_t ThreadCount() const {
    size_t n = options_.threads ? options_.threads : std::thread::hardware_concurrency();
    return n ? n : 1;
  }
  void Accept();
  void OnAccept(beast::error_code ec, Socket socket);
  void Sweep();

  ServerOptions options_;
  metrics::Metrics& metrics_;
  Router router_;
  // Declared before ioc_: sessions destroyed with pending handlers in ~io_context unregister.
  std::mutex sessions_mu_;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;          // on its own strand, with accept_retry_ and sweep_
  asio::steady_timer accept_retry_;
  asio::steady_timer sweep_;        // Sweep()'s
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::mutex stop_mu_;              // makes Stop() idempotent and safe to call concurrently
  bool stopped_ = false;
  std::vector<std::thread> threads_;
  // Batch appends (parse + submit of up to 64 MiB) run on their own threads at a lower CPU
  // priority, so the IO threads stay free for small requests and reads: a read then waits
  // neither behind a batch being parsed on both IO threads nor, on a busy machine, for the CPU.
  asio::io_context ingest_ioc_;  // concurrency hint: the default (it is run by several threads)
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> ingest_work_;
  std::vector<std::thread> ingest_threads_;
};

namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

// One connection. Reads are single async_read_some calls into `buffer_`, fed to Beast's
// request parser here (no composed read operations); responses are sent by a non-blocking send
// first, waiting for the socket only when it is full. Deadlines are a field the server's
// sweeper checks (Server::Impl::Sweep), not a timer per operation.
class Session final : public Exchange, public std::enable_shared_from_this<Session> {
 public:
  Session(Server::Impl& server, Socket socket)
      : server_(server), socket_(std::move(socket)) {}
  ~Session() override { server_.Unregister(this); }

  Strand executor() { return socket_.get_executor(); }

  // When this connection times out (Clock ticks); kNoDeadline while a request is handled.
  // Thread-safe (the sweeper reads it under the server's sessions lock).
  Clock::rep deadline() const { return deadline_.load(std::memory_order_relaxed); }

  // REQUIRES (all below): on the session's strand.
  void Start() {
    beast::error_code ec;
    socket_.non_blocking(true, ec);  // Send() must not block the IO thread
    if (ec) return Close(/*linger=*/false);
    ReadHeader();
  }

  // Server stopping: an idle connection (waiting for the next request) is closed now; a busy
  // one finishes its request and closes after the response.
  void Shutdown() {
    if (state_ == State::kReadingHeader) Cancel();
  }

  // The sweeper found the deadline passed (as of `now`): the pending read, write wait or drain
  // fails with operation_aborted and the connection closes.
  void Expire(Clock::time_point now) {
    if (deadline() <= now.time_since_epoch().count()) Cancel();
  }

  const HttpRequest& request() const override { return request_; }

  void Respond(HttpResponse response) override {
    asio::dispatch(socket_.get_executor(),
                   [self = shared_from_this(), r = std::move(response)]() mutable {
                     self->Write(std::move(r), /*linger=*/false);
                   });
  }

  void Post(std::function<void()> fn) override { asio::post(socket_.get_executor(), std::move(fn)); }

 private:
  enum class State { kReadingHeader, kReadingBody, kHandling, kWriting, kClosed };
  static constexpr Clock::rep kNoDeadline = std::numeric_limits<Clock::rep>::max();

  void SetDeadline(std::chrono::milliseconds timeout) {
    deadline_.store((Clock::now() + timeout).time_since_epoch().count(), std::memory_order_relaxed);
  }
  void Cancel() {
    beast::error_code ec;
    socket_.cancel(ec);
  }

  void ReadHeader() {
    if (server_.stopping()) return Close(/*linger=*/false);
    state_ = State::kReadingHeader;
    route = kRouteUnmatched;
    request_.method = Method::kGet;  // until the next request is read
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(server_.options().max_header_bytes));
    // Beast checks Content-Length against body_limit as soon as the header is parsed, before
    // we know the route: allow the largest route limit here and narrow it in OnHeader.
    parser_->body_limit(std::max(server_.options().max_event_bytes, server_.options().max_batch_bytes));
    SetDeadline(server_.options().header_timeout);
    Parse();
  }

  // Feeds what `buffer_` holds to the parser, reading more while it needs more. Every path
  // ends in exactly one pending operation or a handed-off request.
  void Parse() {
    for (;;) {
      if (state_ == State::kReadingHeader && parser_->is_header_done()) {
        if (!OnHeader()) return;
      }
      if (state_ == State::kReadingBody && parser_->is_done()) return OnBody();
      if (buffer_.size() == 0) return ReadMore();
      beast::error_code ec;
      const size_t used = parser_->put(buffer_.data(), ec);
      buffer_.consume(used);
      if (ec == bhttp::error::need_more) return ReadMore();
      if (ec) return OnParseError(ec);
    }
  }

  void ReadMore() {
    auto space = buffer_.prepare(beast::read_size(buffer_, kBodyReadChunk));
    socket_.async_read_some(space, [self = shared_from_this()](beast::error_code ec, size_t n) {
      self->OnRead(ec, n);
    });
  }

  void OnRead(beast::error_code ec, size_t n) {
    // EOF (before or inside a request), reset, timeout or cancellation: just close.
    if (ec) return Close(/*linger=*/false);
    buffer_.commit(n);
    Parse();
  }

  void OnParseError(beast::error_code ec) {
    start_ = Clock::now();
    if (ec == bhttp::error::header_limit) {
      return WriteError(431, "header_too_large", "request header exceeds the limit");
    }
    if (ec == bhttp::error::body_limit) {
      return WriteError(413, "payload_too_large", "request body exceeds the limit");
    }
    WriteError(400, "bad_request", "malformed HTTP request: " + ec.message());
  }

  // The header is in: route it, check the body's size, answer Expect: 100-continue. Returns
  // true to go on reading the body, false if it answered or handed off the connection.
  bool OnHeader() {
    start_ = Clock::now();
    state_ = State::kReadingBody;
    auto& msg = parser_->get();
    route = Router::RouteOf(std::string_view(msg.target().data(), msg.target().size()));
    const size_t limit = route == route::kBatch ? server_.options().max_batch_bytes
                                                : server_.options().max_event_bytes;
    parser_->body_limit(limit);
    if (auto len = parser_->content_length(); len && *len > limit) {
      WriteError(413, "payload_too_large",
                 "request body exceeds " + std::to_string(limit) + " bytes");
      return false;
    }
    parser_->eager(true);  // from here on, parse all the body bytes each put() is given
    SetDeadline(server_.options().body_timeout);
    if (parser_->is_done()) return true;
    // Room past the body lets the JSON parser read it in place instead of copying it.
    if (auto len = parser_->content_length()) msg.body().reserve(*len + kJsonPadding);
    if (auto len = parser_->content_length(); len && *len > kBodyReadChunk / 4) {
      // A read takes at most the buffer's free space, and a connection's buffer is a few KiB:
      // a 250 KB batch body took ~230 reads. Room for 64 KiB per read takes ~4.
      buffer_.reserve(buffer_.size() + kBodyReadChunk);
    }
    auto expect = msg[bhttp::field::expect];
    if (EqualsIgnoreCase(std::string_view(expect.data(), expect.size()), "100-continue")) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      asio::async_write(socket_, asio::buffer(kContinue.data(), kContinue.size()),
                        [self = shared_from_this()](beast::error_code ec, size_t) {
                          if (ec) return self->Close(/*linger=*/false);
                          self->Parse();
                        });
      return false;
    }
    return true;
  }

  void OnBody() {
    auto msg = parser_->release();
    parser_.reset();
    request_.method = ParseMethod(std::string_view(msg.method_string().data(), msg.method_string().size()));
    request_.target.assign(msg.target().data(), msg.target().size());
    if (auto it = msg.find(bhttp::field::content_type); it != msg.end()) {
      request_.content_type.emplace(it->value().data(), it->value().size());
    } else {
      request_.content_type.reset();
    }
    request_.cluster_token.reset();
    if (auto it = msg.find("X-Cluster-Token"); it != msg.end()) {
      request_.cluster_token.emplace(it->value().data(), it->value().size());
    } else if (auto auth = msg.find(bhttp::field::authorization); auth != msg.end()) {
      std::string_view v(auth->value().data(), auth->value().size());
      if (v.size() > 7 && (v.starts_with("Bearer ") || v.starts_with("bearer ")))
        request_.cluster_token.emplace(v.substr(7));
    }
    request_.body = std::move(msg.body());
    version_ = msg.version();
    keep_alive_ = msg.keep_alive();
    state_ = State::kHandling;
    deadline_.store(kNoDeadline, std::memory_order_relaxed);
    work_.emplace(asio::make_work_guard(server_.ioc()));
    if (route == route::kBatch) {
      asio::post(server_.ingest(), [self = shared_from_this()] { self->server_.router().Handle(self); });
      return;
    }
    server_.router().Handle(shared_from_this());
  }

  // An error found by the server itself (before routing): answer and close the connection.
  void WriteError(int status, std::string_view code, std::string message) {
    keep_alive_ = false;
    Write(ErrorResponse(status, code, message), /*linger=*/true);
  }

  void Write(HttpResponse r, bool linger) {
    if (state_ == State::kWriting || state_ == State::kClosed) return;  // answered already
    state_ = State::kWriting;
    close_after_write_ = r.close || !keep_alive_ || server_.stopping();
    linger_ = linger;
    const bool head = request_.method == Method::kHead;
    // The head is serialized here, into one buffer reused across requests: Beast's response
    // serializer cost more CPU than the rest of a small request's HTTP work.
    head_.clear();
    head_ += version_ >= 11 ? "HTTP/1.1 " : "HTTP/1.0 ";
    head_ += std::to_string(r.status);
    head_ += ' ';
    const auto reason = bhttp::obsolete_reason(static_cast<bhttp::status>(r.status));
    head_.append(reason.data(), reason.size());
    head_ += "\r\nServer: annal\r\nContent-Type: ";
    head_ += r.content_type;
    for (const auto& [name, value] : r.headers) {
      head_ += "\r\n";
      head_ += name;
      head_ += ": ";
      head_ += value;
    }
    if (version_ >= 11 && close_after_write_) head_ += "\r\nConnection: close";
    if (version_ < 11 && !close_after_write_) head_ += "\r\nConnection: keep-alive";
    head_ += "\r\nContent-Length: ";  // for HEAD: what GET would send; no body follows
    head_ += std::to_string(r.body.size());
    head_ += "\r\n\r\n";
    body_ = head ? std::string() : std::move(r.body);
    server_.metrics().HttpRequest(route, r.status,
                                  std::chrono::duration<double>(Clock::now() - start_).count());
    request_.body.clear();
    request_.body.shrink_to_fit();
    written_ = 0;
    SetDeadline(server_.options().body_timeout);
    work_.reset();  // the pending send or read keeps the io_context busy from here on
    Send();
  }

  // Sends what is left of head_ + body_ without blocking; waits for room when the socket is
  // full. A small answer goes out in the one call, with no trip through the io_context.
  void Send() {
    for (;;) {
      std::array<asio::const_buffer, 2> buffers{asio::buffer(head_), asio::buffer(body_)};
      const size_t total = head_.size() + body_.size();
      auto rest = beast::buffers_suffix<std::array<asio::const_buffer, 2>>(buffers);
      rest.consume(written_);
      beast::error_code ec;
      const size_t n = socket_.write_some(rest, ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) {
        socket_.async_wait(tcp::socket::wait_write,
                           [self = shared_from_this()](beast::error_code wait_ec) {
                             if (wait_ec) return self->OnWritten(wait_ec);
                             self->Send();
                           });
        return;
      }
      if (ec) return OnWritten(ec);
      written_ += n;
      if (written_ == total) return OnWritten({});
    }
  }

  void OnWritten(beast::error_code ec) {
    body_.clear();
    body_.shrink_to_fit();
    // Idle connections keep no big read buffer.
    if (buffer_.capacity() > kBodyReadChunk) buffer_.shrink_to_fit();
    if (ec || close_after_write_) return Close(linger_ && !ec);
    if (buffer_.size() > 0) {
      // A pipelined request is buffered: parse it from the io_context, not from this stack
      // (which may be inside the previous request's handler).
      return asio::post(socket_.get_executor(), [self = shared_from_this()] { self->ReadHeader(); });
    }
    ReadHeader();
  }

  void Close(bool linger) {
    state_ = State::kClosed;
    work_.reset();
    beast::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    if (!linger || ec) return CloseSocket();
    SetDeadline(kLingerTimeout);
    Drain();
  }

  // The end of a connection: nothing left for the sweeper to expire.
  void CloseSocket() {
    deadline_.store(kNoDeadline, std::memory_order_relaxed);
    beast::error_code ignored;
    socket_.close(ignored);
  }

  // Reads and discards until EOF, error or kLingerTimeout, then closes.
  void Drain() {
    buffer_.clear();
    socket_.async_read_some(buffer_.prepare(4096),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (ec) return self->CloseSocket();
                              self->Drain();
                            });
  }

  Server::Impl& server_;
  Socket socket_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::string head_;  // status line and header fields of the response being written
  std::string body_;  // its body
  size_t written_ = 0;  // bytes of head_ + body_ sent
  bool close_after_write_ = false;
  bool linger_ = false;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::atomic<Clock::rep> deadline_{kNoDeadline};
  HttpRequest request_;
  unsigned version_ = 11;
  bool keep_alive_ = false;
  State state_ = State::kReadingHeader;
  Clock::time_point start_ = Clock::now();
};

}  // namespace

Status Server::Impl::Listen() {
  beast::error_code ec;
  auto fail = [&](std::string_view what) {
    return IOError("cannot listen on " + options_.host + ":" + std::to_string(options_.port) +
                   ": " + std::string(what) + ": " + ec.message());
  };
  tcp::endpoint endpoint;
  auto address = asio::ip::make_address(options_.host, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, options_.port);
  } else {
    tcp::resolver resolver(ioc_);
    auto results = resolver.resolve(options_.host, std::to_string(options_.port),
                                    tcp::resolver::passive, ec);
    if (ec || results.empty()) return fail("resolve");
    endpoint = results.begin()->endpoint();
  }
  acceptor_.open(endpoint.protocol(), ec);
  if (ec) return fail("open");
  acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return fail("SO_REUSEADDR");
  acceptor_.bind(endpoint, ec);
  if (ec) return fail("bind");
  acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen");
  port_ = acceptor_.local_endpoint(ec).port();
  if (ec) return fail("local_endpoint");
  return Status::Ok();
}

namespace {

// io_context::run until it runs out of work. A handler that throws (a bug or bad_alloc) is
// logged and the thread keeps serving.
void RunLogging(asio::io_context& ioc) {
  for (;;) {
    try {
      ioc.run();
      return;
    } catch (const std::exception& e) {
      spdlog::error("http: handler exception: {}", e.what());
    }
  }
}

}  // namespace

void Server::Impl::Run() {
  asio::dispatch(acceptor_.get_executor(), [this] {
    Accept();
    Sweep();
  });
  ingest_work_.emplace(asio::make_work_guard(ingest_ioc_));
  const size_t n = ThreadCount();
  for (size_t i = 0; i < n; ++i) {
    ingest_threads_.push_back(NamedThread("annal-ingest", [this] {
      // Nice 5 (about a third of a normal thread's CPU share when both want the CPU). Linux
      // applies nice per thread; failure only loses the preference.
      if (::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 5) != 0)
        spdlog::debug("http: cannot lower the ingest thread's priority: {}", std::strerror(errno));
      SetGivesWay(true);  // and gives way often enough for that to matter (core/give_way.h)
      RunLogging(ingest_ioc_);
    }));
  }
  threads_.reserve(n);
  for (size_t i = 0; i < n; ++i)
    threads_.push_back(NamedThread("annal-http", [this] { RunLogging(ioc_); }));
}

void Server::Impl::Accept() {
  acceptor_.async_accept(asio::make_strand(ioc_), [this](beast::error_code ec, Socket socket) {
    OnAccept(ec, std::move(socket));
  });
}

// Every connection has a deadline while it waits for the client (header, body, room to send
// the answer, the linger after an error); a timer of the server's own finds the connections
// past theirs and has each closed on its strand. One timer for all, instead of a timer set and
// cancelled on every read and write (two timerfd_settime calls per request at low load). A
// connection is closed up to one sweep period after its deadline. Runs until the server stops
// and its last connection is gone (the linger of a connection Stop() waits for ends here).
void Server::Impl::Sweep() {
  const auto shortest = std::min({options_.header_timeout, options_.body_timeout, kLingerTimeout});
  const auto period = stopping() ? std::chrono::milliseconds(10)
                                 : std::clamp(shortest / 8, std::chrono::milliseconds(10),
                                              std::chrono::milliseconds(250));
  sweep_.expires_after(period);
  sweep_.async_wait([this](beast::error_code ec) {
    if (ec && !stopping()) return;  // cancelled other than by Stop()
    const auto now = Clock::now();
    std::vector<std::shared_ptr<Session>> expired;
    bool any = false;
    {
      std::lock_guard lock(sessions_mu_);
      any = !sessions_.empty();
      for (auto& [ptr, weak] : sessions_) {
        if (ptr->deadline() > now.time_since_epoch().count()) continue;
        if (auto s = weak.lock()) expired.push_back(std::move(s));
      }
    }
    for (auto& s : expired) asio::post(s->executor(), [s, now] { s->Expire(now); });
    expired.clear();  // outside the lock: this may destroy a session, which unregisters itself
    if (stopping() && !any) return;
    Sweep();
  });
}

void Server::Impl::OnAccept(beast::error_code ec, Socket socket) {
  if (!acceptor_.is_open() || ec == asio::error::operation_aborted) return;
  if (ec) {
    // E.g. EMFILE: retry shortly instead of spinning.
    spdlog::warn("http: accept failed: {}", ec.message());
    accept_retry_.expires_after(std::chrono::milliseconds(100));
    accept_retry_.async_wait([this](beast::error_code wait_ec) {
      if (!wait_ec && acceptor_.is_open()) Accept();
    });
    return;
  }
  if (!stopping()) {
    socket.set_option(tcp::no_delay(true), ec);
    auto session = std::make_shared<Session>(*this, std::move(socket));
    {
      std::lock_guard lock(sessions_mu_);
      sessions_.emplace(session.get(), session);
    }
    asio::dispatch(session->executor(), [session] { session->Start(); });
  }
  Accept();
}

void Server::Impl::Stop() {
  {
    std::lock_guard lock(stop_mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  for (const auto& t : threads_) {
    ANNAL_CHECK_MSG(t.get_id() != std::this_thread::get_id(),
                    "Server::Stop() called from a server thread");
  }
  stopping_.store(true, std::memory_order_release);
  asio::post(acceptor_.get_executor(), [this] {
    beast::error_code ec;
    acceptor_.close(ec);
    accept_retry_.cancel();
    sweep_.cancel();  // sweeps on, faster, until the last connection is gone
  });
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(sessions_mu_);
    for (auto& [ptr, weak] : sessions_) {
      if (auto s = weak.lock()) live.push_back(std::move(s));
    }
  }
  for (auto& s : live) asio::post(s->executor(), [s] { s->Shutdown(); });
  live.clear();  // outside the lock: this may destroy a session, which unregisters itself
  // Busy sessions finish (every read and write has a deadline; in-flight appends hold work
  // guards until answered), then run() returns on every thread.
  for (auto& t : threads_) t.join();
  threads_.clear();
  // Every request was answered (the IO threads ran out of work only then), so no batch is left.
  ingest_work_.reset();
  for (auto& t : ingest_threads_) t.join();
  ingest_threads_.clear();
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() { Stop(); }

Result<std::unique_ptr<Server>> Server::Start(ServerOptions options, store::EventStore& store,
                                              metrics::Metrics& metrics) {
  auto impl = std::make_unique<Impl>(std::move(options), store, metrics);
  ANNAL_RETURN_IF_ERROR(impl->Listen());
  impl->Run();
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Result<std::unique_ptr<Server>> Server::Start(ServerOptions options, ClusterView& cluster,
                                              metrics::Metrics& metrics) {
  auto impl = std::make_unique<Impl>(std::move(options), cluster, metrics);
  ANNAL_RETURN_IF_ERROR(impl->Listen());
  impl->Run();
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

uint16_t Server::port() const { return impl_->port(); }

void Server::Stop() {
  if (impl_) impl_->Stop();
}

}  // namespace annal::http
