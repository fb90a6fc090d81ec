// Matching event payloads (JSON text) against a PayloadFilter.
//
// A payload matches when it is a JSON object and, for every (key, value) of the filter, its
// top-level member `key` equals `value` as a JSON value: numbers by numeric value (1 == 1.0),
// strings exactly (after unescaping), true/false/null by kind, arrays element by element,
// objects member by member regardless of order. When a payload repeats a key, the last
// occurrence counts (as in the entity-state merge). An empty filter matches everything.
#pragma once

#include <memory>
#include <string_view>

#include "core/status.h"
#include "store/event_store.h"

namespace annal::store {

class PayloadMatcher {
 public:
  // Parses the filter values once. InvalidArgument when a value is not valid JSON.
  static Result<PayloadMatcher> Compile(const PayloadFilter& filter);

  PayloadMatcher(PayloadMatcher&&) noexcept;
  PayloadMatcher& operator=(PayloadMatcher&&) noexcept;
  ~PayloadMatcher();

  bool empty() const;
  // Not thread-safe: reuses one parse buffer. Use one matcher per query. Text that is not
  // valid JSON matches nothing (unless the filter is empty).
  bool Matches(std::string_view json_text);

 private:
  class Impl;
  explicit PayloadMatcher(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace annal::store
