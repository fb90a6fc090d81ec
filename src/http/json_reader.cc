#include "http/json_reader.h"

#include <cstdint>
#include <memory>

#include "http/swar.h"

namespace annal::http::json {
namespace {

struct Parsers {
  std::unique_ptr<simdjson::ondemand::parser> on_demand;
  std::unique_ptr<simdjson::dom::parser> dom;
};
thread_local Parsers t_parsers;

simdjson::dom::parser& DomParser() {
  if (!t_parsers.dom) t_parsers.dom = std::make_unique<simdjson::dom::parser>();
  return *t_parsers.dom;
}

}  // namespace

simdjson::ondemand::parser& OnDemandParser() {
  if (!t_parsers.on_demand) t_parsers.on_demand = std::make_unique<simdjson::ondemand::parser>();
  return *t_parsers.on_demand;
}

void ReleaseLargeParsers() {
  if (t_parsers.on_demand && t_parsers.on_demand->capacity() > kKeepParserBytes)
    t_parsers.on_demand.reset();
  if (t_parsers.dom && t_parsers.dom->capacity() > kKeepParserBytes) t_parsers.dom.reset();
}

Status MalformedError(simdjson::error_code e) {
  return Malformed(std::string("malformed JSON: ") + simdjson::error_message(e));
}

Status Validate(std::string_view text) {
  // realloc_if_needed=false: `text` lies inside a padded buffer, so the padding is readable.
  auto r = DomParser().parse(reinterpret_cast<const uint8_t*>(text.data()), text.size(), false);
  if (r.error()) return MalformedError(r.error());
  return Status::Ok();
}

Result<std::string_view> RawValue(simdjson::ondemand::value& v) {
  simdjson::ondemand::json_type type;
  if (auto e = v.type().get(type)) return MalformedError(e);
  std::string_view raw;
  if (type == simdjson::ondemand::json_type::object) {
    simdjson::ondemand::object o;
    if (auto e = v.get_object().get(o)) return MalformedError(e);
    if (auto e = o.raw_json().get(raw)) return MalformedError(e);
  } else if (type == simdjson::ondemand::json_type::array) {
    simdjson::ondemand::array a;
    if (auto e = v.get_array().get(a)) return MalformedError(e);
    if (auto e = a.raw_json().get(raw)) return MalformedError(e);
  } else {
    raw = v.raw_json_token();
  }
  ANNAL_RETURN_IF_ERROR(Validate(raw));
  return raw;
}

namespace {

// True when `text` has none of JSON's four whitespace bytes. Minifying only drops whitespace
// outside strings, so such text is already minimal. Eight bytes at a time (clients that send
// compact JSON are the common case, and for them this replaces a minify call per value).
bool HasNoWhitespace(std::string_view text) {
  size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    const uint64_t w = swar::Load(text.data() + i);
    if (swar::Has(w, ' ') || swar::Has(w, '\n') || swar::Has(w, '\t') || swar::Has(w, '\r'))
      return false;
  }
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') return false;
  }
  return true;
}

}  // namespace

std::string Minify(std::string_view valid_json) {
  if (HasNoWhitespace(valid_json)) return std::string(valid_json);
  std::string out(valid_json.size() + simdjson::SIMDJSON_PADDING, '\0');
  size_t len = 0;
  auto e = simdjson::minify(valid_json.data(), valid_json.size(), out.data(), len);
  ANNAL_CHECK_MSG(!e, "minify failed on validated JSON");
  out.resize(len);
  return out;
}

Result<std::string_view> StringValue(simdjson::ondemand::value& v, std::string_view field) {
  simdjson::ondemand::json_type type;
  if (auto e = v.type().get(type)) return MalformedError(e);
  if (type != simdjson::ondemand::json_type::string) {
    ANNAL_ASSIGN_OR_RETURN(auto raw, RawValue(v));
    (void)raw;
    return WrongShape(std::string(field) + " must be a string");
  }
  // Nearly every string has no escape; such a string is read where it stands in the input
  // (unescaping copies it into the parser's buffer, through a virtual call).
  if (auto text = UnescapedInPlace(v.raw_json_token().data() + 1)) return *text;
  std::string_view s;
  if (auto e = v.get_string().get(s)) return MalformedError(e);
  return s;
}

std::optional<std::string_view> UnescapedInPlace(const char* after_quote) {
  size_t n = 0;
  while (after_quote[n] != '"' && after_quote[n] != '\\') ++n;
  if (after_quote[n] == '\\') return std::nullopt;
  return std::string_view(after_quote, n);
}

bool IsNull(simdjson::ondemand::value& v) {
  simdjson::ondemand::json_type type;
  if (v.type().get(type) || type != simdjson::ondemand::json_type::null) return false;
  bool is_null = false;
  return !v.is_null().get(is_null) && is_null;
}

Status ExpectEnd(simdjson::ondemand::document& doc) {
  const char* loc = nullptr;
  // current_location() fails with OUT_OF_BOUNDS exactly when the whole input was consumed.
  if (doc.current_location().get(loc) == simdjson::OUT_OF_BOUNDS) return Status::Ok();
  return Malformed("malformed JSON: unexpected content after the JSON value");
}

}  // namespace annal::http::json
