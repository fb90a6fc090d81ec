#include "replication/leader.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <list>
#include <mutex>
#include <thread>

#include "core/event_codec.h"
#include "replication/protocol.h"
#include "replication/socket.h"
#include "replication/wal_entry.h"
#include "store/event_store.h"
#include "wal/reader.h"
#include "core/thread_name.h"

namespace annal::replication {
namespace {

using Clock = std::chrono::steady_clock;

uint64_t MillisSince(Clock::time_point t) {
  auto d = Clock::now() - t;
  return d.count() <= 0 ? 0 : std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

}  // namespace

// One follower connection: a sender thread (this object's Run) and an ack-reader thread.
class Session {
 public:
  Session(ReplicationServer::Impl& server, std::unique_ptr<Connection> conn)
      : server_(server), conn_(std::move(conn)) {
    status_.address = conn_->peer();
    status_.name = conn_->peer();
    status_.state = "subscribing";
  }

  void Start() { thread_ = NamedThread("annal-ship", [this] { Run(); }); }
  void Stop() {
    stopping_ = true;
    conn_->Shutdown();
  }
  void Join() {
    if (thread_.joinable()) thread_.join();
  }
  bool finished() const { return finished_.load(); }
  FollowerSessionStatus status(Lsn durable) const;

 private:
  void Run();
  Status Serve();
  Status SendSnapshot(const Subscribe& sub, Lsn* resume_from);
  Status Stream(wal::LogReader& reader);
  Status Flush();
  void ReadAcks();
  void SetState(const char* state) {
    std::lock_guard lock(mu_);
    status_.state = state;
  }

  ReplicationServer::Impl& server_;
  std::unique_ptr<Connection> conn_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> finished_{false};
  uint64_t tracker_id_ = 0;
  std::string out_;  // send buffer
  Lsn buffered_last_;

  mutable std::mutex mu_;
  FollowerSessionStatus status_;                                   // guarded by mu_
  std::deque<std::pair<Lsn, Clock::time_point>> unacked_;  // guarded by mu_: flushes not acked
};

class ReplicationServer::Impl {
 public:
  Impl(LeaderOptions options, std::shared_ptr<store::EventStore> store, AckTracker& acks,
       std::unique_ptr<Listener> listener)
      : options_(std::move(options)), store_(std::move(store)), acks_(acks),
        listener_(std::move(listener)) {}

  void Start() { accept_thread_ = NamedThread("annal-repl-acc", [this] { AcceptLoop(); }); }

  void Stop() {
    {
      std::lock_guard lock(mu_);
      if (stopped_) return;
      stopped_ = true;
    }
    listener_->Shutdown();
    wake_.notify_all();
    if (accept_thread_.joinable()) accept_thread_.join();
    std::list<std::unique_ptr<Session>> sessions;
    {
      std::lock_guard lock(mu_);
      sessions.swap(sessions_);
    }
    for (auto& s : sessions) s->Stop();
    wake_.notify_all();
    for (auto& s : sessions) s->Join();
  }

  void NotifyDurable(Lsn lsn) {
    {
      std::lock_guard lock(mu_);
      if (lsn > durable_) durable_ = lsn;
    }
    wake_.notify_all();
  }

  // Waits until the store's durable LSN passes `after` or the session must stop.
  // Returns the durable LSN (<= after when stopping).
  Lsn WaitForDurableAfter(Lsn after, const std::atomic<bool>& stopping) {
    std::unique_lock lock(mu_);
    wake_.wait_for(lock, std::chrono::milliseconds(500), [&] {
      return stopped_ || stopping.load() || std::max(durable_, store_->durable_lsn()) > after;
    });
    return std::max(durable_, store_->durable_lsn());
  }

  void AcceptLoop() {
    for (;;) {
      auto conn = listener_->Accept();
      if (!conn.ok()) {
        std::lock_guard lock(mu_);
        if (!stopped_) spdlog::error("replication: {}", conn.status().ToString());
        return;
      }
      std::lock_guard lock(mu_);
      if (stopped_) return;
      // Reap finished sessions so a reconnecting follower does not grow the list forever.
      for (auto it = sessions_.begin(); it != sessions_.end();) {
        if ((*it)->finished()) {
          (*it)->Join();
          it = sessions_.erase(it);
        } else {
          ++it;
        }
      }
      sessions_.push_back(std::make_unique<Session>(*this, std::move(conn).value()));
      sessions_.back()->Start();
      ++stats_.sessions_started;
    }
  }

