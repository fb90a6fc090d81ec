// EventStore: the embedded event store (DESIGN.md §2, §6). Usable without the HTTP server.
//
// Write path: validate -> (sequencing lock) idempotency + OCC checks, assign LSN, timestamp and
// entity_version, index the event as pending, Submit to the WAL -> (writer thread) fdatasync ->
// visible_lsn advances -> the append completes. Readers see only events with
// sequence <= visible_lsn(), so a read never returns an event that is not durable.
//
// Thread-safety: every public method is thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/event.h"
#include "core/status.h"
#include "core/types.h"
#include "storage/catalog.h"
#include "storage/checkpointer.h"
#include "storage/compactor.h"
#include "storage/epoch_history.h"
#include "storage/crash_points.h"
#include "storage/parquet/event_file.h"
#include "wal/wal.h"

namespace annal::store {

struct StoreOptions {
  std::filesystem::path data_dir;           // WAL under <data_dir>/wal, Parquet under /storage
  wal::SyncPolicy wal_sync;
  uint64_t wal_segment_bytes = 64ull << 20;
  bool wal_preallocate = true;    // wal::WalOptions::preallocate
  // WAL segments already in Parquet are deleted only outside the newest this many bytes of
  // segments, kept for follower catch-up (DESIGN §3, --wal-retention).
  uint64_t wal_retention_bytes = 256ull << 20;
  uint64_t node_id = 0;
  size_t max_query_results = 100000;        // cap for queries without a limit
  // Observes WAL group commits (metrics).
  std::function<void(double fsync_seconds, size_t group_records)> on_group_commit;

  // Checkpoints (DESIGN §4): a background thread checkpoints every checkpoint_interval when at
  // least checkpoint_min_events new events are visible, then compacts. 0 = no background
  // thread: checkpoints only on Close() and Checkpoint(), compaction only on Compact().
  std::chrono::milliseconds checkpoint_interval{std::chrono::seconds(60)};
  uint64_t checkpoint_min_events = 1;
  bool checkpoint_on_close = true;          // final checkpoint in Close(), after the WAL drained
  uint64_t checkpoint_max_file_events = 1'000'000;  // longer checkpoints write several files
  storage::ParquetWriteOptions parquet;
  storage::CompactionOptions compaction;
  // Tests only: called after each durable step of a checkpoint or compaction.
  storage::CrashHook storage_crash_hook;

