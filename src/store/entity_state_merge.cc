#include "store/entity_state_merge.h"

#include <simdjson.h>

#include <cstring>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace annal::store {
namespace {

namespace od = simdjson::ondemand;

std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' ||
                        s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// The verbatim JSON text of `v`, consuming it.
bool RawValueText(od::value v, std::string_view& out) {
  od::json_type type;
  if (v.type().get(type) != simdjson::SUCCESS) return false;
  switch (type) {
    case od::json_type::object: {
      od::object o;
      if (v.get_object().get(o) != simdjson::SUCCESS) return false;
      return o.raw_json().get(out) == simdjson::SUCCESS;
    }
    case od::json_type::array: {
      od::array a;
      if (v.get_array().get(a) != simdjson::SUCCESS) return false;
      return a.raw_json().get(out) == simdjson::SUCCESS;
    }
    default:
      out = TrimRight(v.raw_json_token());
      return true;
  }
}

class StateBuilder {
 public:
  // Folds one payload in; returns false (and folds nothing) unless it is a valid JSON object.
  bool Fold(std::string_view payload) {
    if (buf_.size() < payload.size() + simdjson::SIMDJSON_PADDING)
      buf_.resize(payload.size() + simdjson::SIMDJSON_PADDING);
    std::memcpy(buf_.data(), payload.data(), payload.size());
    od::document doc;
    if (parser_.iterate(buf_.data(), payload.size(), buf_.size()).get(doc) != simdjson::SUCCESS)
      return false;
    od::object obj;
    if (doc.get_object().get(obj) != simdjson::SUCCESS) return false;
    // Collect first so a payload that turns out malformed half-way changes nothing.
    staged_.clear();
    for (auto field_result : obj) {
      od::field field;
      if (std::move(field_result).get(field) != simdjson::SUCCESS) return false;
      std::string_view key, value;
      if (field.unescaped_key().get(key) != simdjson::SUCCESS) return false;
      std::string key_copy(key);  // the key buffer is reused by the next unescape
      if (!RawValueText(field.value(), value)) return false;
      staged_.emplace_back(std::move(key_copy), std::string(value));
    }
    for (auto& [key, value] : staged_) {
      auto [it, inserted] = index_.try_emplace(key, members_.size());
      if (inserted) {
        members_.emplace_back(std::move(key), std::move(value));
      } else {
        members_[it->second].second = std::move(value);
      }
    }
    return true;
  }

  std::string Finish() const {
    std::string out = "{";
    for (size_t i = 0; i < members_.size(); ++i) {
      if (i > 0) out.push_back(',');
      AppendJsonString(out, members_[i].first);
      out.push_back(':');
      out.append(members_[i].second);
    }
    out.push_back('}');
    return out;
  }

 private:
  od::parser parser_;
  std::string buf_;
  std::vector<std::pair<std::string, std::string>> staged_;
  std::vector<std::pair<std::string, std::string>> members_;  // first-seen order
  std::unordered_map<std::string, size_t> index_;             // key -> position in members_
};

}  // namespace

void AppendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xf]);
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
}

std::string MergeEntityState(std::span<const Event* const> events) {
  StateBuilder builder;
  for (const Event* e : events) builder.Fold(e->payload);
  return builder.Finish();
}

}  // namespace annal::store
