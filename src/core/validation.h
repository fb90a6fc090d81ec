// Field rules of DESIGN.md §2. Each returns OK or InvalidArgument naming the field and the rule.
#pragma once

#include <string_view>

#include "core/event.h"
#include "core/status.h"

namespace annal {

inline constexpr size_t kMaxEventTypeLen = 128;
inline constexpr size_t kMaxEntityIdLen = 128;
inline constexpr size_t kMaxTenantIdLen = 64;

// 1-128 chars of [a-z0-9._], no leading/trailing '.', no "..". `_system.` is reserved for
// Annal itself unless allow_reserved.
Status ValidateEventType(std::string_view v, bool allow_reserved = false);
// 1-128 bytes, no control characters (< 0x20, 0x7f), no leading/trailing whitespace.
Status ValidateEntityId(std::string_view v);
// 1-64 chars of [A-Za-z0-9_-].
Status ValidateTenantId(std::string_view v);
// All field rules of a client event. Payload/metadata JSON well-formedness is the parser's job.
Status ValidateNewEvent(const NewEvent& e);

}  // namespace annal
