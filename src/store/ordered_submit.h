// OrderedSubmit: hands WAL batches to Wal::Submit in LSN order although appenders encode them
// concurrently, after they released the sequencing lock.
//
// The WAL takes batches strictly in LSN order. An appender decides its LSNs under seq_mu_ (so
// that is where the order is set) but encodes its records without any lock: encoding copies
// every byte of the batch, and doing it under seq_mu_ made it part of the one serialized step
// every append goes through. A batch that arrives before all of its predecessors were submitted
// is parked; the appender that submits the batch closing the gap also submits the parked ones
// that now follow. Nobody waits for anybody, so this adds no lock order and no blocking.
//
// Every LSN range reserved under seq_mu_ must reach Submit (the appenders do so
// unconditionally once they released seq_mu_); Drain() lets Close() wait for them before it
// closes the WAL, so Wal::Submit never runs its callback on a closed WAL from here.
#pragma once

#include <condition_variable>
#include <map>
#include <mutex>
#include <utility>

#include "core/types.h"
#include "wal/wal.h"

namespace annal::store {

class OrderedSubmit {
 public:
  // REQUIRES: called once before any Submit. `next` is the first LSN the WAL does not hold.
  void Start(wal::Wal* wal, Lsn next);
  // Submits `batch` once every batch before it was submitted. Thread-safe, never blocks on
  // another appender. `done` is the WAL's completion (see Wal::DoneFn).
  void Submit(wal::Batch batch, wal::Wal::DoneFn done);
  // Blocks until every LSN below `end` was handed to the WAL.
  void Drain(Lsn end);

 private:
  struct Parked {
    wal::Batch batch;
    wal::Wal::DoneFn done;
  };

  std::mutex mu_;
  std::condition_variable drained_;
  wal::Wal* wal_ = nullptr;          // guarded by mu_ (set once by Start)
  Lsn next_;                         // guarded by mu_: first LSN not yet handed to the WAL
  std::map<Lsn, Parked> parked_;     // guarded by mu_: by first LSN
};

}  // namespace annal::store
