#include "http/event_json.h"

#include <algorithm>
#include <string>

#include "core/clock.h"
#include "core/uuid.h"

namespace annal::http {

namespace {

void PrefetchEvent(const Event* e) {
  const char* p = reinterpret_cast<const char*>(e);
  for (size_t off = 0; off < sizeof(Event); off += 64) __builtin_prefetch(p + off);
}

void PrefetchText(const std::string& s) {
  for (size_t off = 0; off < s.size(); off += 64) __builtin_prefetch(s.data() + off);
}

}  // namespace

// Written as one run of appends: a query answer writes this for every event it returns, and
// field-by-field JsonWriter calls escaped every constant key and checked for a separator
// before every value. The keys and their order are AllSource's (API.md).
void WriteEventJson(JsonWriter& w, const Event& e) {
  static_assert(kEventSchemaVersion == 1, "the version below is written as a constant");
  w.Value([&e](std::string& out) {
    out.append(R"({"id":")");
    e.id.AppendTo(out);
    out.append(R"(","event_type":)");
    JsonWriter::AppendEscaped(out, e.event_type);
    out.append(R"(,"entity_id":)");
    JsonWriter::AppendEscaped(out, e.entity_id);
    out.append(R"(,"tenant_id":)");
    JsonWriter::AppendEscaped(out, e.tenant_id);
    out.append(R"(,"payload":)");
    out.append(e.payload.empty() ? std::string_view("null") : std::string_view(e.payload));
    out.append(R"(,"timestamp":")");
    AppendRfc3339(out, e.timestamp);
    out.append(R"(","metadata":)");
    if (e.metadata && !e.metadata->empty()) {
      out.append(*e.metadata);
    } else {
      out.append("null");
    }
    out.append(R"(,"version":1,"sequence":)");
    JsonWriter::AppendUint(out, e.sequence.value());
    out.append(R"(,"entity_version":)");
    JsonWriter::AppendUint(out, e.entity_version.value());
    out.push_back('}');
  });
}

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
