// ClusterView: what the HTTP layer needs to know about replication (DESIGN §5, §6), without
// depending on the replication library. The process (src/app) implements it; a standalone
// node uses StandaloneCluster.
//
//   - the current store (a follower replaces its store when it installs a snapshot or
//     truncates a divergent suffix, so handlers fetch it per request);
//   - the role and, on a follower, the leader to name in 409 read_only answers;
//   - the ack level a write reached (semi-sync/sync), for the write response;
//   - the "replication" value of GET /health;
//   - the internal endpoints POST /internal/promote and /internal/repoint?leader=host:port.
//
// Thread-safety: implementations are called from every HTTP thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "core/types.h"

namespace annal::store { class EventStore; }
namespace annal::metrics { class Metrics; }

namespace annal::http {

class JsonWriter;

// The ack level a write reached (replication::WriteAck, as the response shows it).
struct WriteAckInfo {
  std::string mode;      // "async", "semi_sync", "sync"
  bool acked = true;     // reached the mode's level
  uint32_t acks = 0;     // followers that have it durably
  uint32_t required = 0; // followers the mode waits for
  bool fail_on_timeout = false;  // --on-ack-timeout fail: not acked -> 503
};

class ClusterView {
 public:
  virtual ~ClusterView() = default;
  virtual std::shared_ptr<store::EventStore> store() = 0;
  virtual std::string role() = 0;                       // "leader" or "follower"
  virtual std::optional<std::string> leader() = 0;      // follower: "host:port" of its leader
  // nullopt when this node does not replicate (the response then has no "replication").
  virtual std::optional<WriteAckInfo> AckFor(Lsn last) = 0;
  // Writes the value of /health's "replication" key (null when not replicating).
  virtual void WriteHealth(JsonWriter& w) = 0;
  // Feeds the replication metrics before a scrape (nothing when not replicating).
  virtual void SampleMetrics(metrics::Metrics& m) = 0;
  // The configured cluster token; internal endpoints require it when set.
  virtual std::optional<std::string> cluster_token() = 0;
  // Follower -> leader with a new epoch. Returns the JSON body of the 200 answer.
  virtual Result<std::string> Promote() = 0;
  // Follow `leader` ("host:port") from now on. Returns the JSON body of the 200 answer.
  virtual Result<std::string> Repoint(std::string_view leader) = 0;
};

// A node without replication: one store that never changes, role "leader".
class StandaloneCluster final : public ClusterView {
 public:
  explicit StandaloneCluster(store::EventStore& store);
  std::shared_ptr<store::EventStore> store() override { return store_; }
  std::string role() override { return "leader"; }
  std::optional<std::string> leader() override { return std::nullopt; }
  std::optional<WriteAckInfo> AckFor(Lsn) override { return std::nullopt; }
  void WriteHealth(JsonWriter& w) override;
  void SampleMetrics(metrics::Metrics&) override {}
  std::optional<std::string> cluster_token() override { return std::nullopt; }
  Result<std::string> Promote() override;
  Result<std::string> Repoint(std::string_view leader) override;

 private:
  std::shared_ptr<store::EventStore> store_;  // non-owning (no-op deleter)
};

}  // namespace annal::http
