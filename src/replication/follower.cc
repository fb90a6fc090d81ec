#include "replication/follower.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "core/clock.h"
#include "core/crc32c.h"
#include "replication/protocol.h"
#include "replication/socket.h"
#include "replication/wal_entry.h"
#include "store/event_store.h"
#include "core/thread_name.h"

namespace annal::replication {

namespace {

// Hands decoded batches to EventStore::ApplyReplicatedAsync on a thread of its own, so that the
// reader thread decodes and verifies the next entries while these are indexed and encoded.
// Bounded: Push blocks while kMaxQueued batches wait (back-pressure on the socket). Batches
// are applied in order; the destructor applies what is queued, then joins.
class Applier {
 public:
  explicit Applier(std::function<void(std::vector<Event>)> apply)
      : apply_(std::move(apply)), thread_([this] { Run(); }) {}
  ~Applier() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

  void Push(std::vector<Event> batch) {
    std::unique_lock lock(mu_);
    room_.wait(lock, [&] { return queue_.size() < kMaxQueued; });
    queue_.push_back(std::move(batch));
    wake_.notify_one();
  }

  // Waits until every pushed batch was handed to the store.
  void Drain() {
    std::unique_lock lock(mu_);
    room_.wait(lock, [&] { return queue_.empty() && !busy_; });
  }

 private:
  static constexpr size_t kMaxQueued = 4;

  void Run() {
    std::unique_lock lock(mu_);
    for (;;) {
      wake_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stop_ and nothing left
      std::vector<Event> batch = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
      lock.unlock();
      apply_(std::move(batch));
      lock.lock();
      busy_ = false;
      room_.notify_all();
    }
  }

  std::function<void(std::vector<Event>)> apply_;
  std::mutex mu_;
  std::condition_variable wake_, room_;
  std::deque<std::vector<Event>> queue_;  // guarded by mu_
  bool busy_ = false;                     // guarded by mu_: apply_ running
  bool stop_ = false;                     // guarded by mu_
  std::thread thread_;                    // last: starts after the members above exist
};

}  // namespace

class FollowerClient::Impl {
 public:
  Impl(FollowerOptions options, FollowerHost& host) : options_(std::move(options)), host_(host) {
    status_.leader = options_.leader_host + ":" + std::to_string(options_.leader_port);
  }

  void Start() { thread_ = NamedThread("annal-follow", [this] { Loop(); }); }

  void Stop() {
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
      stop_ = true;
      if (conn_) conn_->Shutdown();
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  void Repoint(std::string host, uint16_t port) {
    std::lock_guard lock(mu_);
    options_.leader_host = std::move(host);
    options_.leader_port = port;
    status_.leader = options_.leader_host + ":" + std::to_string(port);
    if (conn_) conn_->Shutdown();
    wake_.notify_all();
  }

  FollowerStatus status() const {
    std::lock_guard lock(mu_);
    return status_;
  }

 private:
  void Loop();
  // One connection, from subscribe to its end. Returns why it ended.
  Status Session(Connection& conn);
  Status ReceiveSnapshotChunk(const SnapshotChunk& c);
  // Sends an ack whenever the durable LSN passes the last one sent (starting at `subscribed`).
  void AckLoop(Connection& conn, const std::atomic<bool>& done, Lsn subscribed);
  // Sleeps up to `d` unless stopped or repointed. false when stopping.
  bool Sleep(std::chrono::milliseconds d) {
    std::unique_lock lock(mu_);
    wake_.wait_for(lock, d, [&] { return stop_; });
    return !stop_;
  }

  FollowerOptions options_;  // leader_host/port guarded by mu_
  FollowerHost& host_;
  std::thread thread_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  Connection* conn_ = nullptr;   // guarded by mu_: the live connection, for Stop/Repoint
  FollowerStatus status_;        // guarded by mu_

  // Acks: the apply callbacks (WAL thread) only bump this and notify; AckLoop writes.
  std::mutex ack_mu_;
  std::condition_variable ack_wake_;
  uint64_t apply_generation_ = 0;  // guarded by ack_mu_
  Status apply_error_;             // guarded by ack_mu_: first failed apply of this session
  uint64_t applies_in_flight_ = 0; // guarded by ack_mu_: callbacks that have not run yet

  // Snapshot in progress.
  struct StagedFile {
    int fd = -1;
    uint64_t size = 0;
    uint32_t crc = 0;
    bool complete = false;
  };
  std::vector<std::string> snapshot_files_;
  std::map<std::string, StagedFile> staged_;
  void CloseStaged() {
    for (auto& [name, f] : staged_)
      if (f.fd >= 0) ::close(f.fd);
    staged_.clear();
  }
};

void FollowerClient::Impl::Loop() {
  auto backoff = options_.backoff_min;
  bool first = true;
  while (true) {
    std::string host;
    uint16_t port;
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
      host = options_.leader_host;
      port = options_.leader_port;
      if (!first) ++status_.reconnect_count;
    }
    first = false;
    auto conn = Connection::Dial(host, port, options_.connect_timeout);
    Status ended;
    if (conn.ok()) {
      {
        std::lock_guard lock(mu_);
        if (stop_) return;
        conn_ = conn->get();
        status_.connected = true;
        status_.caught_up = false;
      }
      const uint64_t replayed_before = status().total_replayed;
      ended = Session(**conn);
      // A session that made progress was a working link: start the backoff over.
      if (status().total_replayed > replayed_before || ended.code() == StatusCode::kNotFound)
        backoff = options_.backoff_min;
      {
        std::lock_guard lock(mu_);
        conn_ = nullptr;
        status_.connected = false;
        status_.caught_up = false;
        status_.last_error = ended.ToString();
      }
      CloseStaged();
    } else {
      ended = conn.status();
      std::lock_guard lock(mu_);
      status_.last_error = ended.ToString();
    }
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
    }
    spdlog::warn("replication: connection to leader {}:{} ended: {}; retrying in {} ms", host, port,
                 ended.ToString(), backoff.count());
    if (!Sleep(backoff)) return;
    backoff = std::min(options_.backoff_max, backoff * 2);
  }
}

