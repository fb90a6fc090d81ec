// The HTTP server: Boost.Beast on a small Asio thread pool, AllSource-compatible routes
// (DESIGN.md §6, shared API.md). Beast/Asio types stay inside src/http/*.cc.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"

namespace annal::store { class EventStore; }
namespace annal::metrics { class Metrics; }
namespace annal::http { class ClusterView; }

namespace annal::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 3900;                         // 0 = pick a free port (tests)
  size_t threads = 0;                           // 0 = hardware concurrency
  size_t max_event_bytes = 1u << 20;            // body limit of POST /api/v1/events
  size_t max_batch_bytes = 64u << 20;           // body limit of POST /api/v1/events/batch
  size_t max_query_results = 100000;
  std::chrono::milliseconds header_timeout{10000};  // idle keep-alive / header read
  std::chrono::milliseconds body_timeout{30000};    // whole body read; also each response write
  size_t max_header_bytes = 16u << 10;          // request line + headers; more -> 431
  std::string version = "0.1.0";
};

class Server {
 public:
  // Binds and starts serving. The store and metrics must outlive the server.
  static Result<std::unique_ptr<Server>> Start(ServerOptions options, store::EventStore& store,
                                               metrics::Metrics& metrics);
  // A replicating node: role, store, write ack levels and /health come from `cluster`, which
  // must outlive the server.
  static Result<std::unique_ptr<Server>> Start(ServerOptions options, ClusterView& cluster,
                                               metrics::Metrics& metrics);
  ~Server();  // Stop()

  uint16_t port() const;  // the bound port (useful with port 0)
  // Stops accepting, lets in-flight requests (including appends waiting for fdatasync)
  // finish and be answered, then joins the threads. Idempotent.
  // REQUIRES: not called from a server thread (it joins them).
  void Stop();

  class Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace annal::http
