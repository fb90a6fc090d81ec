#include "http/request_parser.h"

#include <charconv>

#include "core/give_way.h"
#include "core/validation.h"
#include "http/json_reader.h"

namespace annal::http {
namespace {

using simdjson::ondemand::json_type;

// Which known fields an event object has set; a second occurrence is a shape error.
enum FieldBit : unsigned {
  kEventType = 1, kEntityId = 2, kTenantId = 4, kPayload = 8, kMetadata = 16,
  kExpectedVersion = 32, kEventId = 64,
};

// Errors found while reading one event object. Malformed JSON aborts at once; a shape or
// rule error is remembered and reading goes on, so that malformed JSON later in the
// document still wins (DESIGN §6: malformed is 400, wrong shape 422).
struct EventErrors {
  Status shape;    // first kWrongShape
  Status invalid;  // first kInvalidArgument
  Status First() const { return !shape.ok() ? shape : invalid; }
};

void NoteShape(EventErrors& errs, Status s) {
  if (s.code() == StatusCode::kWrongShape && errs.shape.ok()) errs.shape = std::move(s);
  if (s.code() == StatusCode::kInvalidArgument && errs.invalid.ok()) errs.invalid = std::move(s);
}

// A non-negative integer literal (digits only) fitting in uint64.
std::optional<uint64_t> ParseUintLiteral(std::string_view raw) {
  while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\t' || raw.back() == '\n' ||
                          raw.back() == '\r'))
    raw.remove_suffix(1);
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), v);
  if (ec != std::errc() || ptr != raw.data() + raw.size() || raw.empty()) return std::nullopt;
  return v;
}

// Reads the value of one known field into `ev`. Returns a non-OK status only for malformed
// JSON; shape/rule errors go to `errs`.
Status ReadField(std::string_view key, simdjson::ondemand::value& v, NewEvent& ev, EventErrors& errs,
                 unsigned& seen) {
  auto mark = [&](FieldBit bit) {
    if (seen & bit) NoteShape(errs, WrongShape("duplicate field `" + std::string(key) + "`"));
    seen |= bit;
  };
  auto read_string = [&](std::string& out) -> Status {
    auto s = json::StringValue(v, key);
    if (!s.ok()) {
      if (s.status().code() == StatusCode::kMalformed) return s.status();
      NoteShape(errs, s.status());
      return Status::Ok();
    }
    out.assign(*s);
    return Status::Ok();
  };

  if (key == "event_type") {
    mark(kEventType);
    return read_string(ev.event_type);
  }
  if (key == "entity_id") {
    mark(kEntityId);
    return read_string(ev.entity_id);
  }
  if (key == "tenant_id") {
    mark(kTenantId);
    if (json::IsNull(v)) return Status::Ok();
    return read_string(ev.tenant_id);
  }
  if (key == "payload" || key == "metadata") {
    bool payload = key == "payload";
    mark(payload ? kPayload : kMetadata);
    if (!payload && json::IsNull(v)) return Status::Ok();
    ANNAL_ASSIGN_OR_RETURN(std::string_view raw, json::RawValue(v));
    if (payload) {
      ev.payload = json::Minify(raw);
    } else {
      ev.metadata = json::Minify(raw);
    }
    return Status::Ok();
  }
  if (key == "expected_version") {
    mark(kExpectedVersion);
    if (json::IsNull(v)) return Status::Ok();
    json_type type;
    if (auto e = v.type().get(type)) return json::MalformedError(e);
    ANNAL_ASSIGN_OR_RETURN(std::string_view raw, json::RawValue(v));
    auto n = type == json_type::number ? ParseUintLiteral(raw) : std::nullopt;
    if (!n) {
      NoteShape(errs, WrongShape("expected_version must be a non-negative integer"));
    } else {
      ev.expected_version = EntityVersion(*n);
    }
    return Status::Ok();
  }
  if (key == "event_id") {
    mark(kEventId);
    if (json::IsNull(v)) return Status::Ok();
    auto text = json::StringValue(v, key);
    if (!text.ok()) {
      if (text.status().code() == StatusCode::kMalformed) return text.status();
      NoteShape(errs, text.status());
    } else if (auto id = Uuid::Parse(*text)) {
      ev.event_id = *id;
    } else {
      NoteShape(errs, InvalidArgument("event_id must be a UUID"));
    }
    return Status::Ok();
  }
  // Unknown fields are ignored, but must be valid JSON.
  return json::RawValue(v).status();
}

// Reads one event object. Returns kMalformed (abort) or the event's first shape/rule error.
Status ReadEvent(simdjson::ondemand::value& value, NewEvent& ev) {
  json_type type;
  if (auto e = value.type().get(type)) return json::MalformedError(e);
  if (type != json_type::object) {
    ANNAL_RETURN_IF_ERROR(json::RawValue(value).status());
    return WrongShape("an event must be a JSON object");
  }
  simdjson::ondemand::object obj;
  if (auto e = value.get_object().get(obj)) return json::MalformedError(e);
  EventErrors errs;
  unsigned seen = 0;
  for (auto field_result : obj) {
    simdjson::ondemand::field field;
    if (auto e = std::move(field_result).get(field)) return json::MalformedError(e);
    // `key` points into the input or the parser's string buffer, which only grows during a
    // document.
    std::string_view key;
    if (auto in_place = json::UnescapedInPlace(field.key().raw())) {
      key = *in_place;
    } else if (auto e = field.unescaped_key().get(key)) {
      return json::MalformedError(e);
    }
    simdjson::ondemand::value v = field.value();
    ANNAL_RETURN_IF_ERROR(ReadField(key, v, ev, errs, seen));
  }
  if (!(seen & kEventType)) NoteShape(errs, WrongShape("missing field `event_type`"));
  if (!(seen & kEntityId)) NoteShape(errs, WrongShape("missing field `entity_id`"));
  if (!(seen & kPayload)) NoteShape(errs, WrongShape("missing field `payload`"));
  if (errs.shape.ok() && errs.invalid.ok()) NoteShape(errs, ValidateNewEvent(ev));
  return errs.First();
}