Status FollowerClient::Impl::Session(Connection& conn) {
  std::shared_ptr<store::EventStore> store = host_.store();
  // Resubscribe from the durable LSN: wait for applies still in flight from a previous
  // connection, so nothing we have submitted is asked for again.
  ANNAL_RETURN_IF_ERROR(store->AwaitInFlight(std::chrono::seconds(30)));
  {
    std::lock_guard lock(ack_mu_);
    apply_error_ = Status::Ok();
  }
  Subscribe sub;
  sub.last_offset = store->durable_lsn();
  sub.epoch = store->epoch_history().EpochAt(sub.last_offset);  // the epoch of that entry
  if (!options_.node_id.empty()) sub.node_id = options_.node_id;
  sub.protocol = std::string(kAnnalProtocolV1);
  ANNAL_RETURN_IF_ERROR(conn.WriteAll(EncodeLine(sub), std::chrono::milliseconds(10000)));
  spdlog::info("replication: subscribed to {} from LSN {} (epoch {})", conn.peer(),
               sub.last_offset.value(), sub.epoch->value());

  std::atomic<bool> session_done{false};
  std::thread acker =
      NamedThread("annal-follow-ack", [&] { AckLoop(conn, session_done, sub.last_offset); });
  struct StopAcker {
    std::atomic<bool>& done;
    Impl& self;
    std::thread& t;
    ~StopAcker() {
      {
        std::lock_guard lock(self.ack_mu_);
        done = true;
      }
      self.ack_wake_.notify_all();
      t.join();
    }
  } stop_acker{session_done, *this, acker};

  Lsn expected = sub.last_offset.next();
  bool in_snapshot = false, any_entry = false;
  std::vector<Event> batch;
  // The apply callbacks use `conn`: the session does not end before the last one ran.
  struct WaitForApplies {
    Impl& self;
    ~WaitForApplies() {
      std::unique_lock lock(self.ack_mu_);
      self.ack_wake_.wait(lock, [&] { return self.applies_in_flight_ == 0; });
    }
  } wait_for_applies{*this};
  // Runs on the applier thread. `store` changes only after Drain() (snapshot install), and
  // entries never precede a snapshot or a truncate in a session.
  Applier applier([this, &conn, &store](std::vector<Event> events) {
    {
      std::lock_guard lock(ack_mu_);
      if (!apply_error_.ok()) return;  // the connection is ending; these are refetched
      ++applies_in_flight_;
    }
    const size_t n = events.size();
    store->ApplyReplicatedAsync(std::move(events), [this, &conn, n](Status st) {
      if (!st.ok()) conn.Shutdown();
      if (st.ok()) {
        std::lock_guard lock(mu_);
        status_.total_replayed += n;
      }
      {
        std::lock_guard lock(ack_mu_);
        if (!st.ok() && apply_error_.ok()) apply_error_ = st;
        ++apply_generation_;
        --applies_in_flight_;
      }
      ack_wake_.notify_all();
    });
  });
  auto apply = [&]() -> Status {
    if (!batch.empty()) {
      applier.Push(std::move(batch));
      batch.clear();
    }
    std::lock_guard lock(ack_mu_);
    return apply_error_;
  };

  for (;;) {
    auto line = conn.ReadLine(kMaxLineBytes, std::chrono::milliseconds(0));
    if (!line.ok()) {
      std::lock_guard lock(ack_mu_);
      return apply_error_.ok() ? line.status() : apply_error_;
    }
    auto msg = DecodeLine(*line);
    if (!msg.ok()) return Status(msg.status().code(), "bad line from the leader: " + msg.status().message());
    if (auto* w = std::get_if<WalEntry>(&*msg)) {
      if (in_snapshot) return InvalidArgument("wal_entry in the middle of a snapshot");
      if (w->offset != expected)
        return InvalidArgument("expected offset " + std::to_string(expected.value()) + ", got " +
                               std::to_string(w->offset.value()) + "; resubscribing");
      auto e = EventFromWalEntry(*w);
      if (!e.ok()) return Status(e.status().code(), "entry " + std::to_string(w->offset.value()) +
                                                        ": " + e.status().message());
      any_entry = true;
      expected = expected.next();
      const int64_t lag_us = NowMicros() - w->wal_timestamp.unix_nanos / 1000;
      {
        std::lock_guard lock(mu_);
        if (w->offset > status_.leader_offset) status_.leader_offset = w->offset;
        status_.replication_lag_ms = lag_us > 0 ? static_cast<uint64_t>(lag_us / 1000) : 0;
      }
      batch.push_back(std::move(e).value());
      // Apply when the batch is full or the leader has nothing more for us right now.
      if (batch.size() >= options_.max_apply_batch || !conn.FillAvailable(kMaxLineBytes))
        ANNAL_RETURN_IF_ERROR(apply());
    } else if (auto* c = std::get_if<CaughtUp>(&*msg)) {
      // A leader whose log ends before ours lost entries we have (or is not our leader):
      // following it would put its history on top of ours. Refuse, loudly, every time.
      if (c->current_offset.next() < expected)
        return Corruption("the leader's log ends at LSN " + std::to_string(c->current_offset.value()) +
                          ", before ours (LSN " + std::to_string(expected.value() - 1) +
                          "): it lost entries we have, or is not our leader; not following it");
      ANNAL_RETURN_IF_ERROR(apply());
      std::lock_guard lock(mu_);
      if (c->current_offset > status_.leader_offset) status_.leader_offset = c->current_offset;
      if (!status_.caught_up) spdlog::info("replication: caught up with the leader at LSN {}",
                                           c->current_offset.value());
      status_.caught_up = true;
    } else if (auto* s = std::get_if<SnapshotStart>(&*msg)) {
      if (in_snapshot || any_entry) return InvalidArgument("snapshot_start after entries");
      in_snapshot = true;
      std::error_code ec;
      std::filesystem::remove_all(options_.staging_dir, ec);
      std::filesystem::create_directories(options_.staging_dir, ec);
      if (ec) return IOError("create " + options_.staging_dir.string() + ": " + ec.message());
      CloseStaged();
      snapshot_files_ = s->parquet_files;
      for (const std::string& f : snapshot_files_) staged_[f];
      if (staged_.size() != snapshot_files_.size())
        return InvalidArgument("snapshot_start names a file twice");
      spdlog::info("replication: receiving a snapshot of {} files", snapshot_files_.size());
    } else if (auto* c = std::get_if<SnapshotChunk>(&*msg)) {
      if (!in_snapshot) return InvalidArgument("snapshot_chunk without snapshot_start");
      ANNAL_RETURN_IF_ERROR(ReceiveSnapshotChunk(*c));
    } else if (auto* e = std::get_if<SnapshotEnd>(&*msg)) {
      if (!in_snapshot) return InvalidArgument("snapshot_end without snapshot_start");
      for (const auto& [name, f] : staged_)
        if (!f.complete) return InvalidArgument("snapshot_end before the last chunk of " + name);
      CloseStaged();
      applier.Drain();
      const Lsn x = e->wal_offset_after_snapshot;
      storage::EpochHistory epochs;
      if (e->epochs) {
        for (const EpochStart& es : *e->epochs)
          ANNAL_RETURN_IF_ERROR(epochs.Append(es.epoch, es.start));
      }
      ANNAL_RETURN_IF_ERROR(host_.InstallSnapshot(options_.staging_dir, snapshot_files_, x, epochs));
      store = host_.store();
      if (store->durable_lsn() != x)
        return Internal("after installing the snapshot the store ends at LSN " +
                        std::to_string(store->durable_lsn().value()) + ", expected " +
                        std::to_string(x.value()));
      in_snapshot = false;
      expected = x.next();
      {
        std::lock_guard lock(mu_);
        ++status_.snapshots_received;
        if (x > status_.leader_offset) status_.leader_offset = x;
      }
      {
        std::lock_guard lock(ack_mu_);
        ++apply_generation_;
      }
      ack_wake_.notify_all();
      spdlog::info("replication: installed a snapshot up to LSN {}", x.value());
    } else if (auto* t = std::get_if<Truncate>(&*msg)) {
      if (any_entry || in_snapshot) return InvalidArgument("truncate after entries");
      applier.Drain();
      // Our last entry is not in the leader's log. Keep only what both logs share: up to the
      // end of the common epoch in both histories (Kafka's KIP-101/279 rule).
      const Lsn last = store->durable_lsn();
      const storage::EpochHistory h = store->epoch_history();
      const Lsn ours = t->epoch.value() == 0 ? Lsn(0) : h.EndOf(t->epoch, last);
      const Lsn keep = std::min({last, t->end_offset, ours});
      if (keep >= last)
        return Corruption("the leader says our log diverges after LSN " +
                          std::to_string(t->end_offset.value()) + " in epoch " +
                          std::to_string(t->epoch.value()) + ", but ours agrees through LSN " +
                          std::to_string(last.value()) + "; refusing to truncate nothing");
      spdlog::warn("replication: our log diverges from the leader's after LSN {} (we have {}): "
                   "truncating {} entries and resubscribing",
                   keep.value(), last.value(), last.value() - keep.value());
      ANNAL_RETURN_IF_ERROR(host_.TruncateLog(keep));
      {
        std::lock_guard lock(mu_);
        ++status_.truncations;
      }
      // NotFound: the connection ended as planned; resubscribe without backing off.
      return NotFound("truncated the divergent suffix after LSN " + std::to_string(keep.value()));
    } else {
      return InvalidArgument(std::string("unexpected ") + std::string(MessageTypeName(*msg)) +
                             " from the leader");
    }
  }
}

