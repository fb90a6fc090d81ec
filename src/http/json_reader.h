// simdjson helpers shared by the request and query parsers (library annal_http_parse).
//
// simdjson's On-Demand API validates only what it visits, so every value we skip or splice
// is additionally checked with the DOM parser on its own text; together that is full
// validation of the document. Parsers are thread-local; a parser that grew past
// kKeepParserBytes for a big document is dropped afterwards so threads do not pin memory.
#pragma once

#include <simdjson.h>

#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace annal::http::json {

inline constexpr size_t kKeepParserBytes = 4u << 20;

// The thread's On-Demand parser; call ReleaseLargeParsers() when done with the document.
simdjson::ondemand::parser& OnDemandParser();
void ReleaseLargeParsers();

// kMalformed with simdjson's explanation.
Status MalformedError(simdjson::error_code e);

// Checks that `text` (a slice of a padded buffer, readable for SIMDJSON_PADDING bytes past
// its end) is exactly one valid JSON value.
Status Validate(std::string_view text);

// The raw text of `v` (consumes it), fully validated. kMalformed if it is not valid JSON.
Result<std::string_view> RawValue(simdjson::ondemand::value& v);

// Minifies validated JSON text.
std::string Minify(std::string_view valid_json);

// Reads a string value; kWrongShape naming `field` if it is valid JSON of another type. The
// result points into the input or the parser's buffer: valid while the document is.
Result<std::string_view> StringValue(simdjson::ondemand::value& v, std::string_view field);

// A JSON string token's text when it holds no escape, read in place; nullopt when it has one.
// `after_quote` points just after the opening quote of a string the parser has tokenized (so
// its closing quote exists).
std::optional<std::string_view> UnescapedInPlace(const char* after_quote);

// True when `v` is JSON null (does not consume other values).
bool IsNull(simdjson::ondemand::value& v);

// After the top-level value was consumed: kMalformed if anything but whitespace follows.
Status ExpectEnd(simdjson::ondemand::document& doc);

}  // namespace annal::http::json
