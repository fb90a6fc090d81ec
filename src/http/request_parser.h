// Parsing of append request bodies (POST /api/v1/events and /api/v1/events/batch) into
// NewEvents. No Boost, no server: this is library annal_http_parse (core + simdjson), shared
// with the libFuzzer target fuzz/request_parse_fuzz.cc.
//
// Error contract (the router maps StatusCode -> HTTP status, DESIGN.md §6):
//   kMalformed (400)       the body is not valid JSON anywhere (also: trailing garbage,
//                          invalid UTF-8, a number outside the int64/uint64/double range);
//                          malformed JSON wins over every other error.
//   kWrongShape (422)      valid JSON of the wrong shape: body not an object; a required field
//                          (event_type, entity_id, payload) missing; a field of the wrong JSON
//                          type; expected_version not a non-negative integer literal; a known
//                          field given twice; batch: `events` missing / not an array / an
//                          element not an object.
//   kInvalidArgument (400) right shape, but a value breaks a rule of DESIGN.md §2
//                          (ValidateNewEvent), event_id not a UUID, an empty batch.
// Batch errors are prefixed with "events[i]: " (i = the first bad event, 0-based).
//
// Field decisions:
//   - payload: required; any JSON value is accepted (an object is expected but arrays, scalars
//     and null are stored as sent, as AllSource does with serde_json::Value).
//   - metadata: optional, any JSON value; null means absent.
//   - tenant_id, expected_version, event_id: optional; null means absent.
//   - payload and metadata are kept as the client's JSON text, minified (number and string
//     spellings are preserved, only insignificant whitespace is dropped).
//   - unknown top-level fields are ignored (but must be valid JSON).
//
// Thread-safe: each thread uses its own simdjson parsers.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "core/status.h"

namespace annal::http {

// Body of POST /api/v1/events.
Result<NewEvent> ParseAppendBody(std::string_view body);

// The JSON parser reads up to this many bytes past the end of its input. A body followed by
// that many readable bytes (of any value) is parsed in place; any other is copied first.
inline constexpr size_t kJsonPadding = 64;

// Body of POST /api/v1/events/batch: {"events":[<append body>, ...]}, at least one event.
// On an error in one event, *failed_index (if given) receives its index. `readable_size`:
// how many bytes from body.data() may be read; from body.size() + kJsonPadding on, the body
// is parsed in place (a batch body is up to megabytes).
Result<std::vector<NewEvent>> ParseBatchBody(std::string_view body,
                                             std::optional<size_t>* failed_index = nullptr,
                                             size_t readable_size = 0);

// Checks that `json` is exactly one valid JSON value and returns it minified.
// kMalformed otherwise. Used for payload_filter values and by tests.
Result<std::string> MinifyJson(std::string_view json);

}  // namespace annal::http