Status FollowerClient::Impl::ReceiveSnapshotChunk(const SnapshotChunk& c) {
  auto it = staged_.find(c.filename);
  if (it == staged_.end())
    return InvalidArgument("snapshot_chunk for " + c.filename + " which snapshot_start did not name");
  StagedFile& f = it->second;
  if (f.complete) return InvalidArgument("snapshot_chunk after the last chunk of " + c.filename);
  if (c.chunk_offset != f.size)
    return InvalidArgument("snapshot_chunk of " + c.filename + " at offset " +
                           std::to_string(c.chunk_offset) + ", expected " + std::to_string(f.size));
  const std::filesystem::path path = options_.staging_dir / c.filename;
  if (f.fd < 0) {
    f.fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (f.fd < 0) return IOError("create " + path.string());
  }
  size_t done = 0;
  while (done < c.data.size()) {
    ssize_t n = ::write(f.fd, c.data.data() + done, c.data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return IOError("write " + path.string());
    }
    done += static_cast<size_t>(n);
  }
  f.crc = crc32c::Extend(f.crc, c.data.data(), c.data.size());
  f.size += c.data.size();
  if (c.is_last) {
    if (c.crc32c && *c.crc32c != f.crc)
      return Corruption("snapshot file " + c.filename + " arrived damaged (crc32c mismatch)");
    if (::fsync(f.fd) != 0) return IOError("fsync " + path.string());
    ::close(f.fd);
    f.fd = -1;
    f.complete = true;
  }
  return Status::Ok();
}

