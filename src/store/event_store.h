// EventStore: the embedded event store (DESIGN.md §2, §6). Usable without the HTTP server.
//
// Write path: validate -> (sequencing lock) idempotency + OCC checks, assign LSN, timestamp and
// entity_version, index the event as pending, Submit to the WAL -> (writer thread) fdatasync ->
// visible_lsn advances -> the append completes. Readers see only events with
// sequence <= visible_lsn(), so a read never returns an event that is not durable.
//
// Thread-safety: every public method is thread-safe.
#pragma once

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
#include "wal/wal.h"

namespace annal::store {

struct StoreOptions {
  std::filesystem::path data_dir;           // WAL under <data_dir>/wal
  wal::SyncPolicy wal_sync;
  uint64_t wal_segment_bytes = 64ull << 20;
  uint64_t node_id = 0;
  size_t max_query_results = 100000;        // cap for queries without a limit
  // Observes WAL group commits (metrics).
  std::function<void(double fsync_seconds, size_t group_records)> on_group_commit;
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
  // Opens the store: recovers the WAL and rebuilds every index from it.
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
  // OK until a WAL I/O error poisons the store; after that every append fails with it.
  Status health() const;

  // Stops accepting appends, waits for in-flight ones, closes the WAL. Idempotent.
  // REQUIRES: not called from an AppendCallback (it runs on the WAL writer thread, which Close
  // joins). Reads keep working after Close.
  Status Close();

  class Impl;

 private:
  explicit EventStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace annal::store
