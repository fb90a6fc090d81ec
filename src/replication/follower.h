// The follower's side of replication (DESIGN §5.2-5.4, docs/replication.md "Follower").
//
// FollowerClient keeps one connection to the leader: it subscribes with its durable LSN,
// applies only contiguous entries (offset == last + 1) whose checksums verify, writes them to
// its own WAL with the leader's LSNs and epochs (EventStore::ApplyReplicatedAsync) and acks
// cumulatively once they are durable (fdatasync). Anything unexpected — a gap, a bad checksum,
// garbage, a message out of order, an entry the store refuses — drops the connection; after a
// backoff it resubscribes from its durable LSN, so nothing is ever skipped.
//
// A snapshot (snapshot_start, chunks, snapshot_end) is written chunk by chunk to a staging
// directory on disk, checked (contiguous chunks, CRC-32C when the leader sends it), and handed
// to the host to install atomically; streaming then resumes at the next LSN.
//
// Thread-safety: public methods are thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/types.h"
#include "storage/epoch_history.h"

namespace annal::store { class EventStore; }

namespace annal::replication {

// What the follower needs from the process that runs it.
class FollowerHost {
 public:
  virtual ~FollowerHost() = default;
  // The store to apply to (it may be replaced by InstallSnapshot / TruncateLog).
  virtual std::shared_ptr<store::EventStore> store() = 0;
  // Replaces the data with the snapshot files in `staging` (covering LSN 1..last, written in
  // the epochs `epochs`; empty when the leader did not say) and reopens the store. On error
  // the old data must be intact.
  virtual Status InstallSnapshot(const std::filesystem::path& staging,
                                 const std::vector<std::string>& files, Lsn last,
                                 const storage::EpochHistory& epochs) = 0;
  // Removes every entry after `keep_through` (a divergent suffix) and reopens the store.
  virtual Status TruncateLog(Lsn keep_through) = 0;
};

struct FollowerOptions {
  std::string leader_host;
  uint16_t leader_port = 3910;
  std::string node_id;                                 // sent in subscribe (Annal extension)
  std::filesystem::path staging_dir;                   // snapshot chunks land here
  size_t max_apply_batch = 4096;                       // entries per ApplyReplicatedAsync
  std::chrono::milliseconds connect_timeout{3000};
  std::chrono::milliseconds backoff_min{100};
  std::chrono::milliseconds backoff_max{5000};
};

// DESIGN §6 follower health fields.
struct FollowerStatus {
  bool connected = false;
  std::string leader;              // host:port
  Lsn last_replayed_offset;        // durable on this follower
  Lsn leader_offset;               // highest LSN the leader reported (entries, caught_up)
  uint64_t replication_lag_ms = 0; // leader write -> receipt here, of the newest entry
  uint64_t total_replayed = 0;     // entries applied since start
  uint64_t reconnect_count = 0;
  uint64_t snapshots_received = 0;
  uint64_t truncations = 0;        // divergent suffixes removed on the leader's word
  Epoch epoch;
  bool caught_up = false;          // received caught_up on the current connection
  std::string last_error;          // why the last connection ended ("" if none)
};

class FollowerClient {
 public:
  // Starts the connection thread. `host` must outlive the client.
  static std::unique_ptr<FollowerClient> Start(FollowerOptions options, FollowerHost& host);
  ~FollowerClient();  // Stop()

  // The connection's view; last_replayed_offset and epoch are the host store's to fill in.
  FollowerStatus status() const;
  // Follows another leader from now on (drops the current connection).
  void Repoint(std::string host, uint16_t port);
  // Drops the connection and joins the thread. Idempotent.
  void Stop();

  class Impl;

 private:
  explicit FollowerClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace annal::replication
