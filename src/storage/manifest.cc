#include "storage/manifest.h"

#include <fcntl.h>
#include <sys/uio.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <system_error>

#include "core/crc32c.h"
#include "storage/file_names.h"
#include "wal/file.h"

namespace annal::storage {
namespace {

constexpr std::string_view kMagic = "ANNAL-MANIFEST";
constexpr std::string_view kCrcKey = "crc32c ";

std::string Hex32(uint32_t v) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", v);
  return buf;
}

// Splits a line into space-separated fields.
std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos <= line.size()) {
    size_t sp = line.find(' ', pos);
    if (sp == std::string_view::npos) sp = line.size();
    out.push_back(line.substr(pos, sp - pos));
    pos = sp + 1;
  }
  return out;
}

template <typename T>
bool ParseNumber(std::string_view s, T* out, int base = 10) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out, base);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

Status Manifest::Validate(std::string_view origin) const {
  auto bad = [&](const std::string& what) {
    return Corruption(std::string(origin) + ": " + what);
  };
  Lsn expected(1);
  for (const FileMeta& f : files) {
    auto range = ParseEventFileName(f.name);
    if (!range) return bad("bad file name '" + f.name + "'");
    if (range->first != f.first_lsn || range->last != f.last_lsn)
      return bad(f.name + ": name disagrees with its LSN range");
    if (f.first_lsn != expected)
      return bad(f.name + ": starts at LSN " + std::to_string(f.first_lsn.value()) +
                 ", expected " + std::to_string(expected.value()) + " (gap or overlap)");
    if (f.rows != f.last_lsn.value() - f.first_lsn.value() + 1)
      return bad(f.name + ": " + std::to_string(f.rows) + " rows for its LSN range");
    expected = f.last_lsn.next();
  }
  if (expected.prev() != checkpoint_lsn)
    return bad("files cover LSNs up to " + std::to_string(expected.prev().value()) +
               " but the checkpoint LSN is " + std::to_string(checkpoint_lsn.value()));
  return Status::Ok();
}

uint64_t Manifest::total_bytes() const {
  uint64_t n = 0;
  for (const FileMeta& f : files) n += f.bytes;
  return n;
}

std::string EncodeManifest(const Manifest& m) {
  std::string out;
  out += kMagic;
  out += ' ' + std::to_string(kManifestFormatVersion) + '\n';
  out += "generation " + std::to_string(m.generation) + '\n';
  out += "checkpoint_lsn " + std::to_string(m.checkpoint_lsn.value()) + '\n';
  for (const FileMeta& f : m.files) {
    out += "file " + f.name + ' ' + std::to_string(f.first_lsn.value()) + ' ' +
           std::to_string(f.last_lsn.value()) + ' ' + std::to_string(f.rows) + ' ' +
           std::to_string(f.bytes) + ' ' + Hex32(f.crc32c) + '\n';
  }
  const uint32_t crc = crc32c::Value(out);  // covers every byte before the crc32c line
  out += kCrcKey;
  out += Hex32(crc);
  out += '\n';
  return out;
}

