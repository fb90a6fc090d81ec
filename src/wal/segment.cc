#include "wal/segment.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <system_error>

#include "core/crc32c.h"
#include "wal/record.h"

namespace annal::wal {
namespace {

constexpr size_t kLsnDigits = 20;
constexpr std::string_view kPrefix = "wal-";
constexpr std::string_view kSuffix = ".log";
constexpr size_t kHeaderCrcOffset = 60;

}  // namespace

std::string SegmentFileName(Lsn first_lsn) {
  std::string digits = std::to_string(first_lsn.value());
  std::string name(kPrefix);
  name.append(kLsnDigits - digits.size(), '0');
  name += digits;
  name += kSuffix;
  return name;
}

std::optional<Lsn> ParseSegmentFileName(std::string_view name) {
  if (name.size() != kPrefix.size() + kLsnDigits + kSuffix.size()) return std::nullopt;
  if (!name.starts_with(kPrefix) || !name.ends_with(kSuffix)) return std::nullopt;
  std::string_view digits = name.substr(kPrefix.size(), kLsnDigits);
  // 20 digits can exceed 2^64-1; accumulate with an overflow check.
  uint64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  if (v == 0) return std::nullopt;  // LSNs start at 1
  return Lsn(v);
}

Result<std::vector<SegmentFile>> ListSegments(const std::filesystem::path& dir) {
  std::vector<SegmentFile> out;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (auto lsn = ParseSegmentFileName(name)) {
      out.push_back({*lsn, it->path()});
    } else if (name.starts_with(kPrefix)) {
      spdlog::warn("wal: ignoring unexpected file {} in {}", name, dir.string());
    }
  }
  if (ec) return IOError("list " + dir.string() + ": " + ec.message());
  std::sort(out.begin(), out.end(),
            [](const SegmentFile& a, const SegmentFile& b) { return a.first_lsn < b.first_lsn; });
  return out;
}

void EncodeSegmentHeader(const SegmentHeader& h, std::span<std::byte, kSegmentHeaderSize> out) {
  std::memset(out.data(), 0, out.size());
  std::memcpy(out.data(), kSegmentMagic.data(), kSegmentMagic.size());
  PutU32(out.data() + 8, kFormatVersion);
  PutU32(out.data() + 12, static_cast<uint32_t>(kSegmentHeaderSize));
  PutU64(out.data() + 16, h.node_id);
  PutU64(out.data() + 24, h.epoch.value());
  PutU64(out.data() + 32, h.first_lsn.value());
  PutU32(out.data() + kHeaderCrcOffset, crc32c::Value(out.data(), kHeaderCrcOffset));
}

Result<SegmentHeader> DecodeSegmentHeader(std::span<const std::byte, kSegmentHeaderSize> in,
                                          std::string_view file) {
  if (std::memcmp(in.data(), kSegmentMagic.data(), kSegmentMagic.size()) != 0)
    return CorruptionAt(file, 0, "bad segment magic (not an Annal WAL segment)");
  uint32_t want_crc = GetU32(in.data() + kHeaderCrcOffset);
  if (crc32c::Value(in.data(), kHeaderCrcOffset) != want_crc)
    return CorruptionAt(file, 0, "segment header crc mismatch");
  uint32_t version = GetU32(in.data() + 8);
  if (version != kFormatVersion)
    return CorruptionAt(file, 8, "unsupported WAL format version " + std::to_string(version));
  if (GetU32(in.data() + 12) != kSegmentHeaderSize)
    return CorruptionAt(file, 12, "unexpected segment header size");
  SegmentHeader h;
  h.node_id = GetU64(in.data() + 16);
  h.epoch = Epoch(GetU64(in.data() + 24));
  h.first_lsn = Lsn(GetU64(in.data() + 32));
  if (h.first_lsn == Lsn(0)) return CorruptionAt(file, 32, "segment first_lsn is 0");
  return h;
}

Status WriteSegmentHeader(int fd, const SegmentHeader& h, const std::filesystem::path& path) {
  std::array<std::byte, kSegmentHeaderSize> buf;
  EncodeSegmentHeader(h, buf);
  iovec iov{buf.data(), buf.size()};
  ANNAL_RETURN_IF_ERROR(WriteAll(fd, std::span<iovec>(&iov, 1), path));
  return SyncData(fd, path);
}

Result<UniqueFd> CreateSegment(const std::filesystem::path& dir, const SegmentHeader& h) {
  std::filesystem::path path = dir / SegmentFileName(h.first_lsn);
  ANNAL_ASSIGN_OR_RETURN(UniqueFd fd, OpenFile(path, O_WRONLY | O_CREAT | O_EXCL));
  ANNAL_RETURN_IF_ERROR(WriteSegmentHeader(fd.get(), h, path));
  ANNAL_RETURN_IF_ERROR(SyncDir(dir));
  return fd;
}

Status CorruptionAt(std::string_view file, uint64_t offset, std::string_view what) {
  std::string m(file);
  m += " offset ";
  m += std::to_string(offset);
  m += ": ";
  m += what;
  return Corruption(std::move(m));
}

}  // namespace annal::wal
