// EventStore: opening (catalog + Parquet files + WAL tail -> index rebuild), closing, and the
// public forwarding layer. Checkpoints and compaction are in checkpointing.cc, the write path
// in append.cc, reads in queries.cc and listings.cc.
#include "store/event_store.h"

#include <spdlog/spdlog.h>

#include <future>
#include <thread>
#include <system_error>

#include "core/event_codec.h"
#include "storage/file_check.h"
#include "store/store_impl.h"
#include "core/thread_name.h"

namespace annal::store {

Status EventStore::Impl::ReplayEvent(Event e, std::string_view origin) {
  auto where = [&] {
    return std::string(origin) + " lsn " + std::to_string(e.sequence.value()) + ": ";
  };
  if (e.sequence != log_.next_lsn())
    return Corruption(where() + "expected lsn " + std::to_string(log_.next_lsn().value()));
  // Timestamps are non-decreasing in LSN order (DESIGN §2); time-range queries binary-search
  // on that, so a log that breaks it cannot be served correctly.
  if (e.timestamp < last_timestamp_)
    return Corruption(where() + "timestamp goes backwards");
  if (indexes_.FindEventId(e.id))
    return Corruption(where() + "event id " + e.id.ToString() + " appears twice");
  StreamState& stream = streams_.FindOrCreate(e.tenant_id, e.entity_id);
  if (e.entity_version != stream.version.next())
    return Corruption(where() + "entity_version " + std::to_string(e.entity_version.value()) +
                      " of tenant '" + e.tenant_id + "' entity '" + e.entity_id +
                      "', expected " + std::to_string(stream.version.next().value()));

  stream.version = e.entity_version;
  last_lsn_ = e.sequence;
  last_timestamp_ = e.timestamp;
  if (e.epoch > epoch_) epoch_ = e.epoch;
  if (e.epoch > derived_epochs_.latest()) (void)derived_epochs_.Append(e.epoch, e.sequence);
  const Event* stored = log_.Append(std::move(e));
  stream.entity = indexes_.Add(*stored, stream.entity);
  return Status::Ok();
}

Status EventStore::Impl::ReplayRecord(const wal::RecordView& record) {
  auto where = [&] { return "wal record lsn " + std::to_string(record.lsn.value()) + ": "; };
  if (record.type != wal::RecordType::kEvent)
    return Corruption(where() + "unknown record type " +
                      std::to_string(static_cast<int>(record.type)));
  Event e;
  Status st = DecodeEventBody(record.body, e);
  if (!st.ok()) return Corruption(where() + st.message());
  e.sequence = record.lsn;
  e.epoch = record.epoch;
  e.timestamp = record.timestamp;
  return ReplayEvent(std::move(e), "wal record");
}

Status EventStore::Impl::LoadEpochHistory() {
  const auto file = options_.data_dir / storage::kEpochHistoryFileName;
  ANNAL_ASSIGN_OR_RETURN(std::optional<storage::EpochHistory> saved, storage::EpochHistory::Load(file));
  // Without a file (a data dir from before epochs were recorded) the replayed events tell:
  // exact for WAL records, an upper bound for Parquet rows (one max epoch per file).
  storage::EpochHistory h = saved ? *saved : derived_epochs_;
  // An entry may start at most at the next LSN: a promoted node that has not written yet.
  h.TruncateAfter(last_lsn_.next());
  for (const auto& e : derived_epochs_.entries()) {
    if (e.epoch > h.latest() && !h.Append(e.epoch, e.start).ok())
      return Corruption(file.string() + ": epoch " + std::to_string(e.epoch.value()) +
                        " of the log (from lsn " + std::to_string(e.start.value()) +
                        ") does not fit the saved history");
  }
  if (!saved || h != *saved) ANNAL_RETURN_IF_ERROR(h.Save(file));
  epochs_ = std::move(h);
  derived_epochs_ = storage::EpochHistory();
  if (epochs_.latest() > epoch_) epoch_ = epochs_.latest();
  return Status::Ok();
}

Status EventStore::Impl::RecordEpochLocked(Epoch epoch, Lsn start) {
  if (epoch <= epochs_.latest()) return Status::Ok();
  storage::EpochHistory next = epochs_;
  ANNAL_RETURN_IF_ERROR(next.Append(epoch, start));
  ANNAL_RETURN_IF_ERROR(next.Save(options_.data_dir / storage::kEpochHistoryFileName));
  epochs_ = std::move(next);
  return Status::Ok();
}

void EventStore::Impl::StartServing(std::unique_ptr<storage::Catalog> catalog,
                                    std::unique_ptr<wal::Wal> wal) {
  catalog_ = std::move(catalog);
  wal_ = std::move(wal);
  submit_.Start(wal_.get(), last_lsn_.next());
  visibility_.Init(last_lsn_);  // everything recovered is durable, hence visible
  if (options_.checkpoint_interval.count() > 0)
    maintenance_thread_ = NamedThread("annal-maintain", [this] { MaintenanceLoop(); });
}

Status EventStore::Impl::Close(bool final_checkpoint) {
  std::lock_guard close_lock(close_mu_);
  if (closed_) return close_status_;
  StopMaintenance();  // before anything else: a background checkpoint must not race the end
  Lsn assigned_end;
  {
    std::lock_guard seq(seq_mu_);
    closing_ = true;  // from here on AppendAsync rejects; no new LSNs are assigned
    assigned_end = last_lsn_.next();
  }
  // Appends that got their LSNs before closing_ may still be encoding their batches.
  submit_.Drain(assigned_end);
  // The WAL syncs what is queued and completes every batch, which publishes (or, on error,
  // fails) the waiting appends.
  close_status_ = wal_->Close();
  // With a visibility gate, the writes still waiting for follower acks are durable here:
  // answer them now (their ack level says they were not acked) rather than fail them.
  visibility_.Publish(visibility_.durable());
  // Nothing should be left; if the WAL broke its promise, do not leave callers hanging.
  visibility_.FailAll(Unavailable("store closed before the append completed"));
  // The WAL is drained, so the visible watermark is final: checkpoint all of it, and the next
  // Open reads Parquet instead of replaying the WAL.
  if (options_.checkpoint_on_close && final_checkpoint) {
    auto checkpoint = Checkpoint();
    if (!checkpoint.ok()) {
      spdlog::error("store: final checkpoint failed (the WAL still holds everything): {}",
                    checkpoint.status().ToString());
      if (close_status_.ok()) close_status_ = checkpoint.status();
    }
  }
  closed_ = true;
  return close_status_;
}

Result<std::unique_ptr<EventStore>> EventStore::Open(StoreOptions options) {
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) return IOError("create data dir " + options.data_dir.string() + ": " + ec.message());