Result<Manifest> DecodeManifest(std::string_view text, std::string_view file) {
  auto bad = [&](const std::string& what) {
    return Corruption(std::string(file) + ": " + what);
  };
  // The CRC line comes last and covers everything before it, so check it before parsing
  // anything: a torn or damaged manifest is rejected as a whole.
  size_t crc_at = text.rfind(kCrcKey);
  if (crc_at == std::string_view::npos || (crc_at != 0 && text[crc_at - 1] != '\n'))
    return bad("no crc32c line (torn or not a manifest)");
  std::string_view crc_line = text.substr(crc_at + kCrcKey.size());
  if (crc_line.size() != 9 || crc_line.back() != '\n') return bad("malformed crc32c line");
  uint32_t want = 0;
  if (!ParseNumber(crc_line.substr(0, 8), &want, 16)) return bad("malformed crc32c line");
  std::string_view body = text.substr(0, crc_at);
  if (uint32_t got = crc32c::Value(body); got != want)
    return bad("crc32c mismatch (stored " + Hex32(want) + ", computed " + Hex32(got) +
               "): the manifest is damaged");

  Manifest m;
  size_t line_no = 0;
  bool have_generation = false, have_checkpoint = false;
  for (size_t pos = 0; pos < body.size();) {
    size_t nl = body.find('\n', pos);
    if (nl == std::string_view::npos) return bad("unterminated line");
    std::string_view line = body.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    auto f = Fields(line);
    auto where = [&] { return "line " + std::to_string(line_no) + ": "; };
    if (line_no == 1) {
      uint32_t version = 0;
      if (f.size() != 2 || f[0] != kMagic || !ParseNumber(f[1], &version))
        return bad("not an Annal manifest");
      if (version != kManifestFormatVersion)
        return bad("unsupported manifest format version " + std::to_string(version));
    } else if (f[0] == "generation" && f.size() == 2 && !have_generation) {
      if (!ParseNumber(f[1], &m.generation)) return bad(where() + "bad generation");
      have_generation = true;
    } else if (f[0] == "checkpoint_lsn" && f.size() == 2 && !have_checkpoint) {
      uint64_t v = 0;
      if (!ParseNumber(f[1], &v)) return bad(where() + "bad checkpoint_lsn");
      m.checkpoint_lsn = Lsn(v);
      have_checkpoint = true;
    } else if (f[0] == "file" && f.size() == 7) {
      FileMeta meta;
      uint64_t first = 0, last = 0;
      meta.name = std::string(f[1]);
      if (!ParseNumber(f[2], &first) || !ParseNumber(f[3], &last) ||
          !ParseNumber(f[4], &meta.rows) || !ParseNumber(f[5], &meta.bytes) ||
          f[6].size() != 8 || !ParseNumber(f[6], &meta.crc32c, 16))
        return bad(where() + "malformed file entry");
      meta.first_lsn = Lsn(first);
      meta.last_lsn = Lsn(last);
      m.files.push_back(std::move(meta));
    } else {
      return bad(where() + "unexpected '" + std::string(line) + "'");
    }
  }
  if (!have_generation || !have_checkpoint) return bad("generation or checkpoint_lsn missing");
  ANNAL_RETURN_IF_ERROR(m.Validate(file));
  return m;
}

Result<std::optional<Manifest>> ReadManifest(const std::filesystem::path& dir) {
  const std::filesystem::path path = dir / kManifestName;
  auto fd = wal::OpenFile(path, O_RDONLY);
  if (!fd.ok()) {
    if (!std::filesystem::exists(path)) return std::optional<Manifest>();
    return fd.status();
  }
  ANNAL_ASSIGN_OR_RETURN(uint64_t size, wal::FileSize(fd->get(), path));
  std::string text(size, '\0');
  ANNAL_ASSIGN_OR_RETURN(size_t got,
                         wal::ReadAt(fd->get(), 0,
                                     {reinterpret_cast<std::byte*>(text.data()), text.size()}, path));
  text.resize(got);
  ANNAL_ASSIGN_OR_RETURN(Manifest m, DecodeManifest(text, path.string()));
  return std::optional<Manifest>(std::move(m));
}

Status WriteManifest(const std::filesystem::path& dir, const Manifest& m, const CrashHook& hook) {
  ANNAL_RETURN_IF_ERROR(m.Validate("manifest to write"));  // never persist a broken catalog
  const std::filesystem::path final_path = dir / kManifestName;
  const std::filesystem::path temp_path = dir / (std::string(kManifestName) + std::string(kTempSuffix));
  std::string text = EncodeManifest(m);
  {
    ANNAL_ASSIGN_OR_RETURN(wal::UniqueFd fd,
                           wal::OpenFile(temp_path, O_WRONLY | O_CREAT | O_TRUNC));
    iovec iov{text.data(), text.size()};
    ANNAL_RETURN_IF_ERROR(wal::WriteAll(fd.get(), std::span<iovec>(&iov, 1), temp_path));
    // fdatasync covers the size change too; the rename below must not expose an empty file.
    ANNAL_RETURN_IF_ERROR(wal::SyncData(fd.get(), temp_path));
  }
  Reach(hook, CrashPoint::kManifestTempWritten);
  if (::rename(temp_path.c_str(), final_path.c_str()) != 0)
    return ErrnoError("rename " + temp_path.string() + " to " + final_path.string(), errno);
  ANNAL_RETURN_IF_ERROR(wal::SyncDir(dir));
  Reach(hook, CrashPoint::kManifestCommitted);
  return Status::Ok();
}

}  // namespace annal::storage
