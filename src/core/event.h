// The event model (DESIGN.md §2).
#pragma once

#include <optional>
#include <string>

#include "core/clock.h"
#include "core/types.h"
#include "core/uuid.h"

namespace annal {

inline constexpr std::string_view kDefaultTenant = "default";
// Event schema version, always 1 (AllSource compatibility).
inline constexpr int kEventSchemaVersion = 1;

// A stored event. Immutable once its WAL record is durable.
struct Event {
  Lsn sequence;                          // global, gap-free, identical on every replica
  Epoch epoch;                           // leadership term that wrote it (not shown in JSON)
  Uuid id;
  std::string tenant_id;
  std::string event_type;
  std::string entity_id;
  std::string payload;                   // JSON text as received, minified
  std::optional<std::string> metadata;   // JSON text, minified; nullopt when absent or null
  TimestampMicros timestamp = 0;         // assigned at append; non-decreasing in sequence order
  EntityVersion entity_version;          // position in its (tenant_id, entity_id) stream
};

// What a client asks to append. Fields are validated by ValidateNewEvent.
struct NewEvent {
  std::string tenant_id{kDefaultTenant};
  std::string event_type;
  std::string entity_id;
  std::string payload;                   // minified JSON text
  std::optional<std::string> metadata;   // minified JSON text
  std::optional<Uuid> event_id;          // idempotency key
  // Optimistic concurrency: the entity's current version must equal this (0 = no events yet).
  std::optional<EntityVersion> expected_version;

  // Same content for idempotency purposes: everything the client chose except expected_version.
  bool SameContentAs(const Event& e) const {
    return tenant_id == e.tenant_id && event_type == e.event_type && entity_id == e.entity_id &&
           payload == e.payload && metadata == e.metadata;
  }
};

}  // namespace annal
