// Checksums of a replicated WAL entry and the conversions Event <-> wal_entry message
// (definitions with examples: docs/replication.md, "Checksums").
#pragma once

#include <cstdint>
#include <span>

#include "core/event.h"
#include "core/status.h"
#include "replication/protocol.h"

namespace annal::replication {

// AllSource's `checksum`: CRC-32 (IEEE) of the ASCII bytes
//   decimal(sequence) + FormatAllSourceWalTimestamp(wal_timestamp) + lowercase hyphenated id
// e.g. "42" "2026-11-21 14:03:07.123 UTC" "0190f7b2-...". Covers only these three fields; it
// is what AllSource checks and all an AllSource peer can check.
uint32_t AllSourceChecksum(Lsn sequence, WalTimestamp wal_timestamp, const Uuid& id);
uint32_t AllSourceChecksum(Lsn sequence, TimestampMicros wal_timestamp, const Uuid& id);

// Annal's `crc32c`: CRC-32C (core/crc32c.h) of
//   EncodeEventBody(event)                   (format byte, metadata flag, id, entity_version,
//                                             tenant, type, entity, payload, metadata;
//                                             docs/format/wal.md)
//   || u64le(sequence) || u64le(epoch) || i64le(event.timestamp, microseconds)
// i.e. everything a follower writes into its WAL record, so a flipped bit anywhere in the
// event is caught before it becomes durable. `e.sequence`, `e.epoch`, `e.timestamp` and
// `e.entity_version` are taken from `e`.
// REQUIRES: the event's strings fit EncodeEventBody's length fields (ValidateEventType etc.).
uint32_t EventCrc32c(const Event& e);
// The same from an already encoded body (a WAL record's `body` is exactly EncodeEventBody's
// output), so a leader shipping from the WAL does not encode it again.
uint32_t EventCrc32c(std::span<const std::byte> body, Lsn sequence, Epoch epoch,
                     TimestampMicros timestamp);

// The wal_entry a leader sends for `e` (with Annal's extras epoch and crc32c). The wire
// `wal_timestamp` is e.timestamp: Annal assigns one time per append, so the WAL time and the
// event time are the same instant. `epoch` is the epoch stored in e's WAL record (normally
// e.epoch; passed separately so the caller states which term it ships).
Message MakeWalEntry(const Event& e, Epoch epoch);
// The same for an event read from a WAL record whose encoded body is `body`.
Message MakeWalEntry(const Event& e, Epoch epoch, std::span<const std::byte> body);

// The event a follower applies from `m`. Verifies, in this order:
//   - the event fields obey DESIGN.md §2 (kInvalidArgument): a leader never sends otherwise,
//     and EncodeEventBody relies on it;
//   - event.version is 1 (kInvalidArgument);
//   - the AllSource checksum (kCorruption);
//   - the crc32c when present (kCorruption). AllSource leaders send none.
// Fields AllSource does not send come back as "unknown": epoch 0 when `m.epoch` is absent,
// entity_version 0 when `event.entity_version` is absent; the follower must fill them in.
Result<Event> EventFromWalEntry(const WalEntry& m);

}  // namespace annal::replication