  std::vector<FollowerSessionStatus> followers() const {
    std::lock_guard lock(mu_);
    std::vector<FollowerSessionStatus> out;
    Lsn durable = std::max(durable_, store_->durable_lsn());
    for (const auto& s : sessions_)
      if (!s->finished()) out.push_back(s->status(durable));
    return out;
  }

  LeaderStats stats() const {
    std::lock_guard lock(mu_);
    return stats_;
  }
  template <typename F>
  void UpdateStats(F f) {
    std::lock_guard lock(mu_);
    f(stats_);
  }

  const LeaderOptions options_;
  const std::shared_ptr<store::EventStore> store_;
  AckTracker& acks_;
  std::unique_ptr<Listener> listener_;

 private:
  mutable std::mutex mu_;
  std::condition_variable wake_;
  Lsn durable_;
  bool stopped_ = false;
  std::list<std::unique_ptr<Session>> sessions_;
  LeaderStats stats_;
  std::thread accept_thread_;
};

FollowerSessionStatus Session::status(Lsn durable) const {
  std::lock_guard lock(mu_);
  FollowerSessionStatus s = status_;
  s.lag_entries = durable > s.acked ? durable.value() - s.acked.value() : 0;
  s.lag_ms = unacked_.empty() ? 0 : MillisSince(unacked_.front().second);
  return s;
}

void Session::Run() {
  Status st = Serve();
  if (!stopping_) {
    if (st.code() == StatusCode::kNotFound)
      spdlog::info("replication: follower {} disconnected", status_.name);
    else
      spdlog::warn("replication: closing the session of follower {}: {}", status_.name, st.ToString());
  }
  conn_->Shutdown();
  if (tracker_id_ != 0) server_.acks_.RemoveFollower(tracker_id_);
  finished_ = true;
}

Status Session::Serve() {
  auto first = conn_->ReadLine(kMaxLineBytes, server_.options_.subscribe_timeout);
  if (!first.ok()) {
    server_.UpdateStats([](LeaderStats& s) { ++s.sessions_rejected; });
    return Status(first.status().code(), "before subscribe: " + first.status().message());
  }
  auto msg = DecodeLine(*first);
  if (!msg.ok() || !std::holds_alternative<Subscribe>(*msg)) {
    server_.UpdateStats([](LeaderStats& s) { ++s.sessions_rejected; });
    return InvalidArgument(msg.ok() ? std::string("expected subscribe as the first message, got ") +
                                          std::string(MessageTypeName(*msg))
                                    : "bad first line: " + msg.status().ToString());
  }
  const Subscribe sub = std::get<Subscribe>(*msg);
  {
    std::lock_guard lock(mu_);
    if (sub.node_id) status_.name = *sub.node_id;
    status_.annal_protocol = sub.protocol && *sub.protocol == kAnnalProtocolV1;
    status_.subscribed_from = sub.last_offset;
    status_.acked = sub.last_offset;
    status_.sent = sub.last_offset;  // it has those: acking them again is fine
  }
  const Lsn leader_last = server_.store_->durable_lsn();
  // Log matching (DESIGN §5.7): an entry with the same LSN and epoch means the same prefix. An
  // Annal follower whose last entry is not in our log gets told where its log diverges.
  if (status_.annal_protocol && sub.epoch && sub.last_offset.value() > 0) {
    const storage::EpochHistory h = server_.store_->epoch_history();
    if (sub.last_offset > leader_last || h.EpochAt(sub.last_offset) != *sub.epoch) {
      const std::optional<Epoch> common = h.LargestAtMost(*sub.epoch);
      const Truncate t{common.value_or(Epoch(0)), common ? h.EndOf(*common, leader_last) : Lsn(0)};
      out_ += EncodeLine(t);
      ANNAL_RETURN_IF_ERROR(Flush());
      return InvalidArgument("its log diverges from ours after at most LSN " +
                             std::to_string(t.end_offset.value()) + " (it has LSN " +
                             std::to_string(sub.last_offset.value()) + " in epoch " +
                             std::to_string(sub.epoch->value()) + "); told it to truncate");
    }
  }
  if (sub.last_offset > leader_last) {
    server_.UpdateStats([](LeaderStats& s) { ++s.sessions_rejected; });
    return InvalidArgument("follower is ahead of the leader: it has LSN " +
                           std::to_string(sub.last_offset.value()) + ", the leader only " +
                           std::to_string(leader_last.value()));
  }
  spdlog::info("replication: follower {} ({}) subscribed from LSN {}", status_.name,
               conn_->peer(), sub.last_offset.value());
  tracker_id_ = server_.acks_.AddFollower(status_.name);
  server_.acks_.OnAck(tracker_id_, sub.last_offset);
  std::thread acks = NamedThread("annal-ship-ack", [this] { ReadAcks(); });
  struct JoinAcks {
    std::thread& t;
    Connection& c;
    ~JoinAcks() {
      c.Shutdown();
      t.join();
    }
  } join_acks{acks, *conn_};

  Lsn start = sub.last_offset.next();
  auto reader = wal::LogReader::Open(server_.store_->wal_dir(), start);
  if (!reader.ok() && reader.status().code() == StatusCode::kNotFound) {
    // Older than the oldest retained WAL entry: snapshot, then the WAL from after it.
    Lsn resume;
    ANNAL_RETURN_IF_ERROR(SendSnapshot(sub, &resume));
    reader = wal::LogReader::Open(server_.store_->wal_dir(), resume);
    if (!reader.ok()) return reader.status();
    // (SendSnapshot opened and checked this position before sending; see there.)
  }
  if (!reader.ok()) return reader.status();
  return Stream(**reader);
}

Status Session::SendSnapshot(const Subscribe& sub, Lsn* resume_from) {
  SetState("snapshot");
  auto pins = server_.store_->PinStorageSnapshot();
  const Lsn x = pins.checkpoint_lsn;
  if (x < sub.last_offset.next())
    return Internal("LSN " + std::to_string(sub.last_offset.value() + 1) +
                    " is in neither the WAL nor the Parquet files");
  // Hold a reader at X+1 for the whole transfer: it keeps its segment open even if a
  // checkpoint deletes it meanwhile, so the stream after the snapshot has no gap.
  auto probe = wal::LogReader::Open(server_.store_->wal_dir(), x.next());
  if (!probe.ok())
    return Status(probe.status().code(), "snapshot: the WAL no longer holds LSN " +
                                             std::to_string(x.value() + 1) + ": " +
                                             probe.status().message());
  spdlog::info("replication: sending follower {} a snapshot of {} files (LSN 1..{})", status_.name,
               pins.files.size(), x.value());
  SnapshotStart start;
  for (const auto& pin : pins.files) start.parquet_files.push_back(pin.file().name);
  out_ += EncodeLine(start);
  std::string chunk(server_.options_.snapshot_chunk_bytes, '\0');
  for (const auto& pin : pins.files) {
    std::ifstream in(pin.path(), std::ios::binary);
    if (!in) return IOError("snapshot: cannot open " + pin.path().string());
    uint64_t offset = 0;
    const uint64_t size = pin.file().bytes;
    do {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(chunk.size(), size - offset));
      in.read(chunk.data(), static_cast<std::streamsize>(n));
      if (static_cast<size_t>(in.gcount()) != n)
        return IOError("snapshot: short read of " + pin.path().string());
      SnapshotChunk c;
      c.filename = pin.file().name;
      c.data.assign(chunk.data(), n);
      c.chunk_offset = offset;
      offset += n;
      c.is_last = offset == size;
      if (c.is_last && status_.annal_protocol) c.crc32c = pin.file().crc32c;
      out_ += EncodeLine(c);
      ANNAL_RETURN_IF_ERROR(Flush());
    } while (offset < size);
  }
  SnapshotEnd end{x, std::nullopt};
  if (status_.annal_protocol) {
    // The epochs of the installed entries, so the follower can take part in divergence checks.
    storage::EpochHistory h = server_.store_->epoch_history();
    h.TruncateAfter(x);
    end.epochs.emplace();
    for (const auto& e : h.entries()) end.epochs->push_back(EpochStart{e.epoch, e.start});
  }
  out_ += EncodeLine(end);
  ANNAL_RETURN_IF_ERROR(Flush());
  {
    std::lock_guard lock(mu_);
    ++status_.snapshots_sent;
    status_.sent = x;
  }
  server_.UpdateStats([](LeaderStats& s) { ++s.snapshots_sent; });
  *resume_from = x.next();
  return Status::Ok();
}

Status Session::Stream(wal::LogReader& reader) {
  SetState("catching_up");
  bool caught_up = false;
  Lsn shipped = Lsn(reader.next_lsn().value() - 1);
  wal::RecordView rec;
  uint64_t entries = 0;
  for (;;) {
    if (stopping_) return Unavailable("stopping");
    // Before the first caught_up, ship what is durable now without waiting for more.
    const Lsn durable = caught_up ? server_.WaitForDurableAfter(shipped, stopping_)
                                  : server_.store_->durable_lsn();
    if (stopping_) return Unavailable("stopping");
    const Lsn before = shipped;
    while (shipped < durable) {
      auto more = reader.Next(&rec);
      if (!more.ok()) return more.status();
      if (!*more) break;  // durable but not readable yet (a segment being rotated): retry
      Event e;
      ANNAL_RETURN_IF_ERROR(DecodeEventBody(rec.body, e));
      e.sequence = rec.lsn;
      e.epoch = rec.epoch;
      e.timestamp = rec.timestamp;
      out_ += EncodeLine(MakeWalEntry(e, rec.epoch, rec.body));
      shipped = rec.lsn;
      buffered_last_ = rec.lsn;
      ++entries;
      if (out_.size() >= server_.options_.send_buffer_bytes) ANNAL_RETURN_IF_ERROR(Flush());
    }
    if (!caught_up && shipped >= durable) {
      out_ += EncodeLine(CaughtUp{shipped});
      caught_up = true;
      ANNAL_RETURN_IF_ERROR(Flush());
      SetState("streaming");
      server_.acks_.SetInSync(tracker_id_, true);
      spdlog::info("replication: follower {} caught up at LSN {}", status_.name, shipped.value());
    }
    ANNAL_RETURN_IF_ERROR(Flush());
    server_.UpdateStats([&](LeaderStats& s) { s.entries_sent += entries; });
    entries = 0;
    // Durable entries the reader could not see yet: do not spin on them.
    if (shipped == before && shipped < durable) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

Status Session::Flush() {
  if (out_.empty()) return Status::Ok();
  const size_t bytes = out_.size();
  {
    // Recorded before the write: the follower may ack these entries before WriteAll returns.
    std::lock_guard lock(mu_);
    if (buffered_last_ > status_.sent) {
      status_.sent = buffered_last_;
      if (unacked_.size() >= 4096) unacked_.pop_back();  // bounded; keeps the oldest for lag
      unacked_.emplace_back(buffered_last_, Clock::now());
    }
  }
  ANNAL_RETURN_IF_ERROR(conn_->WriteAll(out_, server_.options_.stall_timeout));
  out_.clear();
  server_.UpdateStats([&](LeaderStats& s) { s.bytes_sent += bytes; });
  return Status::Ok();
}

void Session::ReadAcks() {
  for (;;) {
    auto line = conn_->ReadLine(kMaxLineBytes, std::chrono::milliseconds(0));
    if (!line.ok()) {
      if (!stopping_ && line.status().code() != StatusCode::kNotFound)
        spdlog::warn("replication: follower {}: {}", status_.name, line.status().ToString());
      break;
    }
    auto msg = DecodeLine(*line);
    if (!msg.ok() || !std::holds_alternative<Ack>(*msg)) {
      spdlog::warn("replication: follower {} sent {}; closing the connection", status_.name,
                   msg.ok() ? "an unexpected " + std::string(MessageTypeName(*msg))
                            : "a bad line: " + msg.status().ToString());
      break;
    }
    const Lsn acked = std::get<Ack>(*msg).offset;
    {
      std::lock_guard lock(mu_);
      if (acked > status_.sent) {
        spdlog::warn("replication: follower {} acked LSN {} which was never sent (sent {}); "
                     "closing the connection", status_.name, acked.value(), status_.sent.value());
        break;
      }
      if (acked > status_.acked) status_.acked = acked;
      while (!unacked_.empty() && unacked_.front().first <= acked) unacked_.pop_front();
    }
    server_.acks_.OnAck(tracker_id_, acked);
  }
  conn_->Shutdown();  // wakes the sender
  stopping_ = true;
}

Result<std::unique_ptr<ReplicationServer>> ReplicationServer::Start(
    LeaderOptions options, std::shared_ptr<store::EventStore> store, AckTracker& acks) {
  ANNAL_ASSIGN_OR_RETURN(std::unique_ptr<Listener> listener,
                         Listener::Bind(options.host, options.port));
  auto impl = std::make_unique<Impl>(std::move(options), std::move(store), acks, std::move(listener));
  impl->Start();
  return std::unique_ptr<ReplicationServer>(new ReplicationServer(std::move(impl)));
}

ReplicationServer::ReplicationServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ReplicationServer::~ReplicationServer() { Stop(); }
uint16_t ReplicationServer::port() const { return impl_->listener_->port(); }
void ReplicationServer::NotifyDurable(Lsn lsn) { impl_->NotifyDurable(lsn); }
std::vector<FollowerSessionStatus> ReplicationServer::followers() const { return impl_->followers(); }
LeaderStats ReplicationServer::stats() const { return impl_->stats(); }
void ReplicationServer::Stop() { impl_->Stop(); }

}  // namespace annal::replication
