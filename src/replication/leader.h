// The leader's side of replication (DESIGN §5, docs/replication.md "Leader").
//
// ReplicationServer listens on the replication port and runs one session per follower:
//   1. read `subscribe` (first line, within a deadline; anything else closes the connection
//      with a logged reason);
//   2. if the follower's next LSN is still in the WAL: stream from there (wal::LogReader, so
//      old entries come from segment files and new ones as they become durable); otherwise send
//      a snapshot of the pinned Parquet files covering 1..X, then stream from X+1;
//   3. after the first pass reaches the durable end, send `caught_up` and mark the follower
//      in sync; from then on every durable batch is shipped as it commits.
// Sending blocks on the socket: a slow follower slows only its own session (back-pressure), the
// leader reads the WAL at the follower's pace and holds at most one send buffer per session.
// A follower that stops accepting data for `stall_timeout` is cut off; it resubscribes from its
// durable LSN. Acks are read on a second thread per session and fed to the AckTracker.
//
// Thread-safety: public methods are thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/types.h"
#include "replication/ack_tracker.h"

namespace annal::store { class EventStore; }

namespace annal::replication {

struct LeaderOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 3910;                                  // 0 = any free port (tests)
  size_t send_buffer_bytes = 256u << 10;                 // flush the socket at this size
  size_t snapshot_chunk_bytes = 512u << 10;              // raw bytes per snapshot_chunk
  std::chrono::milliseconds subscribe_timeout{10000};    // first line must arrive by then
  std::chrono::milliseconds stall_timeout{30000};        // a follower accepting nothing this long is cut
};

// One follower as the leader sees it (GET /health, metrics).
struct FollowerSessionStatus {
  std::string name;            // subscribe.node_id, else the peer address
  std::string address;         // peer ip:port
  std::string state;           // "snapshot", "catching_up", "streaming"
  bool annal_protocol = false; // negotiated "annal/1"
  Lsn subscribed_from;         // last_offset of its subscribe
  Lsn sent, acked;             // highest LSN shipped / acknowledged durable
  uint64_t lag_entries = 0;    // leader durable LSN - acked
  uint64_t lag_ms = 0;         // age of the oldest shipped entry not yet acked (0: none)
  uint64_t snapshots_sent = 0;
};

struct LeaderStats {
  uint64_t sessions_started = 0;
  uint64_t sessions_rejected = 0;  // protocol errors, refused subscribes
  uint64_t entries_sent = 0;
  uint64_t bytes_sent = 0;
  uint64_t snapshots_sent = 0;
};

class ReplicationServer {
 public:
  // Binds and starts accepting. `store` and `acks` must outlive the server.
  static Result<std::unique_ptr<ReplicationServer>> Start(LeaderOptions options,
                                                          std::shared_ptr<store::EventStore> store,
                                                          AckTracker& acks);
  ~ReplicationServer();  // Stop()

  uint16_t port() const;
  // The store's WAL made everything <= lsn durable: wake the sessions.
  void NotifyDurable(Lsn lsn);
  std::vector<FollowerSessionStatus> followers() const;
  LeaderStats stats() const;
  // Closes the listener and every session, joins their threads. Idempotent.
  void Stop();

  class Impl;

 private:
  explicit ReplicationServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace annal::replication
