// The entity-state fold: top-level members of each payload merged in order, last write wins.
#pragma once

#include <span>
#include <string>

#include "core/event.h"

namespace annal::store {

// Returns a JSON object text holding, for every top-level key seen in the payloads of
// `events` (oldest first), the value from the last payload that had it. Keys keep the order in
// which they were first seen; values are copied verbatim (not re-formatted). Payloads that are
// not JSON objects contribute nothing. "{}" when there is nothing to merge.
std::string MergeEntityState(std::span<const Event* const> events);

// Appends `s` as a JSON string literal (quotes and escapes included).
void AppendJsonString(std::string& out, std::string_view s);

}  // namespace annal::store
