// Query-string parsing for the read routes (library annal_http_parse: no Boost).
//
// Rules shared by every route:
//   - `k=v` pairs separated by '&'; a pair without '=' has an empty value. Keys and values
//     are percent-decoded; '+' means space (HTML form encoding) except in timestamp
//     parameters (since, until, as_of), where '+' is kept so "+02:00" offsets work unencoded.
//     A bad escape ("%4", "%zz") is a 400 naming the parameter.
//   - An empty value means "not given" (clients that always send every parameter).
//   - If a parameter is repeated, the last one wins. Unknown parameters are ignored.
//   - Integers (limit, offset, after) are non-negative decimal literals that fit in 64 bits;
//     timestamps are RFC 3339 (core ParseRfc3339); payload_filter is a JSON object whose
//     members become (key, minified value) pairs. Every violation is kInvalidArgument (400)
//     with a message naming the parameter.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "store/event_store.h"

namespace annal::http {

// Percent-decodes `s`; '+' becomes a space when plus_is_space. nullopt on a bad escape.
std::optional<std::string> UrlDecode(std::string_view s, bool plus_is_space);

// A decoded query string.
class QueryString {
 public:
  // `query` is the part of the target after '?', without the '?'.
  static Result<QueryString> Parse(std::string_view query);

  // The last non-empty value of `key`, if any.
  std::optional<std::string_view> Get(std::string_view key) const;

  Result<std::optional<uint64_t>> GetUint(std::string_view key) const;
  Result<std::optional<TimestampMicros>> GetTimestamp(std::string_view key) const;
  Result<store::PayloadFilter> GetPayloadFilter(std::string_view key) const;

 private:
  struct Param {
    std::string key;
    std::string value;      // '+' decoded as space
    std::string raw_value;  // still percent-encoded (timestamps decode it without '+')
  };
  std::vector<Param> params_;
  const Param* Find(std::string_view key) const;
};

// Splits a request target into path and query string (without '?').
std::pair<std::string_view, std::string_view> SplitTarget(std::string_view target);

// GET /api/v1/events/query: entity_id, event_type, event_type_prefix, tenant_id, since,
// until, as_of, payload_filter, limit, after.
Result<store::Query> ParseEventQuery(std::string_view query);

// Listing routes (/api/v1/entities, /streams, /event-types): limit (default
// kDefaultListLimit), offset, event_type_prefix, payload_filter, as_of.
inline constexpr size_t kDefaultListLimit = 100;
struct ListParams {
  size_t limit = kDefaultListLimit;
  size_t offset = 0;
  std::optional<std::string> event_type_prefix;
  store::PayloadFilter payload_filter;
  std::optional<TimestampMicros> as_of;
};
Result<ListParams> ParseListParams(std::string_view query);

// Parses a JSON object into (key, minified value) pairs, in document order.
// kInvalidArgument naming `param` when the text is not a JSON object.
Result<store::PayloadFilter> ParsePayloadFilter(std::string_view json, std::string_view param);

}  // namespace annal::http
