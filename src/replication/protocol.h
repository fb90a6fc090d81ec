// The replication wire protocol (DESIGN.md §5, docs/replication.md): newline-delimited JSON,
// one message per line, tagged by "type", compatible with AllSource's seven messages. Annal's
// additions are optional fields (std::optional here) that AllSource ignores.
//
// This file is only the codec: typed messages <-> one line of text. Nothing here touches a
// socket, the WAL or the store. Checksums live in replication/wal_entry.h.
//
// Thread-safety: all functions are reentrant (the JSON parsers are thread-local).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "core/types.h"
#include "core/uuid.h"
#include "replication/wal_timestamp.h"

namespace annal::replication {

// A line longer than this (without its '\n') is refused before parsing: a peer cannot make us
// buffer unbounded input. Generous: a snapshot chunk is ~700 KB of base64 and an event is far
// below this.
inline constexpr size_t kMaxLineBytes = 64u << 20;

// The protocol string a follower puts in `subscribe.protocol` to receive Annal-only messages.
inline constexpr std::string_view kAnnalProtocolV1 = "annal/1";

// follower -> leader, first line. last_offset = highest LSN durable on the follower (0: none).
struct Subscribe {
  Lsn last_offset;
  std::optional<Epoch> epoch;           // Annal: epoch of the follower's last entry
  std::optional<std::string> node_id;   // Annal: who is asking (logs, lag reports)
  std::optional<std::string> protocol;  // Annal: "annal/1" enables Annal-only messages
  friend bool operator==(const Subscribe&, const Subscribe&) = default;
};

// follower -> leader. Cumulative: every LSN <= offset is durable on the follower.
struct Ack {
  Lsn offset;
  friend bool operator==(const Ack&, const Ack&) = default;
};

// The `event` object inside a wal_entry (AllSource's Event JSON).
struct WalEvent {
  Uuid id;
  std::string event_type;
  std::string entity_id;
  std::string tenant_id{"default"};             // AllSource may omit it; then "default"
  std::string payload;                          // minified JSON text
  std::optional<std::string> metadata;          // minified JSON text; nullopt for absent or null
  TimestampMicros timestamp = 0;                // RFC 3339 on the wire; sub-microseconds truncated
  int64_t version = 1;                          // event schema version
  std::optional<EntityVersion> entity_version;  // Annal: position in its entity stream
  friend bool operator==(const WalEvent&, const WalEvent&) = default;
};

// leader -> follower: one WAL entry. On the wire `offset` and `data.sequence` are both this
// entry's LSN; DecodeLine refuses lines where they differ, so it is stored once.
struct WalEntry {
  Lsn offset;
  WalTimestamp wal_timestamp;
  WalEvent event;
  uint32_t checksum = 0;           // AllSource CRC-32, see wal_entry.h
  std::optional<Epoch> epoch;      // Annal: leadership term that wrote the entry
  std::optional<uint32_t> crc32c;  // Annal: CRC-32C over the whole event
  friend bool operator==(const WalEntry&, const WalEntry&) = default;
};

// leader -> follower: the follower has every entry up to current_offset; live entries follow.
struct CaughtUp {
  Lsn current_offset;
  friend bool operator==(const CaughtUp&, const CaughtUp&) = default;
};

// leader -> follower: a snapshot of these Parquet files (bare names, no directories) follows.
struct SnapshotStart {
  std::vector<std::string> parquet_files;
  friend bool operator==(const SnapshotStart&, const SnapshotStart&) = default;
};

// leader -> follower: raw bytes [chunk_offset, chunk_offset + data.size()) of `filename`.
struct SnapshotChunk {
  std::string filename;
  std::string data;  // raw bytes; base64 (RFC 4648, padded) on the wire
  uint64_t chunk_offset = 0;
  bool is_last = false;
  std::optional<uint32_t> crc32c;  // Annal: CRC-32C of the whole file, on the last chunk
  friend bool operator==(const SnapshotChunk&, const SnapshotChunk&) = default;
};

// One entry of a leader's epoch history: entries from `start` on were written in `epoch`.
struct EpochStart {
  Epoch epoch;
  Lsn start;
  friend bool operator==(const EpochStart&, const EpochStart&) = default;
};

// leader -> follower: the snapshot covers LSN 1..wal_offset_after_snapshot; streaming resumes
// at the next LSN.
struct SnapshotEnd {
  Lsn wal_offset_after_snapshot;
  // Annal: the leader's epoch history up to wal_offset_after_snapshot, as
  // "epochs":[[epoch,start_lsn],...], so the follower knows the epoch of every installed entry.
  std::optional<std::vector<EpochStart>> epochs;
  friend bool operator==(const SnapshotEnd&, const SnapshotEnd&) = default;
};

// leader -> follower, Annal-only (sent only after subscribe.protocol "annal/1"): the follower's
// (last_offset, epoch) is not in the leader's log. `epoch` is the largest epoch the leader
// knows that is <= the follower's, and `end_offset` the last LSN the leader wrote in epochs
// <= it. The follower truncates its log to min(its last, end_offset, its own end of `epoch`)
// and subscribes again (DESIGN §5.7; docs/replication.md "Epochs").
struct Truncate {
  Epoch epoch;
  Lsn end_offset;
  friend bool operator==(const Truncate&, const Truncate&) = default;
};

using Message = std::variant<Subscribe, Ack, WalEntry, CaughtUp, SnapshotStart, SnapshotChunk,
                             SnapshotEnd, Truncate>;

// The wire name of the message's type: "subscribe", "wal_entry", ...
std::string_view MessageTypeName(const Message& m);

// One compact JSON object followed by '\n'. Optional fields are written only when set, so a
// message without Annal extras is byte-for-byte what AllSource sends (modulo key order).
std::string EncodeLine(const Message& m);

// Parses one line (a trailing "\n" or "\r\n" is allowed, nothing after it). Strict about what
// it knows, lenient about what it does not: unknown fields are ignored (forward compatibility)
// but must be valid JSON. Errors:
//   kTooLarge        line longer than kMaxLineBytes
//   kMalformed       not exactly one valid JSON value, or a raw newline inside the line
//   kWrongShape      not an object, missing/duplicate field, field of the wrong JSON type,
//                    non-integer or out-of-range number
//   kInvalidArgument unknown `type`, negative offset, offset != data.sequence, bad UUID,
//                    bad timestamp, bad base64
// Checksums are NOT verified here (see EventFromWalEntry): a codec error and corruption are
// different answers.
Result<Message> DecodeLine(std::string_view line);

}  // namespace annal::replication
