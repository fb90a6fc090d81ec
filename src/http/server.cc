// The Boost.Beast HTTP/1.1 server. The only file in Annal that includes Beast.
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
#include <boost/beast/core.hpp>
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
using Stream = beast::basic_stream<tcp, Strand, beast::unlimited_rate_policy>;
using Socket = asio::basic_stream_socket<tcp, Strand>;
// How long a connection we close because of a bad request keeps draining the client's
// unread bytes, so our error response is not destroyed by a TCP reset.
constexpr std::chrono::milliseconds kLingerTimeout{1000};
// Beast's largest single read (beast::read_size caps it at 64 KiB).
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
        accept_retry_(acceptor_.get_executor()) {}

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

  ServerOptions options_;
  metrics::Metrics& metrics_;
  Router router_;
  // Declared before ioc_: sessions destroyed with pending handlers in ~io_context unregister.
  std::mutex sessions_mu_;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;          // on its own strand, with accept_retry_
  asio::steady_timer accept_retry_;
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

bool IsHttpParseError(const beast::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category();
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

class Session final : public Exchange, public std::enable_shared_from_this<Session> {
 public:
  Session(Server::Impl& server, Socket socket)
      : server_(server), stream_(std::move(socket)) {}
  ~Session() override { server_.Unregister(this); }

  Strand executor() { return stream_.get_executor(); }

  // REQUIRES (all below): on the session's strand.
  void Start() { ReadHeader(); }

  // Server stopping: an idle connection (waiting for the next request) is closed now; a busy
  // one finishes its request and closes after the response.
  void Shutdown() {
    if (state_ == State::kReadingHeader) stream_.cancel();
  }

  const HttpRequest& request() const override { return request_; }

  void Respond(HttpResponse response) override {
    asio::dispatch(stream_.get_executor(),
                   [self = shared_from_this(), r = std::move(response)]() mutable {
                     self->Write(std::move(r), /*linger=*/false);
                   });
  }

  void Post(std::function<void()> fn) override { asio::post(stream_.get_executor(), std::move(fn)); }

 private:
  enum class State { kReadingHeader, kReadingBody, kHandling, kWriting, kClosed };

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
    stream_.expires_after(server_.options().header_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = shared_from_this()](beast::error_code ec, size_t) {
                               self->OnHeader(ec);
                             });
  }

  void OnHeader(beast::error_code ec) {
    start_ = Clock::now();
    if (ec == bhttp::error::header_limit) {
      return WriteError(431, "header_too_large", "request header exceeds the limit");
    }
    if (ec == bhttp::error::body_limit) {
      return WriteError(413, "payload_too_large", "request body exceeds the limit");
    }
    if (ec) {
      // EOF, reset, timeout or cancellation while idle: just close. Garbage: 400 and close.
      if (IsHttpParseError(ec) && ec != bhttp::error::end_of_stream &&
          ec != bhttp::error::partial_message) {
        return WriteError(400, "bad_request", "malformed HTTP request: " + ec.message());
      }
      return Close(/*linger=*/false);
    }
    auto& msg = parser_->get();
    route = Router::RouteOf(std::string_view(msg.target().data(), msg.target().size()));
    const size_t limit = route == route::kBatch ? server_.options().max_batch_bytes
                                                : server_.options().max_event_bytes;
    parser_->body_limit(limit);
    if (auto len = parser_->content_length(); len && *len > limit) {
      return WriteError(413, "payload_too_large",
                        "request body exceeds " + std::to_string(limit) + " bytes");
    }
    if (parser_->is_done()) return OnBody({});
    // Room past the body lets the JSON parser read it in place instead of copying it.
    if (auto len = parser_->content_length()) msg.body().reserve(*len + kJsonPadding);
    if (auto len = parser_->content_length(); len && *len > kBodyReadChunk / 4) {
      // Beast reads at most the buffer's free space per recvmsg, and a connection's buffer is a
      // few KiB: a 250 KB batch body took ~230 reads. Room for 64 KiB per read takes ~4.
      buffer_.reserve(buffer_.size() + kBodyReadChunk);
    }
    auto expect = msg[bhttp::field::expect];
    if (EqualsIgnoreCase(std::string_view(expect.data(), expect.size()), "100-continue")) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      stream_.expires_after(server_.options().body_timeout);
      return asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                               [self = shared_from_this()](beast::error_code ec, size_t) {
                                 if (ec) return self->Close(/*linger=*/false);
                                 self->ReadBody();
                               });
    }
    ReadBody();
  }

  void ReadBody() {
    state_ = State::kReadingBody;
    stream_.expires_after(server_.options().body_timeout);
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        self->OnBody(ec);
                      });
  }

  void OnBody(beast::error_code ec) {
    if (ec == bhttp::error::body_limit) {
      return WriteError(413, "payload_too_large", "request body exceeds the limit");
    }
    if (ec) {
      if (IsHttpParseError(ec) && ec != bhttp::error::end_of_stream &&
          ec != bhttp::error::partial_message) {
        return WriteError(400, "bad_request", "malformed HTTP request: " + ec.message());
      }
      return Close(/*linger=*/false);  // timeout, reset, client gone
    }
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
    stream_.expires_never();
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
    const bool close = r.close || !keep_alive_ || server_.stopping();
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
    if (version_ >= 11 && close) head_ += "\r\nConnection: close";
    if (version_ < 11 && !close) head_ += "\r\nConnection: keep-alive";
    head_ += "\r\nContent-Length: ";  // for HEAD: what GET would send; no body follows
    head_ += std::to_string(r.body.size());
    head_ += "\r\n\r\n";
    body_ = head ? std::string() : std::move(r.body);
    server_.metrics().HttpRequest(route, r.status,
                                  std::chrono::duration<double>(Clock::now() - start_).count());
    request_.body.clear();
    request_.body.shrink_to_fit();
    stream_.expires_after(server_.options().body_timeout);
    std::array<asio::const_buffer, 2> buffers{asio::buffer(head_), asio::buffer(body_)};
    asio::async_write(stream_, buffers,
                      [self = shared_from_this(), close, linger](beast::error_code ec, size_t) {
                        self->body_.clear();
                        self->body_.shrink_to_fit();
                        // Idle connections keep no big read buffer.
                        if (self->buffer_.capacity() > kBodyReadChunk) self->buffer_.shrink_to_fit();
                        if (ec || close) return self->Close(linger && !ec);
                        self->ReadHeader();
                      });
    work_.reset();  // the pending write keeps the io_context busy from here on
  }

  void Close(bool linger) {
    state_ = State::kClosed;
    work_.reset();
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (!linger || ec) {
      stream_.socket().close(ec);
      return;
    }
    stream_.expires_after(kLingerTimeout);
    Drain();
  }

  // Reads and discards until EOF, error or kLingerTimeout, then closes.
  void Drain() {
    buffer_.clear();
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (ec) {
                                beast::error_code ignored;
                                self->stream_.socket().close(ignored);
                                return;
                              }
                              self->Drain();
                            });
  }

  Server::Impl& server_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::string head_;  // status line and header fields of the response being written
  std::string body_;  // its body
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
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
  asio::dispatch(acceptor_.get_executor(), [this] { Accept(); });
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
