#include "replication/wal_entry.h"

#include <cstdio>

#include "core/crc32_ieee.h"
#include "core/crc32c.h"
#include "core/event_codec.h"
#include "core/validation.h"

namespace annal::replication {
namespace {

void PutU64Le(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}

WalEvent ToWalEvent(const Event& e) {
  WalEvent w;
  w.id = e.id;
  w.event_type = e.event_type;
  w.entity_id = e.entity_id;
  w.tenant_id = e.tenant_id;
  w.payload = e.payload;
  w.metadata = e.metadata;
  w.timestamp = e.timestamp;
  w.version = kEventSchemaVersion;
  w.entity_version = e.entity_version;
  return w;
}

std::string Hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08x", v);
  return buf;
}

}  // namespace

uint32_t AllSourceChecksum(Lsn sequence, WalTimestamp wal_timestamp, const Uuid& id) {
  std::string input = std::to_string(sequence.value());
  input += FormatAllSourceWalTimestamp(wal_timestamp);
  id.AppendTo(input);
  return crc32_ieee::Value(input);
}

uint32_t AllSourceChecksum(Lsn sequence, TimestampMicros wal_timestamp, const Uuid& id) {
  return AllSourceChecksum(sequence, WalTimestamp::FromMicros(wal_timestamp), id);
}

uint32_t EventCrc32c(std::span<const std::byte> body, Lsn sequence, Epoch epoch,
                     TimestampMicros timestamp) {
  std::string tail;
  PutU64Le(tail, sequence.value());
  PutU64Le(tail, epoch.value());
  PutU64Le(tail, static_cast<uint64_t>(timestamp));
  return crc32c::Extend(crc32c::Extend(0, body.data(), body.size()), tail.data(), tail.size());
}

uint32_t EventCrc32c(const Event& e) {
  std::string body;
  EncodeEventBody(e, body);
  return EventCrc32c(std::as_bytes(std::span(body)), e.sequence, e.epoch, e.timestamp);
}

Message MakeWalEntry(const Event& e, Epoch epoch, std::span<const std::byte> body) {
  WalEntry m;
  m.offset = e.sequence;
  m.wal_timestamp = WalTimestamp::FromMicros(e.timestamp);
  m.event = ToWalEvent(e);
  m.checksum = AllSourceChecksum(e.sequence, m.wal_timestamp, e.id);
  m.epoch = epoch;
  m.crc32c = EventCrc32c(body, e.sequence, epoch, e.timestamp);
  return m;
}

Message MakeWalEntry(const Event& e, Epoch epoch) {
  std::string body;
  EncodeEventBody(e, body);
  return MakeWalEntry(e, epoch, std::as_bytes(std::span(body)));
}

Result<Event> EventFromWalEntry(const WalEntry& m) {
  const WalEvent& w = m.event;
  const std::string where = "wal_entry " + std::to_string(m.offset.value()) + ": ";
  // Replicated events may carry Annal's reserved `_system.` types.
  for (const Status& s : {ValidateEventType(w.event_type, /*allow_reserved=*/true),
                          ValidateEntityId(w.entity_id), ValidateTenantId(w.tenant_id)}) {
    if (!s.ok()) return Status(s.code(), where + s.message());
  }
  if (w.version != kEventSchemaVersion)
    return InvalidArgument(where + "unsupported event version " + std::to_string(w.version));

  const uint32_t expected = AllSourceChecksum(m.offset, m.wal_timestamp, w.id);
  if (expected != m.checksum)
    return Corruption(where + "checksum mismatch: got " + Hex(m.checksum) + ", computed " +
                      Hex(expected));

  Event e;
  e.sequence = m.offset;
  e.epoch = m.epoch.value_or(Epoch(0));
  e.id = w.id;
  e.tenant_id = w.tenant_id;
  e.event_type = w.event_type;
  e.entity_id = w.entity_id;
  e.payload = w.payload;
  e.metadata = w.metadata;
  e.timestamp = w.timestamp;
  e.entity_version = w.entity_version.value_or(EntityVersion(0));
  if (m.crc32c) {
    const uint32_t crc = EventCrc32c(e);
    if (crc != *m.crc32c)
      return Corruption(where + "crc32c mismatch: got " + Hex(*m.crc32c) + ", computed " +
                        Hex(crc));
  }
  return e;
}

}  // namespace annal::replication