  // Replication (DESIGN §5, docs/replication.md).
  // Called on the WAL writer thread after each batch became durable, with its last LSN (the
  // leader's shippers wake up on it). Must not block.
  std::function<void(Lsn durable)> on_durable;
  // Leader in semi-sync/sync mode: durable events become visible (to readers and to their
  // appenders' callbacks) only through Publish(), which the ack tracker calls once a write
  // reached its ack level or timed out. false: visible as soon as durable.
  bool gate_visibility = false;
  // Follower: AppendAsync answers kReadOnly; only ApplyReplicatedAsync writes. SetReadOnly
  // changes it at run time (promotion).
  bool read_only = false;
};

// Parquet storage as /health and `annal inspect` show it.
struct StorageStats {
  Lsn checkpoint_lsn;               // every LSN <= this is in a Parquet file
  size_t files = 0;                 // live Parquet files
  uint64_t bytes = 0;               // their total size
  size_t pinned_files = 0;          // files someone is reading (snapshot transfer)
  uint64_t checkpoint_files_written = 0;  // since Open
  uint64_t compaction_merges = 0;   // since Open
  uint64_t wal_segments_removed = 0;  // since Open
  std::string last_error;           // last failed background checkpoint/compaction; "" if none
};

// The outcome of one event of an append.
struct AppendResult {
  Uuid event_id;
  TimestampMicros timestamp = 0;
  Lsn sequence;
  EntityVersion entity_version;  // the entity's version after this event
  bool duplicate = false;        // idempotent retry: nothing was written for this event
};

// Outcome of Append/AppendBatch. Nothing is written unless status is OK.
struct AppendOutcome {
  Status status;
  std::vector<AppendResult> results;       // one per requested event, in order, when OK
  std::optional<size_t> failed_index;      // batch: the first event that failed, 0-based
  // kVersionConflict: what the failing event expected and what the entity is at.
  EntityVersion expected_version, current_version;
  // kDuplicateEventId: the reused id.
  std::optional<Uuid> duplicate_event_id;
};

// payload_filter: every (key, value) must equal a top-level payload key/value. Values are
// minified JSON text and compared as JSON values (numbers by value, objects by members).
using PayloadFilter = std::vector<std::pair<std::string, std::string>>;

struct Query {
  std::optional<std::string> entity_id;
  std::optional<std::string> event_type;
  std::optional<std::string> event_type_prefix;
  std::optional<std::string> tenant_id;
  std::optional<TimestampMicros> since;   // inclusive
  std::optional<TimestampMicros> until;   // inclusive
  std::optional<TimestampMicros> as_of;   // inclusive; same as until, both may be given
  PayloadFilter payload_filter;
  std::optional<size_t> limit;            // capped by max_query_results
  Lsn after;                              // cursor: only sequence > after
};

struct QueryResult {
  // Oldest first (by sequence). Events are owned by the store and live as long as it does.
  std::vector<const Event*> events;
  size_t total_count = 0;                 // matches with sequence > after, ignoring limit
  bool has_more = false;
  std::optional<Lsn> next_after;          // set when has_more: pass as `after` to continue
};

struct EntityState {
  std::string entity_id;
  TimestampMicros last_updated = 0;
  size_t event_count = 0;
  std::optional<TimestampMicros> as_of;
  std::string current_state;              // JSON object text: top-level keys merged, last wins
  std::vector<const Event*> history;      // oldest first
};

struct EntitySummary {
  std::string entity_id;
  size_t event_count = 0;
  std::string last_event_type;
  TimestampMicros last_event_at = 0;
};
struct StreamSummary {
  std::string stream_id;
  size_t event_count = 0;
  TimestampMicros last_event_at = 0;
};
struct EventTypeSummary {
  std::string event_type;
  size_t event_count = 0;
  TimestampMicros last_event_at = 0;
};
template <typename T>
struct Page {
  std::vector<T> items;
  size_t total = 0;
  bool has_more = false;
};

struct EntityListOptions {
  std::optional<std::string> event_type_prefix;  // entities with at least one such event
  PayloadFilter payload_filter;                  // matched against the entity's current state
  size_t limit = 100;
  size_t offset = 0;
};

struct Stats {
  uint64_t total_events = 0;
  uint64_t total_entities = 0;
  uint64_t total_event_types = 0;
  uint64_t total_ingested = 0;  // appended through this process since start (no retries)
};

class EventStore {
 public:
  // Opens the store: loads the storage catalog, reads every Parquet file in LSN order, then
  // recovers the WAL and replays its records above the checkpoint LSN, rebuilding every index.
  // A damaged Parquet file, manifest or WAL stops Open with Corruption naming the file.
  static Result<std::unique_ptr<EventStore>> Open(StoreOptions options);
  ~EventStore();  // Close()

  using AppendCallback = std::function<void(AppendOutcome)>;

  // Appends events atomically (a single append is a batch of one): either every event gets
  // consecutive sequence numbers or none is written. `done` runs exactly once: on the calling
  // thread for a rejection, otherwise on the WAL writer thread once the events are visible.
  // `done` must not block.
  void AppendAsync(std::vector<NewEvent> events, AppendCallback done);
  // Blocking convenience over AppendAsync.
  AppendOutcome Append(std::vector<NewEvent> events);

  std::optional<const Event*> GetEvent(const Uuid& id) const;
  // Rejects bad filters (e.g. limit 0 is fine; since > until is fine and matches nothing).
  Result<QueryResult> QueryEvents(const Query& q) const;
  // nullopt when the entity has no (visible) events up to as_of.
  std::optional<EntityState> GetEntityState(const std::optional<std::string>& tenant_id,
                                            const std::string& entity_id,
                                            std::optional<TimestampMicros> as_of) const;
  Page<EntitySummary> ListEntities(const EntityListOptions& opts) const;
  Page<StreamSummary> ListStreams(size_t limit, size_t offset) const;
  Page<EventTypeSummary> ListEventTypes(size_t limit, size_t offset) const;
  Stats GetStats() const;

