#include "storage/sealed_text.h"

#include <fcntl.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstdio>

#include "core/crc32c.h"
#include "storage/file_names.h"
#include "wal/file.h"

namespace annal::storage {
namespace {

constexpr std::string_view kSealKey = "crc32c ";

}  // namespace

std::string Hex32(uint32_t v) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", v);
  return buf;
}

std::string SealText(std::string body) {
  const uint32_t crc = crc32c::Value(body);  // covers every byte before the seal line
  body += kSealKey;
  body += Hex32(crc);
  body += '\n';
  return body;
}

Result<std::string_view> UnsealText(std::string_view text, std::string_view file,
                                    std::string_view kind) {
  auto bad = [&](const std::string& what) { return Corruption(std::string(file) + ": " + what); };
  size_t seal_at = text.rfind(kSealKey);
  if (seal_at == std::string_view::npos || (seal_at != 0 && text[seal_at - 1] != '\n'))
    return bad("no crc32c line (torn or not a " + std::string(kind) + ")");
  std::string_view seal = text.substr(seal_at + kSealKey.size());
  uint32_t want = 0;
  if (seal.size() != 9 || seal.back() != '\n' || !ParseNumber(seal.substr(0, 8), &want, 16))
    return bad("malformed crc32c line");
  std::string_view body = text.substr(0, seal_at);
  if (uint32_t got = crc32c::Value(body); got != want)
    return bad("crc32c mismatch (stored " + Hex32(want) + ", computed " + Hex32(got) + "): the " +
               std::string(kind) + " is damaged");
  return body;
}

Result<std::vector<std::string_view>> SplitLines(std::string_view body, std::string_view file) {
  std::vector<std::string_view> lines;
  for (size_t pos = 0; pos < body.size();) {
    size_t nl = body.find('\n', pos);
    if (nl == std::string_view::npos) return Corruption(std::string(file) + ": unterminated line");
    lines.push_back(body.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return lines;
}

std::vector<std::string_view> SplitFields(std::string_view line) {
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

Result<std::optional<std::string>> ReadSmallFile(const std::filesystem::path& path) {
  auto fd = wal::OpenFile(path, O_RDONLY);
  if (!fd.ok()) {
    if (!std::filesystem::exists(path)) return std::optional<std::string>();
    return fd.status();
  }
  ANNAL_ASSIGN_OR_RETURN(uint64_t size, wal::FileSize(fd->get(), path));
  std::string text(size, '\0');
  ANNAL_ASSIGN_OR_RETURN(
      size_t got,
      wal::ReadAt(fd->get(), 0, {reinterpret_cast<std::byte*>(text.data()), text.size()}, path));
  text.resize(got);
  return std::optional<std::string>(std::move(text));
}

Status ReplaceFileAtomically(const std::filesystem::path& path, std::string_view contents,
                             const std::function<void()>& before_rename) {
  const std::filesystem::path temp_path = path.string() + std::string(kTempSuffix);
  {
    ANNAL_ASSIGN_OR_RETURN(wal::UniqueFd fd,
                           wal::OpenFile(temp_path, O_WRONLY | O_CREAT | O_TRUNC));
    iovec iov{const_cast<char*>(contents.data()), contents.size()};
    ANNAL_RETURN_IF_ERROR(wal::WriteAll(fd.get(), std::span<iovec>(&iov, 1), temp_path));
    // fdatasync covers the size change too; the rename below must not expose an empty file.
    ANNAL_RETURN_IF_ERROR(wal::SyncData(fd.get(), temp_path));
  }
  if (before_rename) before_rename();
  if (::rename(temp_path.c_str(), path.c_str()) != 0)
    return ErrnoError("rename " + temp_path.string() + " to " + path.string(), errno);
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
  return wal::SyncDir(dir);
}

}  // namespace annal::storage