  // 1. The catalog: which Parquet files hold LSNs 1..checkpoint.
  ANNAL_ASSIGN_OR_RETURN(std::unique_ptr<storage::Catalog> catalog,
                         storage::Catalog::Open(options.data_dir / "storage"));
  const Lsn checkpoint = catalog->checkpoint_lsn();

  wal::WalOptions wal_options;
  wal_options.dir = options.data_dir / "wal";
  wal_options.sync = options.wal_sync;
  wal_options.segment_bytes = options.wal_segment_bytes;
  wal_options.preallocate = options.wal_preallocate;
  wal_options.node_id = options.node_id;
  wal_options.on_group_commit = options.on_group_commit;
  wal_options.checkpoint_lsn = checkpoint;

  auto impl = std::make_unique<Impl>(std::move(options));
  Impl* raw = impl.get();
  // 2. Every Parquet file, in LSN order, through the same checks as WAL replay.
  for (const storage::FileMeta& f : catalog->current().files) {
    const std::string origin = "storage/" + f.name;
    ANNAL_RETURN_IF_ERROR(storage::ReadCheckedEventFile(
        catalog->dir(), f, [raw, &origin](Event&& e) { return raw->ReplayEvent(std::move(e), origin); }));
  }
  if (raw->replayed_lsn() != checkpoint)
    return Corruption("storage: the files end at LSN " + std::to_string(raw->replayed_lsn().value()) +
                      " but the checkpoint LSN is " + std::to_string(checkpoint.value()));

  // 3. The WAL tail: only records above the checkpoint are replayed.
  auto wal = wal::Wal::Open(std::move(wal_options),
                            [raw](const wal::RecordView& r) { return raw->ReplayRecord(r); });
  if (!wal.ok()) return wal.status();
  Lsn wal_last = wal.value()->last_submitted_lsn();
  if (wal_last != raw->replayed_lsn()) {
    Status st = Corruption("wal reports last lsn " + std::to_string(wal_last.value()) +
                           " but replay ended at " + std::to_string(raw->replayed_lsn().value()));
    (void)wal.value()->Close();
    return st;
  }
  if (Status st = raw->LoadEpochHistory(); !st.ok()) {
    (void)wal.value()->Close();
    return st;
  }
  // 4. Start-up validated everything: only now delete what crashed checkpoints left behind.
  Status orphans = catalog->RemoveOrphans();
  if (!orphans.ok()) spdlog::warn("storage: removing orphans: {}", orphans.ToString());
  raw->StartServing(std::move(catalog), std::move(wal).value());
  return std::unique_ptr<EventStore>(new EventStore(std::move(impl)));
}

