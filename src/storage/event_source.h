// Where checkpoints and compactions get their events from: the store's in-memory log, which
// holds every event (DESIGN: memory stays all-in-memory), so neither re-reads Parquet files.
#pragma once

#include <functional>
#include <vector>

#include "core/event.h"
#include "core/status.h"
#include "core/types.h"

namespace annal::storage {

// Appends to *out pointers to the events first..last (inclusive, ascending, contiguous).
// The events must be immutable and outlive the checkpoint or compaction that asked.
using EventSource = std::function<Status(Lsn first, Lsn last, std::vector<const Event*>* out)>;

}  // namespace annal::storage
