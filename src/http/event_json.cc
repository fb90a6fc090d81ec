#include "http/event_json.h"

namespace annal::http {

void WriteTimestamp(JsonWriter& w, TimestampMicros t) {
  std::string s;
  s.reserve(28);
  AppendRfc3339(s, t);
  w.String(s);
}

void WriteEventJson(JsonWriter& w, const Event& e) {
  w.BeginObject();
  w.Key("id");
  std::string ids;
  ids.reserve(36);
  e.id.AppendTo(ids);
  w.String(ids);
  w.Field("event_type", e.event_type);
  w.Field("entity_id", e.entity_id);
  w.Field("tenant_id", e.tenant_id);
  w.Key("payload");
  w.Raw(e.payload.empty() ? std::string_view("null") : std::string_view(e.payload));
  w.Key("timestamp");
  WriteTimestamp(w, e.timestamp);
  w.Key("metadata");
  if (e.metadata && !e.metadata->empty()) {
    w.Raw(*e.metadata);
  } else {
    w.Null();
  }
  w.Field("version", kEventSchemaVersion);
  w.Field("sequence", e.sequence.value());
  w.Field("entity_version", e.entity_version.value());
  w.EndObject();
}

}  // namespace annal::http