void FollowerClient::Impl::AckLoop(Connection& conn, const std::atomic<bool>& done,
                                   Lsn subscribed) {
  Lsn acked = subscribed;
  uint64_t seen;
  {
    std::lock_guard lock(ack_mu_);
    seen = apply_generation_;  // earlier sessions' applies are not news
  }
  for (;;) {
    {
      std::unique_lock lock(ack_mu_);
      ack_wake_.wait(lock, [&] { return done.load() || apply_generation_ != seen; });
      if (done) return;
      seen = apply_generation_;
    }
    const Lsn durable = host_.store()->durable_lsn();
    if (durable <= acked) continue;
    if (!conn.WriteAll(EncodeLine(Ack{durable}), std::chrono::milliseconds(10000)).ok()) {
      conn.Shutdown();
      return;
    }
    acked = durable;
  }
}

std::unique_ptr<FollowerClient> FollowerClient::Start(FollowerOptions options, FollowerHost& host) {
  auto impl = std::make_unique<Impl>(std::move(options), host);
  impl->Start();
  return std::unique_ptr<FollowerClient>(new FollowerClient(std::move(impl)));
}

FollowerClient::FollowerClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FollowerClient::~FollowerClient() { Stop(); }
FollowerStatus FollowerClient::status() const { return impl_->status(); }
void FollowerClient::Repoint(std::string host, uint16_t port) { impl_->Repoint(std::move(host), port); }
void FollowerClient::Stop() { impl_->Stop(); }

}  // namespace annal::replication
