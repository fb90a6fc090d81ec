#include "wal/record.h"

#include "core/crc32c.h"

namespace annal::wal {
namespace {

template <typename T>
void PutLe(std::byte* p, T v) {
  for (size_t i = 0; i < sizeof(T); ++i) p[i] = static_cast<std::byte>(static_cast<uint64_t>(v) >> (8 * i));
}

template <typename T>
T GetLe(const std::byte* p) {
  uint64_t x = 0;
  for (size_t i = 0; i < sizeof(T); ++i) x |= static_cast<uint64_t>(p[i]) << (8 * i);
  return static_cast<T>(x);
}

}  // namespace

void PutU16(std::byte* p, uint16_t v) { PutLe(p, v); }
void PutU32(std::byte* p, uint32_t v) { PutLe(p, v); }
void PutU64(std::byte* p, uint64_t v) { PutLe(p, v); }
uint16_t GetU16(const std::byte* p) { return GetLe<uint16_t>(p); }
uint32_t GetU32(const std::byte* p) { return GetLe<uint32_t>(p); }
uint64_t GetU64(const std::byte* p) { return GetLe<uint64_t>(p); }

void EncodeRecordHeader(const RecordHeader& h, std::byte* out) {
  PutU32(out + 0, h.crc);
  PutU32(out + 4, h.body_length);
  out[8] = static_cast<std::byte>(h.type);
  out[9] = static_cast<std::byte>(h.flags);
  PutU16(out + 10, h.reserved);
  PutU64(out + 12, h.lsn.value());
  PutU64(out + 20, h.epoch.value());
  PutU64(out + 28, static_cast<uint64_t>(h.timestamp));
}

RecordHeader DecodeRecordHeader(const std::byte* in) {
  RecordHeader h;
  h.crc = GetU32(in + 0);
  h.body_length = GetU32(in + 4);
  h.type = static_cast<uint8_t>(in[8]);
  h.flags = static_cast<uint8_t>(in[9]);
  h.reserved = GetU16(in + 10);
  h.lsn = Lsn(GetU64(in + 12));
  h.epoch = Epoch(GetU64(in + 20));
  h.timestamp = static_cast<TimestampMicros>(GetU64(in + 28));
  return h;
}

uint32_t ComputeRecordCrc(std::span<const std::byte> record) {
  return crc32c::Value(record.data() + kRecordCrcStart, record.size() - kRecordCrcStart);
}

void SealRecord(std::span<std::byte> record) { PutU32(record.data(), ComputeRecordCrc(record)); }

}  // namespace annal::wal
