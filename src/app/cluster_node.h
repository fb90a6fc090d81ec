// ClusterNode: one `annal serve` process's replication role (DESIGN §5): it owns the store and,
// depending on the role, the leader's replication listener + ack tracker or the follower's
// client, and switches between them on promotion and repointing. The HTTP server sees it as
// its http::ClusterView; the follower client sees it as its FollowerHost (snapshot install).
//
// Thread-safety: all public methods are thread-safe; role changes are serialized.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "app/config.h"
#include "http/cluster.h"
#include "replication/ack_tracker.h"
#include "replication/follower.h"
#include "replication/leader.h"
#include "store/event_store.h"

namespace annal::metrics { class Metrics; }

namespace annal::app {

class ClusterNode final : public http::ClusterView, public replication::FollowerHost {
 public:
  // Opens the store with `store_options` (adjusted for the role) and starts replication as
  // `config` asks: a leader listens when replication is enabled, a follower connects.
  static Result<std::unique_ptr<ClusterNode>> Start(const ServeConfig& config,
                                                    store::StoreOptions store_options);
  ~ClusterNode() override;

  // The replication listener's port (0 when this node does not serve followers).
  uint16_t replication_port() const;
  // Stops replication, then closes the store (with its final checkpoint).
  Status Stop();

  // http::ClusterView
  std::shared_ptr<store::EventStore> store() override;
  std::string role() override;
  std::optional<std::string> leader() override;
  std::optional<http::WriteAckInfo> AckFor(Lsn last) override;
  void WriteHealth(http::JsonWriter& w) override;
  void SampleMetrics(metrics::Metrics& m) override;
  std::optional<std::string> cluster_token() override { return config_.cluster_token; }
  Result<std::string> Promote() override;
  Result<std::string> Repoint(std::string_view leader) override;

  // replication::FollowerHost (called on the follower client's thread)
  Status InstallSnapshot(const std::filesystem::path& staging,
                         const std::vector<std::string>& files, Lsn last,
                         const storage::EpochHistory& epochs) override;
  Status TruncateLog(Lsn keep_through) override;

 private:
  ClusterNode(ServeConfig config, store::StoreOptions store_options);
  Status StartLeaderLocked();
  void StopLeaderLocked();
  Status StartFollowerLocked(const std::string& leader);
  void StopFollowerLocked();
  // The store's on_durable hook: feeds the ack tracker and wakes the shippers.
  void OnDurable(Lsn lsn);
  replication::AckPolicy Policy() const;
  // The current parts, copied under mu_ (each may be null), to use without holding it.
  struct PartsSnapshot {
    std::shared_ptr<store::EventStore> store;
    std::shared_ptr<replication::AckTracker> acks;
    std::shared_ptr<replication::ReplicationServer> server;
    std::shared_ptr<replication::FollowerClient> client;
  };
  PartsSnapshot Parts() const;
  // Closes the store (no final checkpoint: the data dir is about to be rewritten), runs
  // `surgery` on the data dir, reopens the store and swaps it in. Readers keep using the old
  // (closed, still readable) store until they fetch the new one.
  Status ReopenAfter(const std::function<Status(const std::filesystem::path&)>& surgery);

  const ServeConfig config_;
  store::StoreOptions store_options_;

  std::mutex role_mu_;  // serializes Start/Stop/Promote/Repoint/InstallSnapshot
  std::atomic<bool> follower_{false};

  mutable std::mutex mu_;  // guards the pointers below (short critical sections only)
  std::shared_ptr<store::EventStore> store_;
  std::shared_ptr<replication::AckTracker> acks_;
  std::shared_ptr<replication::ReplicationServer> server_;
  std::shared_ptr<replication::FollowerClient> follower_client_;
  std::string leader_address_;  // follower: host:port
};

}  // namespace annal::app
