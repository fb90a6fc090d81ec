#include "store/payload_filter.h"

#include <simdjson.h>

#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace annal::store {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

bool IsInteger(element_type t) {
  return t == element_type::INT64 || t == element_type::UINT64;
}
bool IsNumber(element_type t) { return IsInteger(t) || t == element_type::DOUBLE; }

bool NumbersEqual(element a, element b) {
  element_type ta = a.type(), tb = b.type();
  if (IsInteger(ta) && IsInteger(tb)) {
    // Exact comparison; int64 and uint64 overlap only on non-negative values.
    if (ta == tb) {
      return ta == element_type::INT64 ? int64_t(a) == int64_t(b) : uint64_t(a) == uint64_t(b);
    }
    int64_t i = ta == element_type::INT64 ? int64_t(a) : int64_t(b);
    uint64_t u = ta == element_type::UINT64 ? uint64_t(a) : uint64_t(b);
    return i >= 0 && static_cast<uint64_t>(i) == u;
  }
  // At least one is a double: compare by value, so 1 == 1.0 and 1e2 == 100.
  auto as_double = [](element e) {
    switch (e.type()) {
      case element_type::INT64: return static_cast<double>(int64_t(e));
      case element_type::UINT64: return static_cast<double>(uint64_t(e));
      default: return double(e);
    }
  };
  return as_double(a) == as_double(b);
}

bool JsonEqual(element a, element b) {
  element_type ta = a.type(), tb = b.type();
  if (IsNumber(ta) && IsNumber(tb)) return NumbersEqual(a, b);
  if (ta != tb) return false;
  switch (ta) {
    case element_type::STRING: return std::string_view(a) == std::string_view(b);
    case element_type::BOOL: return bool(a) == bool(b);
    case element_type::NULL_VALUE: return true;
    case element_type::ARRAY: {
      simdjson::dom::array x = a, y = b;
      if (x.size() != y.size()) return false;
      auto yi = y.begin();
      for (element xe : x) {
        if (!JsonEqual(xe, *yi)) return false;
        ++yi;
      }
      return true;
    }
    case element_type::OBJECT: {
      simdjson::dom::object x = a, y = b;
      if (x.size() != y.size()) return false;
      for (auto [key, value] : x) {
        element other;
        if (y.at_key(key).get(other) != simdjson::SUCCESS) return false;
        if (!JsonEqual(value, other)) return false;
      }
      return true;
    }
    default: return false;
  }
}

// simdjson reads up to SIMDJSON_PADDING bytes past the input; copying into a reused padded
// buffer avoids the allocation its own copy would cost per payload.
class PaddedBuffer {
 public:
  std::pair<const char*, size_t> Fill(std::string_view text) {
    if (buf_.size() < text.size() + simdjson::SIMDJSON_PADDING)
      buf_.resize(text.size() + simdjson::SIMDJSON_PADDING);
    std::memcpy(buf_.data(), text.data(), text.size());
    return {buf_.data(), text.size()};
  }

 private:
  std::string buf_;
};

}  // namespace

class PayloadMatcher::Impl {
 public:
  struct Term {
    std::string key;
    std::unique_ptr<simdjson::dom::parser> parser;  // owns `value`'s document
    element value;
  };
  std::vector<Term> terms;
  simdjson::dom::parser payload_parser;
  PaddedBuffer buffer;
  std::vector<element> found;  // per term: the payload's member with that key (last wins)
  std::vector<bool> seen;
};

PayloadMatcher::PayloadMatcher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PayloadMatcher::PayloadMatcher(PayloadMatcher&&) noexcept = default;
PayloadMatcher& PayloadMatcher::operator=(PayloadMatcher&&) noexcept = default;
PayloadMatcher::~PayloadMatcher() = default;

Result<PayloadMatcher> PayloadMatcher::Compile(const PayloadFilter& filter) {
  auto impl = std::make_unique<Impl>();
  for (const auto& [key, value_text] : filter) {
    Impl::Term term;
    term.key = key;
    term.parser = std::make_unique<simdjson::dom::parser>();
    simdjson::padded_string padded(value_text);
    // parse() copies into the parser's own storage, so `padded` may go away.
    if (term.parser->parse(padded).get(term.value) != simdjson::SUCCESS)
      return InvalidArgument("payload_filter value for key '" + key + "' is not valid JSON");
    impl->terms.push_back(std::move(term));
  }
  impl->found.resize(impl->terms.size());
  impl->seen.resize(impl->terms.size());
  return PayloadMatcher(std::move(impl));
}

bool PayloadMatcher::empty() const { return impl_->terms.empty(); }

bool PayloadMatcher::Matches(std::string_view json_text) {
  Impl& m = *impl_;
  if (m.terms.empty()) return true;
  auto [data, len] = m.buffer.Fill(json_text);
  element root;
  if (m.payload_parser.parse(data, len, /*realloc_if_needed=*/false).get(root) !=
      simdjson::SUCCESS)
    return false;
  simdjson::dom::object obj;
  if (root.get(obj) != simdjson::SUCCESS) return false;
  std::fill(m.seen.begin(), m.seen.end(), false);
  for (auto [key, value] : obj) {
    for (size_t i = 0; i < m.terms.size(); ++i) {
      if (m.terms[i].key == key) {
        m.found[i] = value;
        m.seen[i] = true;
      }
    }
  }
  for (size_t i = 0; i < m.terms.size(); ++i) {
    if (!m.seen[i] || !JsonEqual(m.found[i], m.terms[i].value)) return false;
  }
  return true;
}

}  // namespace annal::store
