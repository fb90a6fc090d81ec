#include "app/cluster_node.h"

#include <spdlog/spdlog.h>

#include <cstdlib>

#include "app/serve.h"
#include "http/json_writer.h"
#include "metrics/metrics.h"
#include "replication/socket.h"
#include "storage/data_dir_ops.h"

namespace annal::app {
namespace {

replication::AckMode ModeOf(ReplicationMode m) {
  switch (m) {
    case ReplicationMode::kAsync: return replication::AckMode::kAsync;
    case ReplicationMode::kSemiSync: return replication::AckMode::kSemiSync;
    case ReplicationMode::kSync: return replication::AckMode::kSync;
  }
  return replication::AckMode::kAsync;
}

}  // namespace

ClusterNode::ClusterNode(ServeConfig config, store::StoreOptions store_options)
    : config_(std::move(config)), store_options_(std::move(store_options)) {}

ClusterNode::~ClusterNode() { (void)Stop(); }

replication::AckPolicy ClusterNode::Policy() const {
  replication::AckPolicy p;
  p.mode = ModeOf(config_.replication_mode);
  p.min_acks = config_.min_acks;
  p.timeout = config_.ack_timeout;
  return p;
}

Result<std::unique_ptr<ClusterNode>> ClusterNode::Start(const ServeConfig& config,
                                                        store::StoreOptions store_options) {
  std::unique_ptr<ClusterNode> node(new ClusterNode(config, std::move(store_options)));
  ClusterNode* raw = node.get();
  const bool follower = config.role == Role::kFollower;
  const bool serves = !follower && config.WantsReplication();
  node->store_options_.on_durable = [raw](Lsn lsn) { raw->OnDurable(lsn); };
  node->store_options_.read_only = follower;
  node->store_options_.gate_visibility = serves && node->Policy().mode != replication::AckMode::kAsync;
  ANNAL_ASSIGN_OR_RETURN(std::unique_ptr<store::EventStore> store,
                         store::EventStore::Open(node->store_options_));
  node->store_ = std::move(store);
  std::lock_guard role(node->role_mu_);
  if (follower) {
    ANNAL_RETURN_IF_ERROR(node->StartFollowerLocked(*config.leader));
  } else if (serves) {
    ANNAL_RETURN_IF_ERROR(node->StartLeaderLocked());
  }
  return node;
}

Status ClusterNode::StartLeaderLocked() {
  std::shared_ptr<store::EventStore> st = store();
  auto acks = std::make_shared<replication::AckTracker>(
      Policy(), [this](Lsn lsn) { store()->Publish(lsn); });
  replication::LeaderOptions lo;
  lo.host = config_.host;
  lo.port = config_.effective_replication_port();
  {
    std::lock_guard lock(mu_);
    acks_ = acks;
  }
  st->SetVisibilityGate(acks->gates());
  auto server = replication::ReplicationServer::Start(lo, st, *acks);
  if (!server.ok()) {
    st->SetVisibilityGate(false);
    std::lock_guard lock(mu_);
    acks_.reset();
    return Status(server.status().code(),
                  "replication listener: " + server.status().message());
  }
  acks->OnDurable(st->durable_lsn());
  std::lock_guard lock(mu_);
  server_ = std::move(server).value();
  spdlog::info("replication: leader (epoch {}, mode {}) listening for followers on {}:{}",
               st->epoch().value(), replication::AckModeName(acks->policy().mode), config_.host,
               server_->port());
  return Status::Ok();
}

void ClusterNode::StopLeaderLocked() {
  std::shared_ptr<replication::ReplicationServer> server;
  std::shared_ptr<replication::AckTracker> acks;
  {
    std::lock_guard lock(mu_);
    server = std::move(server_);
    acks = std::move(acks_);
  }
  if (server) server->Stop();
  if (acks) acks->Stop();  // publishes whatever still waited for acks
}

Status ClusterNode::StartFollowerLocked(const std::string& leader) {
  replication::FollowerOptions fo;
  ANNAL_RETURN_IF_ERROR(replication::SplitHostPort(leader, &fo.leader_host, &fo.leader_port));
  // Names this follower in the leader's logs and /health. With --port 0 the HTTP port is not
  // known yet, so the data dir names it instead.
  fo.node_id = config_.port != 0 ? config_.host + ":" + std::to_string(config_.port)
                                 : store_options_.data_dir.string();
  fo.staging_dir = store_options_.data_dir / "replication-staging";
  follower_ = true;
  store()->SetReadOnly(true);
  auto client = replication::FollowerClient::Start(std::move(fo), *this);
  std::lock_guard lock(mu_);
  leader_address_ = leader;
  follower_client_ = std::move(client);
  spdlog::info("replication: following the leader at {}", leader);
  return Status::Ok();
}

void ClusterNode::StopFollowerLocked() {
  std::shared_ptr<replication::FollowerClient> client;
  {
    std::lock_guard lock(mu_);
    client = std::move(follower_client_);
  }
  if (client) client->Stop();  // joins its thread (which may call store())
}

Status ClusterNode::Stop() {
  std::lock_guard role(role_mu_);
  StopFollowerLocked();
  StopLeaderLocked();
  std::shared_ptr<store::EventStore> st = store();
  return st ? st->Close() : Status::Ok();
}

uint16_t ClusterNode::replication_port() const {
  std::lock_guard lock(mu_);
  return server_ ? server_->port() : 0;
}

std::shared_ptr<store::EventStore> ClusterNode::store() {
  std::lock_guard lock(mu_);
  return store_;
}

std::string ClusterNode::role() { return follower_ ? "follower" : "leader"; }

std::optional<std::string> ClusterNode::leader() {
  std::lock_guard lock(mu_);
  if (!follower_) return std::nullopt;
  return leader_address_;
}

ClusterNode::PartsSnapshot ClusterNode::Parts() const {
  std::lock_guard lock(mu_);
  return {store_, acks_, server_, follower_client_};
}

void ClusterNode::OnDurable(Lsn lsn) {
  // On the WAL writer thread: take only what it needs (never a store reference, whose last
  // release would join this very thread).
  std::shared_ptr<replication::AckTracker> acks;
  std::shared_ptr<replication::ReplicationServer> server;
  {
    std::lock_guard lock(mu_);
    acks = acks_;
    server = server_;
  }
  if (acks) acks->OnDurable(lsn);
  if (server) server->NotifyDurable(lsn);
}

std::optional<http::WriteAckInfo> ClusterNode::AckFor(Lsn last) {
  std::shared_ptr<replication::AckTracker> acks;
  {
    std::lock_guard lock(mu_);
    acks = acks_;
  }
  if (!acks) return std::nullopt;
  replication::WriteAck a = acks->AckFor(last);
  http::WriteAckInfo info;
  info.mode = replication::AckModeName(a.mode);
  info.acked = a.acked;
  info.acks = a.acks;
  info.required = a.required;
  info.fail_on_timeout = config_.on_ack_timeout == AckTimeoutAction::kFail;
  return info;
}

void ClusterNode::WriteHealth(http::JsonWriter& w) {
  const auto [st, acks, server, client] = Parts();
  if (client) {
    replication::FollowerStatus fs = client->status();
    fs.last_replayed_offset = st->durable_lsn();
    fs.epoch = st->epoch();
    w.BeginObject();
    w.Field("connected", fs.connected);
    w.Field("leader", fs.leader);
    w.Field("last_replayed_offset", fs.last_replayed_offset.value());
    w.Field("leader_offset", fs.leader_offset.value());
    w.Field("replication_lag_ms", fs.replication_lag_ms);
    const uint64_t lag = fs.leader_offset > fs.last_replayed_offset
                             ? fs.leader_offset.value() - fs.last_replayed_offset.value()
                             : 0;
    w.Field("replication_lag_entries", lag);
    w.Field("total_replayed", fs.total_replayed);
    w.Field("corrupted_skipped", 0);  // never: a bad entry means reconnect and refetch
    w.Field("reconnect_count", fs.reconnect_count);
    w.Field("snapshots_received", fs.snapshots_received);
    w.Field("truncations", fs.truncations);
    w.Field("epoch", fs.epoch.value());
    w.Field("caught_up", fs.caught_up);
    w.Field("last_error", fs.last_error);
    w.EndObject();
    return;
  }
  if (!server || !acks) {
    w.Null();
    return;
  }
  auto followers = server->followers();
  uint64_t min_ms = 0, max_ms = 0, min_entries = 0, max_entries = 0;
  for (size_t i = 0; i < followers.size(); ++i) {
    const auto& f = followers[i];
    if (i == 0 || f.lag_ms < min_ms) min_ms = f.lag_ms;
    if (i == 0 || f.lag_entries < min_entries) min_entries = f.lag_entries;
    max_ms = std::max(max_ms, f.lag_ms);
    max_entries = std::max(max_entries, f.lag_entries);
  }
  w.BeginObject();
  w.Field("followers", followers.size());
  w.Field("replication_mode", replication::AckModeName(acks->policy().mode));
  w.Field("min_acks", acks->policy().min_acks);
  w.Field("epoch", st->epoch().value());
  w.Field("leader_offset", st->durable_lsn().value());
  w.Field("min_lag_ms", min_ms);
  w.Field("max_lag_ms", max_ms);
  w.Field("min_lag_entries", min_entries);
  w.Field("max_lag_entries", max_entries);
  w.Field("ack_timeouts", acks->timeouts());
  w.Key("followers_detail");
  w.BeginArray();
  for (const auto& f : followers) {
    w.BeginObject();
    w.Field("name", f.name);
    w.Field("address", f.address);
    w.Field("state", f.state);
    w.Field("protocol", f.annal_protocol ? "annal/1" : "allsource");
    w.Field("subscribed_from", f.subscribed_from.value());
    w.Field("sent_offset", f.sent.value());
    w.Field("acked_offset", f.acked.value());
    w.Field("lag_entries", f.lag_entries);
    w.Field("lag_ms", f.lag_ms);
    w.Field("snapshots_sent", f.snapshots_sent);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

void ClusterNode::SampleMetrics(metrics::Metrics& m) {
  const auto [st, acks, server, client] = Parts();
  metrics::ReplicationSample s;
  if (client) {
    replication::FollowerStatus fs = client->status();
    const Lsn durable = st->durable_lsn();
    s.leader = false;
    s.connected = fs.connected;
    s.lag_entries = fs.leader_offset > durable ? fs.leader_offset.value() - durable.value() : 0;
    s.lag_ms = fs.replication_lag_ms;
    s.entries_replayed_total = fs.total_replayed;
    s.reconnects_total = fs.reconnect_count;
    s.snapshots_received_total = fs.snapshots_received;
  } else if (server && acks) {
    for (const auto& f : server->followers()) {
      ++s.followers_connected;
      if (f.state == "streaming") ++s.followers_in_sync;
      s.max_lag_entries = std::max(s.max_lag_entries, f.lag_entries);
      s.max_lag_ms = std::max(s.max_lag_ms, f.lag_ms);
    }
    replication::LeaderStats ls = server->stats();
    s.entries_sent_total = ls.entries_sent;
    s.bytes_sent_total = ls.bytes_sent;
    s.snapshots_sent_total = ls.snapshots_sent;
    s.ack_timeouts_total = acks->timeouts();
  } else {
    return;
  }
  m.Replication(s);
}

Result<std::string> ClusterNode::Promote() {
  std::lock_guard role(role_mu_);
  std::shared_ptr<store::EventStore> st = store();
  if (!follower_) {
    http::JsonWriter w;
    w.BeginObject();
    w.Field("status", "already_leader");
    w.Field("role", "leader");
    w.Field("epoch", st->epoch().value());
    w.EndObject();
    return w.Take();
  }
  StopFollowerLocked();
  // Wait for entries still in flight to the WAL, so the new term starts after all of them.
  if (Status drained = st->AwaitInFlight(std::chrono::seconds(30)); !drained.ok()) {
    // Not promoted: keep following rather than sit as a follower without a leader.
    std::string leader;
    {
      std::lock_guard lock(mu_);
      leader = leader_address_;
    }
    if (Status again = StartFollowerLocked(leader); !again.ok())
      spdlog::error("replication: promotion failed and following {} again failed too: {}", leader,
                    again.ToString());
    return drained;
  }
  const Epoch epoch(st->epoch().value() + 1);
  ANNAL_RETURN_IF_ERROR(st->SetEpoch(epoch));
  {
    std::lock_guard lock(mu_);
    leader_address_.clear();
  }
  follower_ = false;
  st->SetReadOnly(false);
  Status started = StartLeaderLocked();
  if (!started.ok()) spdlog::error("promoted, but {}", started.ToString());
  spdlog::warn("replication: PROMOTED to leader at LSN {} with epoch {}", st->durable_lsn().value(),
               epoch.value());
  http::JsonWriter w;
  w.BeginObject();
  w.Field("status", "promoted");
  w.Field("role", "leader");
  w.Field("epoch", epoch.value());
  w.Field("last_offset", st->durable_lsn().value());
  w.Field("replication_port", replication_port());
  w.EndObject();
  return w.Take();
}

Result<std::string> ClusterNode::Repoint(std::string_view leader) {
  std::string host;
  uint16_t port = 0;
  ANNAL_RETURN_IF_ERROR(replication::SplitHostPort(leader, &host, &port));
  std::lock_guard role(role_mu_);
  if (!follower_) return Status(StatusCode::kReadOnly, "not_follower");
  {
    std::lock_guard lock(mu_);
    leader_address_ = std::string(leader);
    if (follower_client_) follower_client_->Repoint(host, port);
  }
  spdlog::warn("replication: repointed to the leader at {}", leader);
  http::JsonWriter w;
  w.BeginObject();
  w.Field("status", "repointed");
  w.Field("new_leader", leader);
  w.EndObject();
  return w.Take();
}

Status ClusterNode::ReopenAfter(
    const std::function<Status(const std::filesystem::path&)>& surgery) {
  std::shared_ptr<store::EventStore> old = store();
  if (Status st = old->CloseWithoutCheckpoint(); !st.ok())
    spdlog::warn("replication: closing the store before rewriting it: {}", st.ToString());
  Status done = surgery(store_options_.data_dir);
  // Reopen either way: after a failed surgery the data dir still holds a valid log (the
  // operations keep one at every step), and the follower retries from what it finds.
  auto reopened = store::EventStore::Open(store_options_);
  if (!reopened.ok()) {
    // Serving on would mean answering reads from a closed store that no longer matches the
    // disk, and following with it. The data dir itself is consistent (every surgery step is
    // crash-safe), so stopping is like a crash: the operator sees why, a restart retries.
    spdlog::critical("replication: cannot reopen the store after rewriting the data dir, "
                     "stopping: {}", reopened.status().ToString());
    std::_Exit(kExitFailure);
  }
  std::shared_ptr<store::EventStore> fresh = std::move(reopened).value();
  {
    std::lock_guard lock(mu_);
    store_ = fresh;
  }
  return done;
}

Status ClusterNode::InstallSnapshot(const std::filesystem::path& staging,
                                    const std::vector<std::string>& files, Lsn last,
                                    const storage::EpochHistory& epochs) {
  return ReopenAfter([&](const std::filesystem::path& dir) {
    return storage::InstallSnapshot(dir, staging, files, last, epochs);
  });
}

Status ClusterNode::TruncateLog(Lsn keep_through) {
  return ReopenAfter([&](const std::filesystem::path& dir) {
    storage::TruncateReport report;
    Status st = storage::TruncateLog(dir, keep_through, &report);
    if (st.ok())
      spdlog::warn("replication: truncated the log to LSN {}: {} events removed ({} files "
                   "rewritten, {} deleted; {} WAL segments deleted, {} cut)",
                   keep_through.value(), report.events_removed, report.files_rewritten,
                   report.files_deleted, report.segments_deleted, report.segments_truncated);
    return st;
  });
}

}  // namespace annal::app
