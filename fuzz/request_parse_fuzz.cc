// libFuzzer target: append/batch body parsing, query-string parsing and JSON escaping.
// The first input byte picks the parser; the rest is its input. Beyond "no crash, no
// sanitizer report", it checks properties:
//   - rejections carry only the status codes the parser promises (-> 400/422, never 500);
//   - an accepted event passes ValidateNewEvent, its payload/metadata are minified valid JSON,
//     and re-encoding it with JsonWriter and parsing again gives the same event;
//   - JsonWriter::AppendEscaped of arbitrary bytes is always a valid JSON string.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/validation.h"
#include "http/json_writer.h"
#include "http/query_params.h"
#include "http/request_parser.h"

namespace {

using annal::StatusCode;
using namespace annal::http;

void Check(bool ok) {
  if (!ok) std::abort();
}

bool IsParseError(StatusCode c) {
  return c == StatusCode::kMalformed || c == StatusCode::kWrongShape ||
         c == StatusCode::kInvalidArgument;
}

std::string Encode(const annal::NewEvent& e) {
  JsonWriter w;
  w.BeginObject();
  w.Field("event_type", e.event_type);
  w.Field("entity_id", e.entity_id);
  w.Field("tenant_id", e.tenant_id);
  w.Key("payload");
  w.Raw(e.payload);
  if (e.metadata) {
    w.Key("metadata");
    w.Raw(*e.metadata);
  }
  if (e.expected_version) w.Field("expected_version", e.expected_version->value());
  if (e.event_id) w.Field("event_id", e.event_id->ToString());
  w.EndObject();
  return w.Take();
}

void CheckEvent(const annal::NewEvent& e) {
  Check(annal::ValidateNewEvent(e).ok());
  auto p = MinifyJson(e.payload);
  Check(p.ok() && *p == e.payload);
  if (e.metadata) {
    auto m = MinifyJson(*e.metadata);
    Check(m.ok() && *m == *e.metadata);
  }
  auto again = ParseAppendBody(Encode(e));
  Check(again.ok());
  Check(again->event_type == e.event_type && again->entity_id == e.entity_id &&
        again->tenant_id == e.tenant_id && again->payload == e.payload &&
        again->metadata == e.metadata && again->event_id == e.event_id &&
        again->expected_version == e.expected_version);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0] % 5;
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (mode) {
    case 0: {
      auto r = ParseAppendBody(input);
      if (r.ok()) {
        CheckEvent(*r);
      } else {
        Check(IsParseError(r.status().code()));
      }
      break;
    }
    case 1: {
      std::optional<size_t> index;
      auto r = ParseBatchBody(input, &index);
      if (r.ok()) {
        Check(!r->empty());
        for (const auto& e : *r) CheckEvent(e);
      } else {
        Check(IsParseError(r.status().code()));
        if (index) Check(r.status().message().starts_with("events[" + std::to_string(*index) + "]: "));
      }
      break;
    }
    case 2: {
      auto q = ParseEventQuery(input);
      if (!q.ok()) Check(q.status().code() == StatusCode::kInvalidArgument);
      break;
    }
    case 3: {
      auto p = ParseListParams(input);
      if (!p.ok()) Check(p.status().code() == StatusCode::kInvalidArgument);
      break;
    }
    case 4: {
      std::string escaped;
      JsonWriter::AppendEscaped(escaped, input);
      Check(MinifyJson(escaped).ok());
      break;
    }
  }
  return 0;
}
