#include "http/event_json.h"

#include <algorithm>

namespace annal::http {

void WriteEventJson(JsonWriter& w, const Event& e) {
  w.BeginObject();
  w.Key("id");
  w.Uuid(e.id);
  w.Field("event_type", e.event_type);
  w.Field("entity_id", e.entity_id);
  w.Field("tenant_id", e.tenant_id);
  w.Key("payload");
  w.Raw(e.payload.empty() ? std::string_view("null") : std::string_view(e.payload));
  w.Key("timestamp");
  w.Timestamp(e.timestamp);
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

namespace {

void PrefetchEvent(const Event* e) {
  const char* p = reinterpret_cast<const char*>(e);
  for (size_t off = 0; off < sizeof(Event); off += 64) __builtin_prefetch(p + off);
}

void PrefetchText(const std::string& s) {
  for (size_t off = 0; off < s.size(); off += 64) __builtin_prefetch(s.data() + off);
}

}  // namespace

void WriteEventsJson(JsonWriter& w, const std::vector<const Event*>& events) {
  // The event structs first (they hold the pointers to their texts), the texts a bit later.
  constexpr size_t kStructsAhead = 8, kTextsAhead = 4;
  const size_t n = events.size();
  for (size_t i = 0; i < std::min(n, kStructsAhead); ++i) PrefetchEvent(events[i]);
  for (size_t i = 0; i < n; ++i) {
    if (i + kStructsAhead < n) PrefetchEvent(events[i + kStructsAhead]);
    if (i + kTextsAhead < n) {
      const Event& next = *events[i + kTextsAhead];
      PrefetchText(next.payload);
      if (next.metadata) PrefetchText(*next.metadata);
    }
    const size_t before = w.str().size();
    WriteEventJson(w, *events[i]);
    // Reserve once, from the first event's size, instead of growing by doubling.
    if (i == 0) w.Reserve(w.str().size() + (w.str().size() - before) * (n - 1) * 5 / 4);
  }
}

}  // namespace annal::http
