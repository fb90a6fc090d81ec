// The follower's write path (DESIGN §5.2-5.3): entries from the leader keep their LSNs, epochs,
// timestamps and entity versions. Checked like WAL replay (store_impl.h: ReplayEvent) but
// without touching anything until the whole batch passed, so a bad entry writes nothing.
// Also the small replication accessors of the store (epoch, read-only, last LSN).
#include <string>
#include <unordered_set>

#include "core/validation.h"
#include "store/store_impl.h"

namespace annal::store {

void EventStore::Impl::ApplyReplicatedAsync(std::vector<Event> events,
                                            std::function<void(Status)> done) {
  if (events.empty()) return done(InvalidArgument("nothing to apply"));
  for (const Event& e : events) {
    // The same field rules as a client append (DESIGN §2; ValidateNewEvent).
    Status st = ValidateEventType(e.event_type);
    if (st.ok()) st = ValidateEntityId(e.entity_id);
    if (st.ok()) st = ValidateTenantId(e.tenant_id);
    if (st.ok() && e.payload.empty()) st = InvalidArgument("payload is required");
    if (!st.ok())
      return done(InvalidArgument("replicated lsn " + std::to_string(e.sequence.value()) + ": " +
                                  st.message()));
  }
  if (visibility_.poisoned()) return done(visibility_.health());

  std::unique_lock seq(seq_mu_);
  if (closing_) {
    seq.unlock();
    return done(Unavailable("store is shutting down"));
  }
  if (visibility_.poisoned()) {
    seq.unlock();
    return done(visibility_.health());
  }
  auto fail = [&](const Event& e, std::string why) {
    seq.unlock();
    done(Corruption("replicated lsn " + std::to_string(e.sequence.value()) + ": " + why));
  };
  // Check everything first, using the streams' batch scratch so nothing needs undoing.
  const uint64_t batch_id = ++batch_counter_;
  Lsn expect = last_lsn_.next();
  TimestampMicros last_ts = last_timestamp_;
  Epoch epoch = epoch_;
  std::unordered_set<Uuid, UuidHash> ids;
  std::vector<StreamState*> streams(events.size());
  std::vector<uint64_t> id_hashes(events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    Event& e = events[i];
    if (e.sequence != expect)
      return fail(e, "expected lsn " + std::to_string(expect.value()) + " (entries must be contiguous)");
    expect = expect.next();
    if (e.timestamp < last_ts) return fail(e, "timestamp goes backwards");
    last_ts = e.timestamp;
    if (e.epoch.value() == 0) e.epoch = epoch;  // an AllSource leader sends no epoch
    if (e.epoch < epoch)
      return fail(e, "epoch " + std::to_string(e.epoch.value()) + " is older than " +
                         std::to_string(epoch.value()));
    epoch = e.epoch;
    id_hashes[i] = EventIdMap::Hash(e.id);
    if (indexes_.FindEventId(e.id, id_hashes[i]) || !ids.insert(e.id).second)
      return fail(e, "event id " + e.id.ToString() + " appears twice");
    StreamState& stream = streams_.FindOrCreate(e.tenant_id, e.entity_id);
    if (stream.batch_id != batch_id) {
      stream.batch_id = batch_id;
      stream.batch_version = stream.version;
    }
    EntityVersion next = stream.batch_version.next();
    if (e.entity_version.value() == 0) e.entity_version = next;  // AllSource sends none
    if (e.entity_version != next)
      return fail(e, "entity_version " + std::to_string(e.entity_version.value()) +
                         " of entity '" + e.entity_id + "', expected " +
                         std::to_string(next.value()));
    stream.batch_version = next;
    streams[i] = &stream;
  }

  // New epochs are on disk before any of their entries can be.
  for (const Event& e : events) {
    if (Status st = RecordEpochLocked(e.epoch, e.sequence); !st.ok()) {
      seq.unlock();
      return done(st);
    }
  }
  const Lsn last = events.back().sequence;
  std::vector<const Event*> stored_events;
  stored_events.reserve(events.size());
  // As in AppendAsync: rehash before taking index_mu_.
  EventIdMap::Growth id_growth = indexes_.PrepareIdGrowth(id_hashes);
  {
    std::unique_lock index_lock(index_mu_);
    indexes_.CommitIdGrowth(id_growth);
    for (size_t i = 0; i < events.size(); ++i) {
      StreamState& stream = *streams[i];
      stream.version = events[i].entity_version;
      const Event* stored = log_.Append(std::move(events[i]));
      stored_events.push_back(stored);
      stream.entity = indexes_.Add(*stored, stream.entity, id_hashes[i]);
    }
  }
  last_lsn_ = last;
  last_timestamp_ = last_ts;
  epoch_ = epoch;
  seq.unlock();

  // As in AppendAsync: these LSNs must reach the WAL; an exception here ends the process.
  [&]() noexcept {
    visibility_.WaitFor(last, std::move(done));
    SubmitToWal(stored_events);
  }();
  log_.PrepareNextChunk();
  indexes_.FillSpareIdTables();
}

Lsn EventStore::Impl::last_lsn() {
  std::lock_guard seq(seq_mu_);
  return last_lsn_;
}

Epoch EventStore::Impl::epoch() {
  std::lock_guard seq(seq_mu_);
  return epoch_;
}

Status EventStore::Impl::SetEpoch(Epoch epoch) {
  std::lock_guard seq(seq_mu_);
  if (epoch <= epoch_ || epoch <= epochs_.latest())
    return InvalidArgument("new epoch " + std::to_string(epoch.value()) +
                           " must be above the current " + std::to_string(epoch_.value()));
  ANNAL_RETURN_IF_ERROR(RecordEpochLocked(epoch, last_lsn_.next()));
  epoch_ = epoch;
  return Status::Ok();
}

storage::EpochHistory EventStore::Impl::epoch_history() {
  std::lock_guard seq(seq_mu_);
  return epochs_;
}

void EventStore::Impl::SetReadOnly(bool read_only) {
  std::lock_guard seq(seq_mu_);
  read_only_.store(read_only, std::memory_order_release);
}

}  // namespace annal::store