std::string Prefix(size_t i) { return "events[" + std::to_string(i) + "]: "; }

}  // namespace

Result<NewEvent> ParseAppendBody(std::string_view body) {
  simdjson::padded_string buf(body);
  NewEvent ev;
  Status st = [&]() -> Status {
    simdjson::ondemand::document doc;
    if (auto e = json::OnDemandParser().iterate(buf).get(doc)) return json::MalformedError(e);
    json_type type;
    if (auto e = doc.type().get(type)) return json::MalformedError(e);
    if (type != json_type::object) {
      ANNAL_RETURN_IF_ERROR(json::Validate(std::string_view(buf.data(), buf.size())));
      return WrongShape("request body must be a JSON object");
    }
    simdjson::ondemand::value root;
    if (auto e = doc.get_value().get(root)) return json::MalformedError(e);
    Status event_status = ReadEvent(root, ev);
    if (event_status.code() == StatusCode::kMalformed) return event_status;
    ANNAL_RETURN_IF_ERROR(json::ExpectEnd(doc));
    return event_status;
  }();
  json::ReleaseLargeParsers();
  if (!st.ok()) return st;
  return ev;
}

Result<std::vector<NewEvent>> ParseBatchBody(std::string_view body,
                                             std::optional<size_t>* failed_index,
                                             size_t readable_size) {
  static_assert(kJsonPadding >= simdjson::SIMDJSON_PADDING);
  simdjson::padded_string copy;
  simdjson::padded_string_view buf(body.data(), body.size(), readable_size);
  if (readable_size < body.size() + kJsonPadding) {
    copy = simdjson::padded_string(body);
    buf = copy;
  }
  std::vector<NewEvent> events;
  std::optional<size_t> bad_index;
  Status st = [&]() -> Status {
    simdjson::ondemand::document doc;
    if (auto e = json::OnDemandParser().iterate(buf).get(doc)) return json::MalformedError(e);
    json_type type;
    if (auto e = doc.type().get(type)) return json::MalformedError(e);
    if (type != json_type::object) {
      ANNAL_RETURN_IF_ERROR(json::Validate(std::string_view(buf.data(), buf.size())));
      return WrongShape("request body must be a JSON object with an `events` array");
    }
    simdjson::ondemand::object obj;
    if (auto e = doc.get_object().get(obj)) return json::MalformedError(e);
    Status first_error;  // first shape/rule error; reading goes on to detect malformed JSON
    bool saw_events = false;
    for (auto field_result : obj) {
      simdjson::ondemand::field field;
      if (auto e = std::move(field_result).get(field)) return json::MalformedError(e);
      std::string_view key;
      if (auto e = field.unescaped_key().get(key)) return json::MalformedError(e);
      simdjson::ondemand::value v = field.value();
      if (key != "events") {
        ANNAL_RETURN_IF_ERROR(json::RawValue(v).status());
        continue;
      }
      if (saw_events) {
        if (first_error.ok()) first_error = WrongShape("duplicate field `events`");
        ANNAL_RETURN_IF_ERROR(json::RawValue(v).status());
        continue;
      }
      saw_events = true;
      if (auto e = v.type().get(type)) return json::MalformedError(e);
      if (type != json_type::array) {
        ANNAL_RETURN_IF_ERROR(json::RawValue(v).status());
        if (first_error.ok()) first_error = WrongShape("`events` must be an array");
        continue;
      }
      simdjson::ondemand::array arr;
      if (auto e = v.get_array().get(arr)) return json::MalformedError(e);
      // Growing a vector of 1000 events moved each about twice. Events are rarely under 128
      // bytes of JSON, so this mostly allocates once; smaller ones grow it as usual.
      events.reserve(body.size() / 128 + 1);
      size_t i = 0;
      for (auto element_result : arr) {
        simdjson::ondemand::value element;
        if (auto e = std::move(element_result).get(element)) return json::MalformedError(e);
        NewEvent ev;
        Status s = ReadEvent(element, ev);
        if (s.code() == StatusCode::kMalformed) {
          bad_index = i;
          return Malformed(Prefix(i) + s.message());
        }
        if (!s.ok() && first_error.ok()) {
          first_error = Status(s.code(), Prefix(i) + s.message());
          bad_index = i;
        }
        if (first_error.ok()) events.push_back(std::move(ev));
        ++i;
        if (i % kGiveWayEvents == 0) GiveWay();
      }
      if (i == 0 && first_error.ok())
        first_error = InvalidArgument("`events` must contain at least one event");
    }
    ANNAL_RETURN_IF_ERROR(json::ExpectEnd(doc));
    if (!saw_events && first_error.ok()) first_error = WrongShape("missing field `events`");
    return first_error;
  }();
  json::ReleaseLargeParsers();
  if (!st.ok()) {
    // Malformed JSON outside any event (e.g. after a shape error in an earlier one) wins, and
    // names no event.
    if (st.code() == StatusCode::kMalformed && !st.message().starts_with("events[")) bad_index.reset();
    if (failed_index) *failed_index = bad_index;
    return st;
  }
  return events;
}

Result<std::string> MinifyJson(std::string_view json) {
  simdjson::padded_string buf(json);
  Status st = json::Validate(std::string_view(buf.data(), buf.size()));
  json::ReleaseLargeParsers();
  if (!st.ok()) return st;
  return json::Minify(std::string_view(buf.data(), buf.size()));
}

}  // namespace annal::http
