#include "driver.h"

#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

namespace annal::loadgen {
namespace {

using Clock = std::chrono::steady_clock;

struct Timeline {
  Clock::time_point measure_begin;  // end of warm-up
  Clock::time_point measure_end;    // no new request after this
  Clock::time_point give_up;        // requests still in flight then are failed as "unfinished"
};

struct Client {
  std::unique_ptr<Connection> connection;
  EventSource events;
  OpKind role;
  bool connected = false;
  bool busy = false;
  Clock::time_point started{};   // when the request in flight began
  Clock::time_point retry_at{};  // when to reconnect after a failed attempt
  int registered_fd = -1;        // the fd in epoll, -1 if none
  Wait registered_wait = Wait::kRead;
};

// One event loop over a share of the clients. Everything here runs on the loop's own thread.
class EventLoop {
 public:
  EventLoop(std::vector<Client> clients, Timeline timeline, Clock::duration request_timeout)
      : clients_(std::move(clients)), timeline_(timeline), request_timeout_(request_timeout) {}
  ~EventLoop() {
    if (epoll_ >= 0) ::close(epoll_);
  }

  void Run();
  const RunStats& stats() const { return stats_; }

 private:
  void Register(Client& c);
  void Unregister(Client& c);
  void Watch(Client& c, Wait wait);
  bool TryConnect(Client& c, Clock::time_point now);
  void Start(Client& c);
  void Drive(Client& c);
  void Complete(Client& c, const Outcome& outcome, Clock::time_point now);
  void Scan(Clock::time_point now);

  std::vector<Client> clients_;
  Timeline timeline_;
  Clock::duration request_timeout_;
  int epoll_ = -1;
  bool stopping_ = false;
  int busy_ = 0;
  std::vector<Client*> to_send_;  // started requests whose first send is still to happen
  RunStats stats_;
};

void EventLoop::Register(Client& c) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = &c;
  c.registered_fd = c.connection->fd();
  c.registered_wait = Wait::kRead;
  ::epoll_ctl(epoll_, EPOLL_CTL_ADD, c.registered_fd, &ev);
}

void EventLoop::Unregister(Client& c) {
  if (c.registered_fd < 0) return;
  ::epoll_ctl(epoll_, EPOLL_CTL_DEL, c.registered_fd, nullptr);
  c.registered_fd = -1;
}

void EventLoop::Watch(Client& c, Wait wait) {
  if (c.registered_fd < 0 || wait == c.registered_wait) return;
  epoll_event ev{};
  ev.events = wait == Wait::kReadWrite ? (EPOLLIN | EPOLLOUT) : EPOLLIN;
  ev.data.ptr = &c;
  ::epoll_ctl(epoll_, EPOLL_CTL_MOD, c.registered_fd, &ev);
  c.registered_wait = wait;
}

bool EventLoop::TryConnect(Client& c, Clock::time_point now) {
  const std::string error = c.connection->Connect();
  if (!error.empty()) {
    stats_.AddError("connect", error);
    c.retry_at = now + std::chrono::seconds(1);
    return false;
  }
  ++stats_.reconnects;
  c.connected = true;
  Register(c);
  return true;
}

void EventLoop::Start(Client& c) {
  c.connection->Prepare(c.role, c.events);
  c.busy = true;
  ++busy_;
  to_send_.push_back(&c);
}

void EventLoop::Drive(Client& c) {
  if (!c.busy) return;
  Wait wait = Wait::kRead;
  if (auto outcome = c.connection->Progress(wait)) {
    Complete(c, *outcome, Clock::now());
  } else {
    Watch(c, wait);
  }
}

void EventLoop::Complete(Client& c, const Outcome& outcome, Clock::time_point now) {
  c.busy = false;
  --busy_;
  const bool in_window = now >= timeline_.measure_begin && now < timeline_.measure_end;
  OpStats& op = c.role == OpKind::kWrite ? stats_.write : stats_.read;
  if (outcome.ok) {
    if (c.role == OpKind::kWrite) stats_.acked_events_total += outcome.events;
    if (in_window) {
      ++op.requests;
      op.events += outcome.events;
      op.AddEventsAt(static_cast<size_t>((now - timeline_.measure_begin) / std::chrono::seconds(1)),
                     outcome.events);
      op.latency.Record(static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(now - c.started).count()));
    }
  } else {
    stats_.AddError(outcome.error_kind, outcome.error_detail);
    if (in_window) ++op.errors;
  }
  stopping_ = stopping_ || now >= timeline_.measure_end;
  if (outcome.reconnect) {
    Unregister(c);
    c.connection->Close();
    c.connected = false;
    if (!stopping_) TryConnect(c, now);
  }
  if (stopping_) {
    Unregister(c);  // an idle socket the server closes must not wake this loop forever
  } else if (c.connected) {
    Start(c);
  }
}

