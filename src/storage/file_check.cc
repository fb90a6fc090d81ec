#include "storage/file_check.h"

#include <fcntl.h>

#include <cerrno>
#include <system_error>
#include <vector>

#include "core/crc32c.h"
#include "storage/file_names.h"
#include "storage/sealed_text.h"
#include "wal/file.h"

namespace annal::storage {

Result<FileDigest> DigestFile(const std::filesystem::path& path) {
  ANNAL_ASSIGN_OR_RETURN(wal::UniqueFd fd, wal::OpenFile(path, O_RDONLY));
  FileDigest d;
  std::vector<std::byte> buf(1 << 20);
  for (;;) {
    ANNAL_ASSIGN_OR_RETURN(size_t got, wal::ReadAt(fd.get(), d.bytes, buf, path));
    if (got == 0) break;
    d.crc32c = crc32c::Extend(d.crc32c, buf.data(), got);
    d.bytes += got;
  }
  return d;
}

Status ReadCheckedEventFile(const std::filesystem::path& dir, const FileMeta& meta,
                            const std::function<Status(Event&&)>& fn) {
  const std::filesystem::path path = dir / meta.name;
  // "storage/events-….parquet" for a live file; a staged snapshot file names its own folder.
  const std::filesystem::path folder =
      dir.has_filename() ? dir.filename() : dir.parent_path().filename();
  const std::string name = (folder / meta.name).string();
  auto digest = DigestFile(path);
  if (!digest.ok()) return digest.status();
  if (digest->bytes != meta.bytes)
    return Corruption(name + ": size " + std::to_string(digest->bytes) + " bytes, the manifest says " +
                      std::to_string(meta.bytes));
  if (digest->crc32c != meta.crc32c)
    return Corruption(name + ": crc32c " + Hex32(digest->crc32c) + ", the manifest says " +
                      Hex32(meta.crc32c) + ": the file is damaged");

  Lsn expected = meta.first_lsn;
  Status st = ReadEventFile(path, [&](Event&& e) -> Status {
    if (e.sequence != expected || e.sequence > meta.last_lsn)
      return Corruption(name + ": holds LSN " + std::to_string(e.sequence.value()) + ", expected " +
                        std::to_string(expected.value()));
    expected = expected.next();
    return fn(std::move(e));
  });
  if (!st.ok()) {
    // The Parquet reader names the file; make sure every failure here does, and stays Corruption
    // when it is about the bytes (an I/O error stays an I/O error).
    if (st.message().find(meta.name) == std::string::npos)
      return Status(st.code(), name + ": " + st.message());
    return st;
  }
  if (expected != meta.last_lsn.next())
    return Corruption(name + ": ends at LSN " + std::to_string(expected.value() - 1) +
                      ", the manifest says " + std::to_string(meta.last_lsn.value()));
  return Status::Ok();
}

Result<FileMeta> WriteDurableEventFile(const std::filesystem::path& dir,
                                       std::span<const Event* const> events,
                                       const ParquetWriteOptions& options, const CrashHook& hook,
                                       CrashPoint temp_written, CrashPoint renamed) {
  ANNAL_CHECK(!events.empty());
  FileMeta meta;
  meta.first_lsn = events.front()->sequence;
  meta.last_lsn = events.back()->sequence;
  ANNAL_CHECK(meta.last_lsn.value() - meta.first_lsn.value() + 1 == events.size());
  meta.name = EventFileName(meta.first_lsn, meta.last_lsn);
  meta.rows = events.size();
  const std::filesystem::path final_path = dir / meta.name;
  const std::filesystem::path temp_path = dir / (meta.name + std::string(kTempSuffix));

  auto cleanup = [&](Status st) {
    std::error_code ec;
    std::filesystem::remove(temp_path, ec);
    return st;
  };
  auto info = WriteEventFile(temp_path, events, options);  // fsyncs the file
  if (!info.ok()) return cleanup(info.status());
  // The CRC is taken from the bytes on disk, so the manifest vouches for exactly what a later
  // reader will see.
  auto digest = DigestFile(temp_path);
  if (!digest.ok()) return cleanup(digest.status());
  if (info->rows != meta.rows || info->first_lsn != meta.first_lsn || info->last_lsn != meta.last_lsn)
    return cleanup(Internal("WriteEventFile reported a different range for " + meta.name));
  meta.bytes = digest->bytes;
  meta.crc32c = digest->crc32c;
  Reach(hook, temp_written);

  if (::rename(temp_path.c_str(), final_path.c_str()) != 0)
    return cleanup(ErrnoError("rename " + temp_path.string(), errno));
  ANNAL_RETURN_IF_ERROR(wal::SyncDir(dir));
  Reach(hook, renamed);
  return meta;
}

}  // namespace annal::storage