EventStore::EventStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EventStore::~EventStore() { (void)Close(); }

void EventStore::AppendAsync(std::vector<NewEvent> events, AppendCallback done) {
  impl_->AppendAsync(std::move(events), std::move(done));
}

AppendOutcome EventStore::Append(std::vector<NewEvent> events) {
  std::promise<AppendOutcome> promise;
  auto future = promise.get_future();
  impl_->AppendAsync(std::move(events),
                     [&promise](AppendOutcome outcome) { promise.set_value(std::move(outcome)); });
  return future.get();
}

std::optional<const Event*> EventStore::GetEvent(const Uuid& id) const {
  return impl_->GetEvent(id);
}
Result<QueryResult> EventStore::QueryEvents(const Query& q) const { return impl_->QueryEvents(q); }
std::optional<EntityState> EventStore::GetEntityState(const std::optional<std::string>& tenant_id,
                                                      const std::string& entity_id,
                                                      std::optional<TimestampMicros> as_of) const {
  return impl_->GetEntityState(tenant_id, entity_id, as_of);
}
Page<EntitySummary> EventStore::ListEntities(const EntityListOptions& opts) const {
  return impl_->ListEntities(opts);
}
Page<StreamSummary> EventStore::ListStreams(size_t limit, size_t offset) const {
  return impl_->ListStreams(limit, offset);
}
Page<EventTypeSummary> EventStore::ListEventTypes(size_t limit, size_t offset) const {
  return impl_->ListEventTypes(limit, offset);
}
Stats EventStore::GetStats() const { return impl_->GetStats(); }
Lsn EventStore::visible_lsn() const { return impl_->visible_lsn(); }
Lsn EventStore::durable_lsn() const { return impl_->durable_lsn(); }
Status EventStore::health() const { return impl_->health(); }
Status EventStore::Close() { return impl_->Close(/*final_checkpoint=*/true); }
Status EventStore::CloseWithoutCheckpoint() { return impl_->Close(/*final_checkpoint=*/false); }
void EventStore::ApplyReplicatedAsync(std::vector<Event> events, std::function<void(Status)> done) {
  impl_->ApplyReplicatedAsync(std::move(events), std::move(done));
}
void EventStore::Publish(Lsn lsn) { impl_->Publish(lsn); }
Lsn EventStore::last_lsn() const { return impl_->last_lsn(); }
Status EventStore::AwaitInFlight(std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (durable_lsn() != last_lsn()) {  // rare and short: a WAL group commit at most
    if (Status st = health(); !st.ok()) return st;
    if (std::chrono::steady_clock::now() > deadline)
      return Unavailable("entries in flight to the WAL did not become durable in time");
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return Status::Ok();
}
Epoch EventStore::epoch() const { return impl_->epoch(); }
Status EventStore::SetEpoch(Epoch epoch) { return impl_->SetEpoch(epoch); }
storage::EpochHistory EventStore::epoch_history() const { return impl_->epoch_history(); }
void EventStore::SetReadOnly(bool read_only) { impl_->SetReadOnly(read_only); }
bool EventStore::read_only() const { return impl_->read_only(); }
void EventStore::SetVisibilityGate(bool on) { impl_->SetVisibilityGate(on); }
const std::filesystem::path& EventStore::data_dir() const { return impl_->data_dir(); }
std::filesystem::path EventStore::wal_dir() const { return impl_->data_dir() / "wal"; }
Result<storage::CheckpointResult> EventStore::Checkpoint() { return impl_->Checkpoint(); }
Result<storage::CompactionResult> EventStore::Compact() { return impl_->Compact(); }
Lsn EventStore::checkpoint_lsn() const { return impl_->checkpoint_lsn(); }
StorageStats EventStore::storage_stats() const { return impl_->storage_stats(); }
storage::Catalog::PinnedSnapshot EventStore::PinStorageSnapshot() {
  return impl_->PinStorageSnapshot();
}

}  // namespace annal::store
