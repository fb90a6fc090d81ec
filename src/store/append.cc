// The write path: validate -> (seq_mu_) idempotency + OCC -> assign LSN, timestamp, version ->
// index as pending (index_mu_ exclusive) -> encode + Submit to the WAL -> (WAL writer thread)
// durable -> visible -> complete. See store_impl.h for the locks.
#include <algorithm>
#include <string>
#include <utility>

#include "core/give_way.h"
#include "core/validation.h"
#include "store/store_impl.h"

namespace annal::store {

struct EventStore::Impl::PlannedEvent {
  enum class Kind : uint8_t {
    kNew,                // to be written
    kDuplicateOfStored,  // same id + content as an already sequenced event; result filled
    kDuplicateInBatch,   // same id + content as events[dup_of] of this batch
  };
  Kind kind = Kind::kNew;
  bool client_id = false;         // event_id came from the client: check idempotency
  StreamState* stream = nullptr;  // kNew only
  EntityVersion version;          // kNew only: the entity version this event gets
  // Computed before the sequencing lock is taken, to keep that work out of it.
  uint64_t id_hash = 0;      // EventIdMap::Hash(event_id)
  uint64_t stream_hash = 0;  // StreamTable::Hash(tenant_id, entity_id)
  // For a client id that an earlier event of this batch has too, events[dup_of] is the first
  // one with it (else kNoDup), and same_as_dup says whether their content is the same.
  static constexpr size_t kNoDup = SIZE_MAX;
  size_t dup_of = kNoDup;
  bool same_as_dup = false;
};

namespace {

bool SameContent(const NewEvent& a, const NewEvent& b) {
  return a.tenant_id == b.tenant_id && a.event_type == b.event_type &&
         a.entity_id == b.entity_id && a.payload == b.payload && a.metadata == b.metadata;
}

// Batch errors name the event; a single append's error stands alone (HTTP maps it as is).
std::string Where(size_t index, size_t batch_size) {
  return batch_size > 1 ? "events[" + std::to_string(index) + "]: " : std::string();
}

AppendOutcome Failure(Status status) {
  AppendOutcome outcome;
  outcome.status = std::move(status);
  return outcome;
}

}  // namespace

// A flat table of event indexes, probed by the ids' hashes: one allocation per batch (a
// std::unordered_map under the sequencing lock allocated a node per id and rehashed as it grew).
void EventStore::Impl::FindRepeatedIds(const std::vector<NewEvent>& events,
                                       std::vector<PlannedEvent>& plan) {
  const size_t n = events.size();
  size_t slot_count = 16;
  while (slot_count < 2 * n) slot_count *= 2;
  const size_t mask = slot_count - 1;
  std::vector<size_t> first_with;  // event index, SIZE_MAX = empty; made at the first client id
  for (size_t i = 0; i < n; ++i) {
    auto& p = plan[i];
    if (!p.client_id) continue;
    if (first_with.empty()) first_with.assign(slot_count, SIZE_MAX);
    for (size_t slot = p.id_hash & mask;; slot = (slot + 1) & mask) {
      const size_t j = first_with[slot];
      if (j == SIZE_MAX) {
        first_with[slot] = i;
        break;
      }
      if (plan[j].id_hash == p.id_hash && *events[j].event_id == *events[i].event_id) {
        p.same_as_dup = SameContent(events[i], events[j]);
        p.dup_of = j;
        break;
      }
    }
  }
}

bool EventStore::Impl::CheckBatch(std::vector<NewEvent>& events, std::vector<PlannedEvent>& plan,
                                  AppendOutcome& outcome, Lsn& newest_duplicate) {
  const uint64_t batch_id = ++batch_counter_;
  const size_t n = events.size();
  // Each event's lookups are cache misses in big tables (its id's slot; its stream's slot and
  // then node), so they are started ahead: slots kAhead events ahead, the stream nodes those
  // slots point to (by then cached) half as far ahead.
  constexpr size_t kAhead = 16;
  auto prefetch_slots = [&](size_t i) {
    if (i >= n) return;
    if (plan[i].client_id) indexes_.PrefetchEventId(plan[i].id_hash);
    streams_.PrefetchSlot(plan[i].stream_hash);
  };
  auto prefetch_stream = [&](size_t i) {
    if (i < n) streams_.PrefetchStream(plan[i].stream_hash);
  };
  for (size_t i = 0; i < std::min(n, kAhead); ++i) prefetch_slots(i);
  for (size_t i = 0; i < std::min(n, kAhead / 2); ++i) prefetch_stream(i);
  for (size_t i = 0; i < n; ++i) {
    if (i > 0 && i % kGiveWayEvents == 0) GiveWay();  // holding seq_mu_, which reads don't need
    prefetch_slots(i + kAhead);
    prefetch_stream(i + kAhead / 2);
    const NewEvent& ne = events[i];
    PlannedEvent& p = plan[i];
    if (p.client_id) {
      auto fail_duplicate = [&] {
        outcome.status = Status(StatusCode::kDuplicateEventId,
                                Where(i, n) + "event_id " + ne.event_id->ToString() +
                                    " was already used for a different event");
        outcome.failed_index = i;
        outcome.duplicate_event_id = *ne.event_id;
        return false;
      };
      if (auto lsn = indexes_.FindEventId(*ne.event_id, p.id_hash)) {
        // Stored or pending: either way the original's outcome is decided (pending ones
        // become visible or the store is poisoned), so we can answer with it.
        const Event& original = log_.At(*lsn);
        if (!ne.SameContentAs(original)) return fail_duplicate();
        p.kind = PlannedEvent::Kind::kDuplicateOfStored;
        outcome.results[i] = AppendResult{original.id, original.timestamp, original.sequence,
                                          original.entity_version, /*duplicate=*/true};
        newest_duplicate = std::max(newest_duplicate, original.sequence);
        continue;
      }
      if (p.dup_of != PlannedEvent::kNoDup) {
        // Not stored, so neither is the batch's first event with this id, which is new.
        if (!p.same_as_dup) return fail_duplicate();
        p.kind = PlannedEvent::Kind::kDuplicateInBatch;
        continue;
      }
    }
    // OCC against the stream's version including pending events and this batch's earlier
    // events (tracked in the stream's scratch so a rejected batch leaves nothing to undo).
    StreamState& stream = streams_.FindOrCreate(ne.tenant_id, ne.entity_id, p.stream_hash);
    if (stream.entity != nullptr) __builtin_prefetch(stream.entity);  // for Indexes::Add
    if (stream.batch_id != batch_id) {
      stream.batch_id = batch_id;
      stream.batch_version = stream.version;
    }
    if (ne.expected_version && *ne.expected_version != stream.batch_version) {
      outcome.status = Status(StatusCode::kVersionConflict,
                              Where(i, n) + "version conflict: expected version " +
                                  std::to_string(ne.expected_version->value()) +
                                  ", current version " +
                                  std::to_string(stream.batch_version.value()));
      outcome.failed_index = i;
      outcome.expected_version = *ne.expected_version;
      outcome.current_version = stream.batch_version;
      return false;
    }
    stream.batch_version = stream.batch_version.next();
    p.stream = &stream;
    p.version = stream.batch_version;
  }
  return true;
}

void EventStore::Impl::AppendAsync(std::vector<NewEvent> events, AppendCallback done) {
  const size_t n = events.size();
  if (n == 0) return done(Failure(InvalidArgument("an append needs at least one event")));
  for (size_t i = 0; i < n; ++i) {
    Status st = ValidateNewEvent(events[i]);
    if (!st.ok()) {
      AppendOutcome outcome = Failure(Status(st.code(), Where(i, n) + st.message()));
      outcome.failed_index = i;
      return done(std::move(outcome));
    }
  }
  // Checked before seq_mu_ too, so a completion callback that runs while the WAL thread
  // poisons us (possibly under seq_mu_, see below) can append without deadlocking.
  if (visibility_.poisoned()) return done(Failure(visibility_.health()));

  // Work that needs no lock: generate ids, size the outputs.
  std::vector<PlannedEvent> plan(n);
  for (size_t i = 0; i < n; ++i) {
    plan[i].client_id = events[i].event_id.has_value();
    if (!plan[i].client_id) events[i].event_id = Uuid::NewV7();
    plan[i].id_hash = EventIdMap::Hash(*events[i].event_id);
    plan[i].stream_hash = StreamTable::Hash(events[i].tenant_id, events[i].entity_id);
  }
  if (n > 1) FindRepeatedIds(events, plan);
  AppendOutcome outcome;
  outcome.results.resize(n);

  std::unique_lock seq(seq_mu_);
  if (closing_) {
    seq.unlock();
    return done(Failure(Unavailable("store is shutting down")));
  }
  if (read_only_.load(std::memory_order_relaxed)) {
    seq.unlock();
    return done(Failure(Status(StatusCode::kReadOnly, "this node is a read-only follower")));
  }
  if (visibility_.poisoned()) {
    seq.unlock();
    return done(Failure(visibility_.health()));
  }
  Lsn newest_duplicate;
  if (!CheckBatch(events, plan, outcome, newest_duplicate)) {
    seq.unlock();
    outcome.results.clear();
    return done(std::move(outcome));
  }

  const size_t new_count = static_cast<size_t>(std::count_if(
      plan.begin(), plan.end(), [](const PlannedEvent& p) { return p.kind == PlannedEvent::Kind::kNew; }));
  if (new_count == 0) {
    // Nothing to write: answer once the originals are visible (they may still be pending).
    seq.unlock();
    visibility_.WaitFor(newest_duplicate,
                        [done = std::move(done), outcome = std::move(outcome)](Status st) mutable {
                          if (!st.ok()) outcome = Failure(std::move(st));
                          done(std::move(outcome));
                        });
    return;
  }

  // The first write of an epoch records it durably before its WAL record exists.
  if (Status st = RecordEpochLocked(epoch_, last_lsn_.next()); !st.ok()) {
    seq.unlock();
    return done(Failure(std::move(st)));
  }
  // Sequence and index the batch. One timestamp for the whole batch, never below the last one,
  // keeps timestamps non-decreasing in LSN order even if the wall clock steps back.
  const TimestampMicros timestamp = std::max(NowMicros(), last_timestamp_);
  Lsn lsn = last_lsn_;
  std::vector<const Event*> stored_events;
  stored_events.reserve(new_count);
  // Rehash what the new ids outgrow now, while readers still use the old tables: a rehash of
  // a big shard takes milliseconds, and under index_mu_ every reader would wait for it.
  std::vector<uint64_t> new_id_hashes;
  new_id_hashes.reserve(new_count);
  for (const PlannedEvent& p : plan) {
    if (p.kind == PlannedEvent::Kind::kNew) new_id_hashes.push_back(p.id_hash);
  }
  EventIdMap::Growth id_growth = indexes_.PrepareIdGrowth(new_id_hashes);
  {
    // Readers wait while we hold index_mu_, so a large batch is indexed in slices and readers
    // get in between. That is safe: we hold seq_mu_ throughout, and readers ignore these
    // events until the batch is durable and visible.
    constexpr size_t kIndexSlice = 64;
    // Where Add will write: the entity's next LSN slot and the id's slot (a grown table was
    // just swapped in, and CheckBatch did not look up generated ids).
    constexpr size_t kAhead = 8;
    auto prefetch = [&](size_t i) {
      if (i >= n || plan[i].kind != PlannedEvent::Kind::kNew) return;
      if (plan[i].stream->entity != nullptr) Indexes::PrefetchAdd(*plan[i].stream->entity);
      indexes_.PrefetchEventId(plan[i].id_hash);
    };
    std::unique_lock index_lock(index_mu_);
    indexes_.CommitIdGrowth(id_growth);
    for (size_t i = 0; i < std::min(n, kAhead); ++i) prefetch(i);
    for (size_t i = 0; i < n; ++i) {
      if (i > 0 && i % kIndexSlice == 0) {
        index_lock.unlock();
        if (i % kGiveWayEvents == 0) GiveWay();
        index_lock.lock();
      }
      prefetch(i + kAhead);
      PlannedEvent& p = plan[i];
      if (p.kind != PlannedEvent::Kind::kNew) continue;
      NewEvent& ne = events[i];
      lsn = lsn.next();
      Event e;
      e.sequence = lsn;
      e.epoch = epoch_;
      e.id = *ne.event_id;
      e.tenant_id = std::move(ne.tenant_id);
      e.event_type = std::move(ne.event_type);
      e.entity_id = std::move(ne.entity_id);
      e.payload = std::move(ne.payload);
      e.metadata = std::move(ne.metadata);
      e.timestamp = timestamp;
      e.entity_version = p.version;
      const Event* stored = log_.Append(std::move(e));
      stored_events.push_back(stored);
      p.stream->entity = indexes_.Add(*stored, p.stream->entity, p.id_hash);
      p.stream->version = p.version;
      outcome.results[i] = AppendResult{stored->id, timestamp, lsn, p.version, false};
    }
  }
  for (size_t i = 0; i < n; ++i) {
    if (plan[i].kind != PlannedEvent::Kind::kDuplicateInBatch) continue;
    outcome.results[i] = outcome.results[plan[i].dup_of];
    outcome.results[i].duplicate = true;
  }
  last_lsn_ = lsn;
  last_timestamp_ = timestamp;
  seq.unlock();

  // These LSNs are taken: they must reach the WAL, or nothing after them could ever become
  // durable. So nothing from here on may fail quietly; an exception ends the process.
  [&]() noexcept {
    // Register before submitting so the completion cannot be missed; the batch's last LSN
    // covers any duplicates in it too (their originals have smaller LSNs).
    visibility_.WaitFor(lsn, [this, new_count, done = std::move(done),
                              outcome = std::move(outcome)](Status st) mutable {
      if (st.ok()) {
        total_ingested_.fetch_add(new_count, std::memory_order_relaxed);
      } else {
        outcome = Failure(std::move(st));
      }
      done(std::move(outcome));
    });
    SubmitToWal(stored_events);
  }();
  log_.PrepareNextChunk();
  indexes_.FillSpareIdTables();
}

void EventStore::Impl::SubmitToWal(const std::vector<const Event*>& events) {
  // Events are immutable once in the log and never move, so they are read without any lock.
  wal::Batch batch;
  size_t bytes = 0;
  for (const Event* e : events) bytes += wal::Batch::RecordBytes(*e);
  batch.Reserve(bytes);
  for (size_t i = 0; i < events.size(); ++i) {
    if (i > 0 && i % kGiveWayEvents == 0) GiveWay();
    batch.AddEvent(*events[i]);
  }
  const Lsn last = batch.last_lsn();
  submit_.Submit(std::move(batch), [this, last](Status st) { OnBatchDurable(last, st); });
}

void EventStore::Impl::OnBatchDurable(Lsn lsn, const Status& st) {
  if (!st.ok()) return visibility_.Poison(st);
  visibility_.MarkDurable(lsn);
  if (!gate_.load(std::memory_order_acquire)) visibility_.Publish(lsn);
  if (options_.on_durable) options_.on_durable(lsn);
}

}  // namespace annal::store
