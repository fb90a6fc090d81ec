#include "core/event_codec.h"

#include <cstring>

namespace annal {
namespace {

constexpr uint8_t kBodyFormat = 1;
constexpr uint8_t kHasMetadata = 1;

template <typename T>
void PutLe(std::string& out, T v) {
  char buf[sizeof(T)];
  for (size_t i = 0; i < sizeof(T); ++i) buf[i] = static_cast<char>(static_cast<uint64_t>(v) >> (8 * i));
  out.append(buf, sizeof(T));
}

class Cursor {
 public:
  explicit Cursor(std::span<const std::byte> b) : b_(b) {}
  template <typename T>
  bool Get(T& v) {
    if (b_.size() - pos_ < sizeof(T)) return false;
    uint64_t x = 0;
    for (size_t i = 0; i < sizeof(T); ++i) x |= static_cast<uint64_t>(b_[pos_ + i]) << (8 * i);
    v = static_cast<T>(x);
    pos_ += sizeof(T);
    return true;
  }
  bool GetBytes(size_t n, std::string& s) {
    if (b_.size() - pos_ < n) return false;
    s.assign(reinterpret_cast<const char*>(b_.data() + pos_), n);
    pos_ += n;
    return true;
  }
  bool done() const { return pos_ == b_.size(); }

 private:
  std::span<const std::byte> b_;
  size_t pos_ = 0;
};

}  // namespace

size_t EncodedEventBodySize(const Event& e) {
  return 2 + 16 + 8 + 2 + e.tenant_id.size() + 2 + e.event_type.size() + 2 + e.entity_id.size() +
         4 + e.payload.size() + (e.metadata ? 4 + e.metadata->size() : 0);
}

void EncodeEventBody(const Event& e, std::string& out) {
  out.push_back(static_cast<char>(kBodyFormat));
  out.push_back(static_cast<char>(e.metadata ? kHasMetadata : 0));
  out.append(reinterpret_cast<const char*>(e.id.bytes.data()), 16);
  PutLe<uint64_t>(out, e.entity_version.value());
  PutLe<uint16_t>(out, static_cast<uint16_t>(e.tenant_id.size()));
  out += e.tenant_id;
  PutLe<uint16_t>(out, static_cast<uint16_t>(e.event_type.size()));
  out += e.event_type;
  PutLe<uint16_t>(out, static_cast<uint16_t>(e.entity_id.size()));
  out += e.entity_id;
  PutLe<uint32_t>(out, static_cast<uint32_t>(e.payload.size()));
  out += e.payload;
  if (e.metadata) {
    PutLe<uint32_t>(out, static_cast<uint32_t>(e.metadata->size()));
    out += *e.metadata;
  }
}

Status DecodeEventBody(std::span<const std::byte> body, Event& e) {
  Cursor c(body);
  uint8_t format, flags;
  if (!c.Get(format) || format != kBodyFormat) return Corruption("event body: unknown format");
  if (!c.Get(flags) || (flags & ~kHasMetadata)) return Corruption("event body: unknown flags");
  std::string id;
  uint64_t ev;
  uint16_t n16;
  uint32_t n32;
  if (!c.GetBytes(16, id) || !c.Get(ev)) return Corruption("event body: truncated");
  std::memcpy(e.id.bytes.data(), id.data(), 16);
  e.entity_version = EntityVersion(ev);
  if (!c.Get(n16) || !c.GetBytes(n16, e.tenant_id)) return Corruption("event body: truncated tenant");
  if (!c.Get(n16) || !c.GetBytes(n16, e.event_type)) return Corruption("event body: truncated type");
  if (!c.Get(n16) || !c.GetBytes(n16, e.entity_id)) return Corruption("event body: truncated entity");
  if (!c.Get(n32) || !c.GetBytes(n32, e.payload)) return Corruption("event body: truncated payload");
  if (flags & kHasMetadata) {
    std::string m;
    if (!c.Get(n32) || !c.GetBytes(n32, m)) return Corruption("event body: truncated metadata");
    e.metadata = std::move(m);
  } else {
    e.metadata.reset();
  }
  if (!c.done()) return Corruption("event body: trailing bytes");
  return Status::Ok();
}

}  // namespace annal
