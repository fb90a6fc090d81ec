// Reads every event a data directory holds, in sequence order, each exactly once, straight from
// the files: the live Parquet event files (LSN 1..checkpoint), then the WAL records after the
// last of them. This is what a server would load at start-up, read without starting one:
// `annal export` streams it (memory does not grow with the store) and never writes to the
// data dir. A trailing WAL batch without its end-of-batch record is left out, as recovery
// would cut it (it was never acknowledged).
#pragma once

#include <cstdint>
#include <functional>

#include "app/data_dir_contents.h"
#include "core/event.h"
#include "core/status.h"

namespace annal::app {

struct StoredEventsStats {
  uint64_t from_parquet = 0;
  uint64_t from_wal = 0;
  Lsn last_lsn;                       // 0 when the data dir holds no event
  uint64_t incomplete_tail_records = 0;  // left out: an unfinished batch at the WAL's end
};

// Calls `fn` for every event, sequence 1, 2, 3, ... A non-OK return from `fn` stops the read
// with it. Corruption (naming the file, and the offset for the WAL) when a file fails a check,
// when live Parquet files leave a gap or overlap, or when LSNs are missing between the last
// Parquet file and the oldest WAL segment.
Status ForEachStoredEvent(const DataDirContents& contents, const std::function<Status(Event&&)>& fn,
                          StoredEventsStats* stats = nullptr);

// The highest LSN ForEachStoredEvent will reach, cheaply: the last live Parquet file's name and
// a scan of the last WAL segment only. For progress displays; not a verification.
Result<Lsn> LastStoredLsn(const DataDirContents& contents);

}  // namespace annal::app
