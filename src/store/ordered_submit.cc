#include "store/ordered_submit.h"

#include <string>

#include "core/status.h"

namespace annal::store {

void OrderedSubmit::Start(wal::Wal* wal, Lsn next) {
  std::lock_guard lock(mu_);
  wal_ = wal;
  next_ = next;
}

void OrderedSubmit::Submit(wal::Batch batch, wal::Wal::DoneFn done) {
  {
    std::lock_guard lock(mu_);
    ANNAL_CHECK_MSG(batch.first_lsn() >= next_ && !parked_.contains(batch.first_lsn()),
                    "OrderedSubmit: LSN " + std::to_string(batch.first_lsn().value()) +
                        " submitted twice");
    if (batch.first_lsn() != next_) {
      parked_.emplace(batch.first_lsn(), Parked{std::move(batch), std::move(done)});
      return;
    }
    // Wal::Submit only queues (its callback runs on the WAL's thread; it would run here only
    // on a closed WAL, which Drain() rules out), so calling it under mu_ keeps the order.
    next_ = batch.last_lsn().next();
    wal_->Submit(std::move(batch), std::move(done));
    for (auto it = parked_.begin(); it != parked_.end() && it->first == next_;
         it = parked_.erase(it)) {
      next_ = it->second.batch.last_lsn().next();
      wal_->Submit(std::move(it->second.batch), std::move(it->second.done));
    }
  }
  drained_.notify_all();
}

void OrderedSubmit::Drain(Lsn end) {
  std::unique_lock lock(mu_);
  drained_.wait(lock, [&] { return next_ >= end; });
}

}  // namespace annal::store
