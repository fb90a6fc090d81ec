// The load driver: closed-loop clients (each sends its next request when the previous one is
// answered) on a few epoll event loops.
//
// Why an event loop and not a thread per client: this machine has 2 cores and the system under
// test runs on them too. 64 blocking client threads would cost a context switch and a wake-up
// per request each and put 64 runnable threads in the scheduler's queue next to the server's;
// one epoll loop serves every ready connection per epoll_wait, typically a few percent of one
// core. The driver reports its own CPU time for the measured window (getrusage) so a saturated
// driver is visible in every result; --threads spreads the connections over more loops if one
// ever is the bottleneck.
//
// Timeline: all connections are opened and prepared first (blocking, not measured); then every
// client runs for warmup + duration. Only requests completing inside the measured window count
// towards throughput and latency. At the end no new request starts and the ones in flight are
// waited for (up to the request timeout), so every acknowledged write is known — the count a
// correctness check compares with what the system stored. Latency is from the first byte sent to
// the last byte of the answer; closed-loop, so no coordinated-omission correction is attempted.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "connection.h"
#include "event_source.h"
#include "run_stats.h"

namespace annal::loadgen {

struct DriverConfig {
  int writers = 1;  // clients doing writes
  int readers = 0;  // clients doing 100-event stream reads, concurrently
  int threads = 1;  // event loops the connections are spread over
  double warmup_s = 0;
  double duration_s = 1;
  double request_timeout_s = 30;  // a request not answered by then fails as "timeout"
};

using ConnectionFactory = std::function<std::unique_ptr<Connection>()>;
// The EventSource of client number `client` (0-based; writers first, then readers).
using EventSourceFactory = std::function<EventSource(int client)>;

struct DriverResult {
  std::string setup_error;  // a connection could not be opened; nothing was measured
  RunStats stats;
  DriverCpu cpu;
};

DriverResult RunLoad(const DriverConfig& config, const ConnectionFactory& connect,
                     const EventSourceFactory& sources);

}  // namespace annal::loadgen