  Lsn visible_lsn() const;
  Lsn durable_lsn() const;

  // --- replication (DESIGN §5) ---
  // Follower: appends entries received from the leader, keeping their LSNs, epochs,
  // timestamps and entity versions. `events` must continue the log without a gap
  // (events[0].sequence == last LSN + 1, consecutive), carry ids never seen before, entity
  // versions that continue their streams (0 = unknown, as from an AllSource leader: assigned
  // here), non-decreasing timestamps and epochs (0 = unknown: the current epoch). Any violation
  // is kInvalidArgument / kCorruption and nothing is written. `done` runs once the batch is
  // durable (then also visible), or with the error; same threading rules as AppendAsync.
  void ApplyReplicatedAsync(std::vector<Event> events, std::function<void(Status)> done);
  // Leader with gate_visibility: makes every durable event <= lsn visible (clamped to
  // durable: visible never passes durable).
  void Publish(Lsn lsn);
  // The last LSN assigned (written or in flight to the WAL).
  Lsn last_lsn() const;
  // Waits until every assigned LSN is durable (durable_lsn() == last_lsn()): before a follower
  // resubscribes from its durable LSN and before a promotion starts a new term. The error that
  // poisoned the store if it breaks; Unavailable after `timeout`.
  Status AwaitInFlight(std::chrono::milliseconds timeout) const;
  // The epoch stamped on new appends; the highest epoch in the log otherwise.
  Epoch epoch() const;
  // Starts a new leadership term: every later append carries `epoch` (> epoch()). Recorded
  // durably in the epoch history (starting at last_lsn() + 1) before it returns.
  Status SetEpoch(Epoch epoch);
  // Which epoch wrote which LSNs (<data>/EPOCHS), for replication's divergence check.
  storage::EpochHistory epoch_history() const;
  void SetReadOnly(bool read_only);
  // Turns the visibility gate (StoreOptions::gate_visibility) on or off at run time
  // (promotion). Turning it off publishes everything durable.
  void SetVisibilityGate(bool on);
  bool read_only() const;
  const std::filesystem::path& data_dir() const;
  std::filesystem::path wal_dir() const;
  // OK until a WAL I/O error poisons the store; after that every append fails with it.
  Status health() const;

  // Writes every visible event not yet in Parquet to a new file and commits it in the
  // manifest, then deletes WAL segments that are checkpointed and outside the retention.
  // Appends continue meanwhile (events are read from the in-memory log; no append lock is
  // held). Serialized with the background checkpoints and compactions. Works after Close.
  Result<storage::CheckpointResult> Checkpoint();
  // Merges small adjacent Parquet files (StoreOptions::compaction).
  Result<storage::CompactionResult> Compact();
  Lsn checkpoint_lsn() const;
  StorageStats storage_stats() const;
  // Pins every live Parquet file: a consistent set covering LSNs 1..checkpoint_lsn that stays
  // on disk, even if compacted away, until the pins are dropped (snapshot transfer).
  storage::Catalog::PinnedSnapshot PinStorageSnapshot();

  // Stops the background checkpoints, stops accepting appends, waits for in-flight ones,
  // closes the WAL, then (checkpoint_on_close) checkpoints everything. Idempotent. Returns the
  // first error of the WAL close or the final checkpoint (the WAL keeps what a failed
  // checkpoint did not write, so nothing is lost either way).
  // REQUIRES: not called from an AppendCallback (it runs on the WAL writer thread, which Close
  // joins). Reads keep working after Close.
  Status Close();
  // Close without the final checkpoint: the data dir is about to be rewritten (a follower
  // truncating a divergent suffix or installing a snapshot).
  Status CloseWithoutCheckpoint();

  class Impl;

 private:
  explicit EventStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace annal::store
