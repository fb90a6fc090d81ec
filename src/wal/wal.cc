// Wal: the public face; recovery (recovery.cc) and the group-commit writer (writer.cc) do the work.
#include "wal/wal.h"

#include <spdlog/spdlog.h>

#include "wal/recovery.h"
#include "wal/writer.h"

namespace annal::wal {

Result<std::unique_ptr<Wal>> Wal::Open(WalOptions options, const ReplayFn& replay,
                                       RecoveryReport* report) {
  if (options.dir.empty()) return InvalidArgument("WAL directory not set");
  if (options.sync.mode == SyncMode::kInterval && options.sync.interval.count() < 1)
    return InvalidArgument("WAL sync interval must be at least 1 ms");
  ANNAL_ASSIGN_OR_RETURN(RecoveredLog log, RecoverLog(options, replay, report));
  auto impl = std::make_unique<Impl>(std::move(options), std::move(log));
  impl->Start();
  return std::unique_ptr<Wal>(new Wal(std::move(impl)));
}

Wal::Wal(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Wal::~Wal() {
  Status st = Close();
  if (!st.ok()) spdlog::error("wal: closing: {}", st.ToString());
}

void Wal::Submit(Batch batch, DoneFn done) {
  batch.Finalize();
  impl_->Submit(std::move(batch), std::move(done));
}

Lsn Wal::last_submitted_lsn() const { return impl_->last_submitted_lsn(); }
Lsn Wal::durable_lsn() const { return impl_->durable_lsn(); }
Status Wal::Close() { return impl_->Close(); }
Status Wal::RemoveSegmentsBefore(Lsn checkpoint_lsn, uint64_t retain_bytes,
                                 std::vector<std::string>* removed) {
  return impl_->RemoveSegmentsBefore(checkpoint_lsn, retain_bytes, removed);
}

}  // namespace annal::wal
