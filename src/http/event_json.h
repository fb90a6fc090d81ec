// The Event JSON of shared API.md, used everywhere an event is returned:
// {"id","event_type","entity_id","tenant_id","payload","timestamp","metadata","version":1,
//  "sequence","entity_version"} — metadata is null when absent; payload/metadata are spliced
// as the stored (already minified, valid) JSON text.
#pragma once

#include <vector>

#include "core/event.h"
#include "http/json_writer.h"

namespace annal::http {

// Writes `e` as one JSON object value (in an array, or after w.Key()).
void WriteEventJson(JsonWriter& w, const Event& e);

// WriteEventJson for each event, in order (array elements). Events of a query are scattered in
// memory, so their cache lines are prefetched a few events ahead: without that, waiting for
// memory was most of a 100-event read's CPU time.
void WriteEventsJson(JsonWriter& w, const std::vector<const Event*>& events);

}  // namespace annal::http
