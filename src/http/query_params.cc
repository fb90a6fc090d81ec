#include "http/query_params.h"

#include <charconv>

#include "http/json_reader.h"

namespace annal::http {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Status BadParam(std::string_view key, std::string_view rule) {
  return InvalidArgument("query parameter `" + std::string(key) + "` " + std::string(rule));
}

}  // namespace

std::optional<std::string> UrlDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      int hi = HexDigit(s[i + 1]), lo = HexDigit(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi << 4 | lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::pair<std::string_view, std::string_view> SplitTarget(std::string_view target) {
  size_t q = target.find('?');
  if (q == std::string_view::npos) return {target, {}};
  std::string_view query = target.substr(q + 1);
  if (size_t hash = query.find('#'); hash != std::string_view::npos) query = query.substr(0, hash);
  return {target.substr(0, q), query};
}

Result<QueryString> QueryString::Parse(std::string_view query) {
  QueryString qs;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string_view raw_key = pair.substr(0, eq);
    std::string_view raw_value = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    auto key = UrlDecode(raw_key, true);
    if (!key) return InvalidArgument("query parameter name has a bad percent-escape");
    auto value = UrlDecode(raw_value, true);
    if (!value) return BadParam(*key, "has a bad percent-escape");
    qs.params_.push_back({std::move(*key), std::move(*value), std::string(raw_value)});
  }
  return qs;
}

const QueryString::Param* QueryString::Find(std::string_view key) const {
  for (auto it = params_.rbegin(); it != params_.rend(); ++it) {
    if (it->key == key) return it->value.empty() ? nullptr : &*it;
  }
  return nullptr;
}

std::optional<std::string_view> QueryString::Get(std::string_view key) const {
  const Param* p = Find(key);
  if (!p) return std::nullopt;
  return std::string_view(p->value);
}

Result<std::optional<uint64_t>> QueryString::GetUint(std::string_view key) const {
  const Param* p = Find(key);
  if (!p) return std::optional<uint64_t>();
  uint64_t v = 0;
  const std::string& s = p->value;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size())
    return BadParam(key, "must be a non-negative integer");
  return std::optional<uint64_t>(v);
}

Result<std::optional<TimestampMicros>> QueryString::GetTimestamp(std::string_view key) const {
  const Param* p = Find(key);
  if (!p) return std::optional<TimestampMicros>();
  auto text = UrlDecode(p->raw_value, /*plus_is_space=*/false);
  auto t = text ? ParseRfc3339(*text) : std::nullopt;
  if (!t) return BadParam(key, "must be an RFC 3339 timestamp (e.g. 2026-11-21T14:03:07Z)");
  return std::optional<TimestampMicros>(*t);
}

Result<store::PayloadFilter> QueryString::GetPayloadFilter(std::string_view key) const {
  const Param* p = Find(key);
  if (!p) return store::PayloadFilter();
  return ParsePayloadFilter(p->value, key);
}

Result<store::PayloadFilter> ParsePayloadFilter(std::string_view text, std::string_view param) {
  simdjson::padded_string buf(text);
  store::PayloadFilter filter;
  Status st = [&]() -> Status {
    auto not_object = [&] { return BadParam(param, "must be a JSON object"); };
    simdjson::ondemand::document doc;
    if (json::OnDemandParser().iterate(buf).get(doc)) return not_object();
    simdjson::ondemand::json_type type;
    if (doc.type().get(type) || type != simdjson::ondemand::json_type::object) return not_object();
    simdjson::ondemand::object obj;
    if (doc.get_object().get(obj)) return not_object();
    for (auto field_result : obj) {
      simdjson::ondemand::field field;
      std::string_view key;
      if (std::move(field_result).get(field) || field.unescaped_key().get(key)) return not_object();
      simdjson::ondemand::value v = field.value();
      auto raw = json::RawValue(v);
      if (!raw.ok()) return not_object();
      filter.emplace_back(std::string(key), json::Minify(*raw));
    }
    if (!json::ExpectEnd(doc).ok()) return not_object();
    return Status::Ok();
  }();
  json::ReleaseLargeParsers();
  if (!st.ok()) return st;
  return filter;
}

Result<store::Query> ParseEventQuery(std::string_view query) {
  ANNAL_ASSIGN_OR_RETURN(QueryString qs, QueryString::Parse(query));
  store::Query q;
  auto str = [&](std::string_view key) -> std::optional<std::string> {
    auto v = qs.Get(key);
    return v ? std::optional<std::string>(*v) : std::nullopt;
  };
  q.entity_id = str("entity_id");
  q.event_type = str("event_type");
  q.event_type_prefix = str("event_type_prefix");
  q.tenant_id = str("tenant_id");
  ANNAL_ASSIGN_OR_RETURN(q.since, qs.GetTimestamp("since"));
  ANNAL_ASSIGN_OR_RETURN(q.until, qs.GetTimestamp("until"));
  ANNAL_ASSIGN_OR_RETURN(q.as_of, qs.GetTimestamp("as_of"));
  ANNAL_ASSIGN_OR_RETURN(q.payload_filter, qs.GetPayloadFilter("payload_filter"));
  ANNAL_ASSIGN_OR_RETURN(auto limit, qs.GetUint("limit"));
  if (limit) q.limit = static_cast<size_t>(*limit);
  ANNAL_ASSIGN_OR_RETURN(auto after, qs.GetUint("after"));
  if (after) q.after = Lsn(*after);
  return q;
}

Result<ListParams> ParseListParams(std::string_view query) {
  ANNAL_ASSIGN_OR_RETURN(QueryString qs, QueryString::Parse(query));
  ListParams p;
  ANNAL_ASSIGN_OR_RETURN(auto limit, qs.GetUint("limit"));
  if (limit) p.limit = static_cast<size_t>(*limit);
  ANNAL_ASSIGN_OR_RETURN(auto offset, qs.GetUint("offset"));
  if (offset) p.offset = static_cast<size_t>(*offset);
  if (auto v = qs.Get("event_type_prefix")) p.event_type_prefix = std::string(*v);
  ANNAL_ASSIGN_OR_RETURN(p.payload_filter, qs.GetPayloadFilter("payload_filter"));
  ANNAL_ASSIGN_OR_RETURN(p.as_of, qs.GetTimestamp("as_of"));
  return p;
}

}  // namespace annal::http
