// TEMPORARY stand-in for src/storage/parquet (branch parquet), removed when it is merged.
// Implements event_file.h with a trivial format: "FAKEPQ1\n", then per event u64 sequence,
// u64 epoch, i64 timestamp, u32 body length, body (EncodeEventBody); then u32 CRC-32C of all
// bytes before it.
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <iterator>

#include "core/crc32c.h"
#include "core/event_codec.h"
#include "storage/parquet/event_file.h"

namespace annal::storage {
namespace {
template <typename T>
void Put(std::string& s, T v) {
  s.append(reinterpret_cast<const char*>(&v), sizeof v);
}
template <typename T>
bool Get(std::string_view& s, T* v) {
  if (s.size() < sizeof *v) return false;
  std::memcpy(v, s.data(), sizeof *v);
  s.remove_prefix(sizeof *v);
  return true;
}
}  // namespace

Result<Compression> ParseCompression(std::string_view text) {
  if (text == "zstd") return Compression::kZstd;
  if (text == "snappy") return Compression::kSnappy;
  if (text == "none") return Compression::kNone;
  return InvalidArgument("bad compression");
}
std::string_view CompressionName(Compression c) {
  return c == Compression::kZstd ? "zstd" : c == Compression::kSnappy ? "snappy" : "none";
}

Result<EventFileInfo> WriteEventFile(const std::filesystem::path& path,
                                     std::span<const Event* const> events,
                                     const ParquetWriteOptions&) {
  std::string s = "FAKEPQ1\n";
  EventFileInfo info;
  for (const Event* e : events) {
    Put<uint64_t>(s, e->sequence.value());
    Put<uint64_t>(s, e->epoch.value());
    Put<int64_t>(s, e->timestamp);
    std::string body;
    EncodeEventBody(*e, body);
    Put<uint32_t>(s, static_cast<uint32_t>(body.size()));
    s += body;
    info.max_epoch = std::max(info.max_epoch, e->epoch);
  }
  Put<uint32_t>(s, crc32c::Value(s));
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return IOError("open " + path.string());
  bool ok = ::write(fd, s.data(), s.size()) == static_cast<ssize_t>(s.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return IOError("write " + path.string());
  info.first_lsn = events.front()->sequence;
  info.last_lsn = events.back()->sequence;
  info.rows = events.size();
  info.bytes = s.size();
  info.row_groups = 1;
  return info;
}

Status ReadEventFile(const std::filesystem::path& path, const std::function<Status(Event&&)>& fn,
                     EventFileInfo* info) {
  std::ifstream in(path, std::ios::binary);
  std::string s{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  auto bad = [&](std::string w) { return Corruption(path.filename().string() + ": " + w); };
  if (s.size() < 12 || s.compare(0, 8, "FAKEPQ1\n") != 0) return bad("bad magic");
  uint32_t crc;
  std::memcpy(&crc, s.data() + s.size() - 4, 4);
  if (crc32c::Value(s.data(), s.size() - 4) != crc) return bad("crc");
  std::string_view v(s.data() + 8, s.size() - 12);
  if (info) *info = EventFileInfo{};
  while (!v.empty()) {
    Event e;
    uint64_t seq, epoch;
    int64_t ts;
    uint32_t len;
    if (!Get(v, &seq) || !Get(v, &epoch) || !Get(v, &ts) || !Get(v, &len) || v.size() < len)
      return bad("truncated");
    ANNAL_RETURN_IF_ERROR(DecodeEventBody(
        std::span<const std::byte>(reinterpret_cast<const std::byte*>(v.data()), len), e));
    v.remove_prefix(len);
    e.sequence = Lsn(seq);
    e.epoch = Epoch(epoch);
    e.timestamp = ts;
    ANNAL_RETURN_IF_ERROR(fn(std::move(e)));
  }
  return Status::Ok();
}

Status ReadEventFileInfo(const std::filesystem::path& path, EventFileInfo* info) {
  return ReadEventFile(path, [](Event&&) { return Status::Ok(); }, info);
}

}  // namespace annal::storage
