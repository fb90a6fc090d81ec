#include "core/validation.h"

#include <string>

namespace annal {
namespace {

bool IsSpace(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

}  // namespace

Status ValidateEventType(std::string_view v, bool allow_reserved) {
  if (v.empty() || v.size() > kMaxEventTypeLen)
    return InvalidArgument("event_type must be 1-128 characters");
  for (char c : v) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_';
    if (!ok)
      return InvalidArgument("event_type may contain only lowercase letters, digits, '.' and '_'");
  }
  if (v.front() == '.' || v.back() == '.')
    return InvalidArgument("event_type must not start or end with '.'");
  if (v.find("..") != std::string_view::npos)
    return InvalidArgument("event_type must not contain '..'");
  if (!allow_reserved && v.starts_with("_system."))
    return InvalidArgument("event_type prefix '_system.' is reserved");
  return Status::Ok();
}

Status ValidateEntityId(std::string_view v) {
  if (v.empty() || v.size() > kMaxEntityIdLen)
    return InvalidArgument("entity_id must be 1-128 bytes");
  for (char ch : v) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) return InvalidArgument("entity_id must not contain control characters");
  }
  if (IsSpace(static_cast<unsigned char>(v.front())) || IsSpace(static_cast<unsigned char>(v.back())))
    return InvalidArgument("entity_id must not start or end with whitespace");
  return Status::Ok();
}

Status ValidateTenantId(std::string_view v) {
  if (v.empty() || v.size() > kMaxTenantIdLen)
    return InvalidArgument("tenant_id must be 1-64 characters");
  for (char c : v) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) return InvalidArgument("tenant_id may contain only [A-Za-z0-9_-]");
  }
  return Status::Ok();
}

Status ValidateNewEvent(const NewEvent& e) {
  ANNAL_RETURN_IF_ERROR(ValidateEventType(e.event_type));
  ANNAL_RETURN_IF_ERROR(ValidateEntityId(e.entity_id));
  ANNAL_RETURN_IF_ERROR(ValidateTenantId(e.tenant_id));
  if (e.payload.empty()) return InvalidArgument("payload is required");
  if (e.event_id && e.event_id->is_nil()) return InvalidArgument("event_id must not be the nil UUID");
  return Status::Ok();
}

}  // namespace annal
