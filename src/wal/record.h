// One WAL record: the 36-byte header in front of every body (docs/format/wal.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "core/clock.h"
#include "core/types.h"

namespace annal::wal {

inline constexpr size_t kRecordHeaderSize = 36;
// Offset of the first byte the record CRC covers (everything after the crc field).
inline constexpr size_t kRecordCrcStart = 4;
// A body_length above this is corruption: no event comes near it (HTTP bodies are capped at a few
// MiB), and the bound stops a damaged length from making a reader allocate gigabytes.
inline constexpr uint32_t kMaxBodyLength = 256u << 20;

inline constexpr uint8_t kFlagEndOfBatch = 0x01;
inline constexpr uint8_t kKnownFlags = kFlagEndOfBatch;

struct RecordHeader {
  uint32_t crc = 0;
  uint32_t body_length = 0;
  uint8_t type = 0;
  uint8_t flags = 0;
  uint16_t reserved = 0;
  Lsn lsn;
  Epoch epoch;
  TimestampMicros timestamp = 0;
};

// Writes `h` (crc included as given) into the first kRecordHeaderSize bytes of `out`.
void EncodeRecordHeader(const RecordHeader& h, std::byte* out);
// Reads a header from the first kRecordHeaderSize bytes of `in`. Checks nothing.
RecordHeader DecodeRecordHeader(const std::byte* in);

// CRC of a complete encoded record (header + body), i.e. of record[4 .. end).
uint32_t ComputeRecordCrc(std::span<const std::byte> record);
// Recomputes and stores the crc field of the complete record starting at `record`.
void SealRecord(std::span<std::byte> record);

// Little-endian helpers shared by the record and segment codecs.
void PutU16(std::byte* p, uint16_t v);
void PutU32(std::byte* p, uint32_t v);
void PutU64(std::byte* p, uint64_t v);
uint16_t GetU16(const std::byte* p);
uint32_t GetU32(const std::byte* p);
uint64_t GetU64(const std::byte* p);

}  // namespace annal::wal
