// Binary encoding of an event's body inside a WAL record (layout: docs/format/wal.md).
// sequence, epoch and timestamp live in the record header, not here.
#pragma once

#include <span>
#include <string>

#include "core/event.h"
#include "core/status.h"

namespace annal {

// Appends the body of `e` to `out`.
// The number of bytes EncodeEventBody appends for `e`.
size_t EncodedEventBodySize(const Event& e);
void EncodeEventBody(const Event& e, std::string& out);
// Fills the body fields of `e` (id, tenant, type, entity, payload, metadata, entity_version).
// Returns Corruption when `body` is not exactly one well-formed event body.
Status DecodeEventBody(std::span<const std::byte> body, Event& e);

}  // namespace annal