// Fails requests past their timeout and retries failed connections.
void EventLoop::Scan(Clock::time_point now) {
  for (Client& c : clients_) {
    if (c.busy && now - c.started > request_timeout_) {
      Complete(c, Outcome::Failure("timeout", "no answer within the request timeout", true), now);
    } else if (!c.busy && !c.connected && !stopping_ && now >= c.retry_at) {
      if (TryConnect(c, now)) Start(c);
    }
  }
}

void EventLoop::Run() {
  epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
  for (Client& c : clients_) Register(c);
  for (Client& c : clients_) Start(c);
  std::vector<epoll_event> events(256);
  std::vector<Client*> sending;
  auto next_scan = Clock::now();
  while (true) {
    // First sends of the requests just started (queued, not sent from Complete, so a fast
    // failure cannot recurse).
    while (!to_send_.empty()) {
      sending.swap(to_send_);
      for (Client* c : sending) {
        // The clock starts at the first send, not when the request was queued behind the
        // other answers of the same epoll round (that wait is the driver's, not the system's).
        c->started = Clock::now();
        Drive(*c);
      }
      sending.clear();
    }
    const auto now = Clock::now();
    if (now >= timeline_.measure_end) stopping_ = true;
    if (stopping_ && busy_ == 0) break;
    if (now >= timeline_.give_up) {
      for (Client& c : clients_) {
        if (c.busy)
          Complete(c, Outcome::Failure("unfinished", "still in flight at the end", true), now);
      }
      break;
    }
    if (now >= next_scan) {
      Scan(now);
      next_scan = now + std::chrono::milliseconds(10);
      continue;  // Scan may have started requests
    }
    auto until = std::min(next_scan, stopping_ ? timeline_.give_up : timeline_.measure_end);
    const auto wait_ms = std::chrono::ceil<std::chrono::milliseconds>(until - now).count();
    const int n = ::epoll_wait(epoll_, events.data(), static_cast<int>(events.size()),
                               static_cast<int>(std::clamp<int64_t>(wait_ms, 0, 10)));
    for (int i = 0; i < n; ++i) Drive(*static_cast<Client*>(events[i].data.ptr));
  }
  for (Client& c : clients_) {
    Unregister(c);
    c.connection->Close();
  }
}

double Seconds(const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; }

}  // namespace

DriverResult RunLoad(const DriverConfig& config, const ConnectionFactory& connect,
                     const EventSourceFactory& sources) {
  DriverResult result;
  const int threads = std::max(1, std::min(config.threads, config.writers + config.readers));
  std::vector<std::vector<Client>> shares(static_cast<size_t>(threads));
  for (int i = 0; i < config.writers + config.readers; ++i) {
    Client c{.connection = connect(),
             .events = sources(i),
             .role = i < config.writers ? OpKind::kWrite : OpKind::kRead};
    if (std::string error = c.connection->Connect(); !error.empty()) {
      result.setup_error = "client " + std::to_string(i) + ": " + error;
      return result;
    }
    c.connected = true;
    shares[static_cast<size_t>(i % threads)].push_back(std::move(c));
  }

  const auto begin = Clock::now();
  auto to_clock = [](double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
  };
  const Timeline timeline{
      begin + to_clock(config.warmup_s), begin + to_clock(config.warmup_s + config.duration_s),
      begin + to_clock(config.warmup_s + config.duration_s + config.request_timeout_s)};
  std::vector<std::unique_ptr<EventLoop>> loops;
  for (auto& share : shares) {
    loops.push_back(std::make_unique<EventLoop>(std::move(share), timeline,
                                                to_clock(config.request_timeout_s)));
  }
  std::vector<std::thread> workers;
  for (auto& loop : loops) workers.emplace_back([&loop] { loop->Run(); });

  rusage before{}, after{};
  std::this_thread::sleep_until(timeline.measure_begin);
  ::getrusage(RUSAGE_SELF, &before);
  std::this_thread::sleep_until(timeline.measure_end);
  ::getrusage(RUSAGE_SELF, &after);
  for (auto& w : workers) w.join();

  for (auto& loop : loops) result.stats.Merge(loop->stats());
  result.cpu.threads = threads;
  result.cpu.user_s = Seconds(after.ru_utime) - Seconds(before.ru_utime);
  result.cpu.sys_s = Seconds(after.ru_stime) - Seconds(before.ru_stime);
  return result;
}

}  // namespace annal::loadgen
