#include "storage/data_dir_ops.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <optional>
#include <system_error>

#include "storage/catalog.h"
#include "storage/file_check.h"
#include "storage/file_names.h"
#include "storage/manifest.h"
#include "storage/parquet/event_file.h"
#include "wal/file.h"
#include "wal/record.h"
#include "wal/recovery.h"
#include "wal/segment.h"
#include "wal/segment_reader.h"

namespace annal::storage {
namespace {

namespace fs = std::filesystem;

struct DataDirPaths {
  explicit DataDirPaths(const fs::path& data)
      : storage(data / kStorageDirName),
        wal(data / kWalDirName),
        epochs(data / kEpochHistoryFileName) {}
  fs::path storage, wal, epochs;
};

std::string LsnText(Lsn lsn) { return std::to_string(lsn.value()); }

Status RemoveFile(const fs::path& path) {
  std::error_code ec;
  fs::remove(path, ec);
  if (ec) return IOError("remove " + path.string() + ": " + ec.message());
  return Status::Ok();
}

Status WriteBytes(int fd, std::span<std::byte> bytes, const fs::path& path) {
  iovec iov{bytes.data(), bytes.size()};
  return wal::WriteAll(fd, std::span<iovec>(&iov, 1), path);
}

// ---------------------------------------------------------------------------------------------
// WAL

// "wal-<lsn>.log.tmp": where a segment's cut-down copy is built. A leftover is garbage from an
// interrupted cut; the segment itself was not touched.
bool IsSegmentTemp(std::string_view name) {
  return name.ends_with(kTempSuffix) &&
         wal::ParseSegmentFileName(name.substr(0, name.size() - kTempSuffix.size())).has_value();
}

Status RemoveSegmentTemps(const fs::path& wal_dir) {
  std::error_code ec;
  for (fs::directory_iterator it(wal_dir, ec), end; !ec && it != end; it.increment(ec))
    if (IsSegmentTemp(it->path().filename().string()))
      ANNAL_RETURN_IF_ERROR(RemoveFile(it->path()));
  if (ec && ec != std::errc::no_such_file_or_directory)
    return IOError("list " + wal_dir.string() + ": " + ec.message());
  return Status::Ok();
}

// Recovers the WAL exactly as EventStore::Open would (validates every record, repairs a torn
// tail, continues the checkpoint) and returns its last LSN, which is >= checkpoint.
Result<Lsn> RecoverWal(const fs::path& wal_dir, Lsn checkpoint) {
  wal::WalOptions options;
  options.dir = wal_dir;
  options.checkpoint_lsn = checkpoint;
  ANNAL_ASSIGN_OR_RETURN(
      wal::RecoveredLog log,
      wal::RecoverLog(
          options, [](const wal::RecordView&) { return Status::Ok(); }, nullptr));
  return log.last_lsn;
}

// Deletes the segments of `segs` (sorted by first LSN) that start after `lsn` and drops them
// from `segs`. Newest first, so a crash midway leaves a log that ends at a segment boundary
// with no hole. Fsyncs the directory when something was deleted. Returns how many.
Result<size_t> DeleteSegmentsAfter(const fs::path& wal_dir, std::vector<wal::SegmentFile>& segs,
                                   Lsn lsn) {
  size_t deleted = 0;
  for (; !segs.empty() && segs.back().first_lsn > lsn; segs.pop_back(), ++deleted)
    ANNAL_RETURN_IF_ERROR(RemoveFile(segs.back().path));
  if (deleted > 0) ANNAL_RETURN_IF_ERROR(wal::SyncDir(wal_dir));
  return deleted;
}

// Deletes every segment (and leftover segment temp files). A missing directory is an empty WAL.
Status DeleteWal(const fs::path& wal_dir) {
  if (!fs::exists(wal_dir)) return Status::Ok();
  ANNAL_RETURN_IF_ERROR(RemoveSegmentTemps(wal_dir));
  ANNAL_ASSIGN_OR_RETURN(std::vector<wal::SegmentFile> segs, wal::ListSegments(wal_dir));
  return DeleteSegmentsAfter(wal_dir, segs, Lsn(0)).status();
}

// Where one record lies in its segment.
struct RecordSpan {
  uint64_t start = 0, end = 0;  // file offsets: header start, one past the body
  bool end_of_batch = false;
};

Result<RecordSpan> FindRecord(const wal::SegmentFile& seg, Lsn lsn) {
  ANNAL_ASSIGN_OR_RETURN(wal::SegmentReader reader, wal::SegmentReader::Open(seg));
  wal::RecordView rec;
  for (;;) {
    const uint64_t at = reader.offset();
    ANNAL_ASSIGN_OR_RETURN(wal::ReadState state, reader.Next(&rec));
    if (state != wal::ReadState::kRecord || rec.lsn > lsn) break;
    if (rec.lsn == lsn) return RecordSpan{at, reader.offset(), rec.end_of_batch};
  }
  return Internal(reader.file_name() + ": no record with LSN " + LsnText(lsn) +
                  ", although recovery placed it in this segment");
}

// Replaces `seg` by its bytes [0, span.end) with the record at `span` flagged end_of_batch and
// resealed: built in <segment>.tmp, fsynced, renamed over the segment, directory fsynced. The
// rename makes it all-or-nothing, where patching the header in place could be torn.
Status RewriteSegmentEndingAt(const wal::SegmentFile& seg, const RecordSpan& span) {
  const fs::path temp = seg.path.string() + std::string(kTempSuffix);
  auto cleanup = [&](Status st) {
    std::error_code ec;
    fs::remove(temp, ec);
    return st;
  };
  ANNAL_ASSIGN_OR_RETURN(wal::UniqueFd in, wal::OpenFile(seg.path, O_RDONLY));
  ANNAL_ASSIGN_OR_RETURN(wal::UniqueFd out, wal::OpenFile(temp, O_WRONLY | O_CREAT | O_TRUNC));
  auto read_exactly = [&](uint64_t offset, std::span<std::byte> buf) -> Status {
    ANNAL_ASSIGN_OR_RETURN(size_t got, wal::ReadAt(in.get(), offset, buf, seg.path));
    if (got != buf.size()) return IOError(seg.path.string() + ": shorter than recovery found it");
    return Status::Ok();
  };
  std::vector<std::byte> buf(1 << 20);
  for (uint64_t pos = 0; pos < span.start;) {
    std::span<std::byte> chunk(buf.data(), std::min<uint64_t>(buf.size(), span.start - pos));
    if (Status st = read_exactly(pos, chunk); !st.ok()) return cleanup(st);
    if (Status st = WriteBytes(out.get(), chunk, temp); !st.ok()) return cleanup(st);
    pos += chunk.size();
  }
  std::vector<std::byte> record(span.end - span.start);
  if (Status st = read_exactly(span.start, record); !st.ok()) return cleanup(st);
  wal::RecordHeader header = wal::DecodeRecordHeader(record.data());
  header.flags |= wal::kFlagEndOfBatch;
  wal::EncodeRecordHeader(header, record.data());
  wal::SealRecord(record);
  if (Status st = WriteBytes(out.get(), record, temp); !st.ok()) return cleanup(st);
  if (Status st = wal::SyncData(out.get(), temp); !st.ok()) return cleanup(st);
  if (::rename(temp.c_str(), seg.path.c_str()) != 0)
    return cleanup(ErrnoError("rename " + temp.string() + " to " + seg.path.string(), errno));
  return wal::SyncDir(seg.path.parent_path());
}

// TruncateLog step 1. REQUIRES: the WAL was recovered and its last LSN is > keep_through.
Status TruncateWal(const fs::path& wal_dir, Lsn keep_through, TruncateReport& rep,
                   const CrashHook& hook) {
  ANNAL_ASSIGN_OR_RETURN(std::vector<wal::SegmentFile> segs, wal::ListSegments(wal_dir));
  ANNAL_ASSIGN_OR_RETURN(size_t deleted, DeleteSegmentsAfter(wal_dir, segs, keep_through));
  if (deleted > 0) {
    rep.segments_deleted += deleted;
    Reach(hook, CrashPoint::kTruncateWalSegmentsDeleted);
  }
  // No segment left: keep_through lies below the WAL, so the checkpoint covers it and the store
  // starts an empty WAL at keep_through + 1.
  if (segs.empty()) return Status::Ok();

  const wal::SegmentFile& seg = segs.back();  // the segment holding keep_through
  ANNAL_ASSIGN_OR_RETURN(RecordSpan span, FindRecord(seg, keep_through));
  std::error_code ec;
  const uint64_t size = fs::file_size(seg.path, ec);
  if (ec) return IOError("stat " + seg.path.string() + ": " + ec.message());
  if (size == span.end && span.end_of_batch) return Status::Ok();  // it already ends there
  if (span.end_of_batch) {
    // Only the length changes; a crash leaves the old or the new length, both valid logs.
    ANNAL_ASSIGN_OR_RETURN(wal::UniqueFd fd, wal::OpenFile(seg.path, O_WRONLY));
    ANNAL_RETURN_IF_ERROR(wal::Truncate(fd.get(), span.end, seg.path));
    ANNAL_RETURN_IF_ERROR(wal::SyncData(fd.get(), seg.path));
  } else {
    ANNAL_RETURN_IF_ERROR(RewriteSegmentEndingAt(seg, span));
  }
  ++rep.segments_truncated;
  Reach(hook, CrashPoint::kTruncateWalSegmentCut);
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// Storage

// Writes the events <= keep_through of the live file `f` (which straddles keep_through) as a
// new file, with the codec `f` was written with. Not yet in the manifest.
Result<FileMeta> WriteKeptPart(const fs::path& dir, const FileMeta& f, Lsn keep_through,
                               const CrashHook& hook) {
  EventFileInfo info;
  ANNAL_RETURN_IF_ERROR(ReadEventFileInfo(dir / f.name, &info));
  ParquetWriteOptions options;
  options.compression = info.compression.value_or(Compression::kZstd);
  std::vector<Event> kept;
  kept.reserve(keep_through.value() - f.first_lsn.value() + 1);
  ANNAL_RETURN_IF_ERROR(ReadCheckedEventFile(dir, f, [&](Event&& e) {
    if (e.sequence <= keep_through) kept.push_back(std::move(e));
    return Status::Ok();
  }));
  std::vector<const Event*> events;
  events.reserve(kept.size());
  for (const Event& e : kept) events.push_back(&e);
  return WriteDurableEventFile(dir, events, options, hook, CrashPoint::kTruncateFileTempWritten,
                               CrashPoint::kTruncateFileRenamed);
}

// TruncateLog step 2.
Status TruncateStorage(Catalog& catalog, Lsn keep_through, TruncateReport& rep,
                       const CrashHook& hook) {
  const Manifest m = catalog.current();
  if (keep_through < m.checkpoint_lsn) {
    CatalogEdit edit;
    edit.checkpoint_lsn = keep_through;
    for (const FileMeta& f : m.files) {
      if (f.last_lsn <= keep_through) continue;
      edit.removed.push_back(f.name);
      if (f.first_lsn > keep_through) {
        ++rep.files_deleted;
        continue;
      }
      ANNAL_ASSIGN_OR_RETURN(FileMeta kept, WriteKeptPart(catalog.dir(), f, keep_through, hook));
      edit.added.push_back(std::move(kept));
      ++rep.files_rewritten;
    }
    // The new manifest is committed before any old file is deleted.
    ANNAL_RETURN_IF_ERROR(catalog.Apply(edit, hook, CrashPoint::kTruncateFilesDeleted));
  }
  // Also what an interrupted earlier run left: files dropped from the manifest, temp files.
  return catalog.RemoveOrphans();
}

// ---------------------------------------------------------------------------------------------
// Snapshot

// Checks one staged file like a live file at start-up and fills in its size and CRC-32C.
Status CheckStagedFile(const fs::path& staging_dir, FileMeta& f) {
  const fs::path path = staging_dir / f.name;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
    return InvalidArgument("snapshot file " + path.string() + " is missing (or not a file)");
  EventFileInfo info;
  if (Status st = ReadEventFileInfo(path, &info); !st.ok()) {
    if (st.message().find(f.name) == std::string::npos)
      return Status(st.code(), path.string() + ": " + st.message());
    return st;
  }
  if (info.first_lsn != f.first_lsn || info.last_lsn != f.last_lsn || info.rows != f.rows)
    return Corruption(path.string() + ": holds LSNs " + LsnText(info.first_lsn) + ".." +
                      LsnText(info.last_lsn) + " (" + std::to_string(info.rows) +
                      " rows), its name says " + LsnText(f.first_lsn) + ".." + LsnText(f.last_lsn));
  ANNAL_ASSIGN_OR_RETURN(FileDigest digest, DigestFile(path));
  f.bytes = digest.bytes;
  f.crc32c = digest.crc32c;
  // What the store checks when it reads a live file: size and CRC-32C (here against the digest
  // just taken, so they pass), then every page and every row's LSN.
  return ReadCheckedEventFile(staging_dir, f, [](Event&&) { return Status::Ok(); });
}

// The manifest entries of a valid snapshot, in LSN order; InvalidArgument or Corruption naming
// the file otherwise.
Result<std::vector<FileMeta>> CheckSnapshot(const fs::path& staging_dir,
                                            const std::vector<std::string>& files, Lsn last_lsn) {
  std::vector<FileMeta> snapshot;
  for (const std::string& name : files) {
    auto range = ParseEventFileName(name);
    if (!range)
      return InvalidArgument("snapshot file '" + name +
                             "': not an event file name (events-<first>-<last>.parquet)");
    FileMeta f;
    f.name = name;
    f.first_lsn = range->first;
    f.last_lsn = range->last;
    f.rows = range->last.value() - range->first.value() + 1;
    snapshot.push_back(std::move(f));
  }
  std::sort(snapshot.begin(), snapshot.end(),
            [](const FileMeta& a, const FileMeta& b) { return a.first_lsn < b.first_lsn; });
  Lsn expected(1);
  for (const FileMeta& f : snapshot) {
    if (f.first_lsn != expected)
      return InvalidArgument("snapshot file " + f.name + " starts at LSN " + LsnText(f.first_lsn) +
                             ", expected LSN " + LsnText(expected) +
                             " (gap, overlap or duplicate)");
    expected = f.last_lsn.next();
  }
  if (expected.prev() != last_lsn)
    return InvalidArgument("the snapshot files cover LSNs 1.." + LsnText(expected.prev()) +
                           " but the snapshot ends at LSN " + LsnText(last_lsn));
  for (FileMeta& f : snapshot) ANNAL_RETURN_IF_ERROR(CheckStagedFile(staging_dir, f));
  return snapshot;
}

// The staging dir is removed at the end: it must not hold the storage dir (or be it).
Status RequireSeparateStagingDir(const fs::path& staging_dir, const fs::path& storage_dir) {
  std::error_code ec;
  const fs::path staging = fs::canonical(staging_dir, ec);
  if (ec) return IOError("resolve " + staging_dir.string() + ": " + ec.message());
  const fs::path storage = fs::canonical(storage_dir, ec);
  if (ec) return IOError("resolve " + storage_dir.string() + ": " + ec.message());
  const fs::path rel = storage.lexically_relative(staging);
  if (rel.empty() || *rel.begin() != "..")
    return InvalidArgument("snapshot: staging dir " + staging_dir.string() + " holds " +
                           storage_dir.string() + " (it is removed after the install)");
  return Status::Ok();
}

Status RequireSameFileSystem(const fs::path& staging_dir, const fs::path& storage_dir) {
  struct stat a;
  struct stat b;
  if (::stat(staging_dir.c_str(), &a) != 0)
    return ErrnoError("stat " + staging_dir.string(), errno);
  if (::stat(storage_dir.c_str(), &b) != 0)
    return ErrnoError("stat " + storage_dir.string(), errno);
  if (a.st_dev != b.st_dev)
    return InvalidArgument("snapshot: staging dir " + staging_dir.string() + " and " +
                           storage_dir.string() +
                           " are on different file systems (files are renamed, not copied)");
  return Status::Ok();
}

// A live file of `old` that has the name of a snapshot file but other contents, if any.
std::optional<std::string> ClashingLiveFile(const Manifest& old,
                                            const std::vector<FileMeta>& snapshot) {
  for (const FileMeta& f : snapshot) {
    for (const FileMeta& live : old.files)
      if (live.name == f.name && (live.bytes != f.bytes || live.crc32c != f.crc32c)) return f.name;
  }
  return std::nullopt;
}

// InstallSnapshot step 1: the old log keeps nothing at or above the snapshot's end, and no
// live file that a staged file would replace with other contents.
Status MakeRoomForSnapshot(const fs::path& data_dir, const DataDirPaths& paths,
                           const std::vector<FileMeta>& snapshot, Lsn last_lsn,
                           const CrashHook& hook) {
  const Lsn below_end = last_lsn == Lsn(0) ? Lsn(0) : last_lsn.prev();
  Status cut = TruncateLog(data_dir, below_end, nullptr, hook);
  if (cut.code() == StatusCode::kCorruption) {
    spdlog::warn(
        "snapshot: the old log in {} is damaged and cannot be kept ({}); deleting its "
        "WAL and installing the snapshot over it",
        data_dir.string(), cut.ToString());
    return DeleteWal(paths.wal);
  }
  ANNAL_RETURN_IF_ERROR(cut);
  ANNAL_ASSIGN_OR_RETURN(std::optional<Manifest> old, ReadManifest(paths.storage));
  if (!old) return Status::Ok();
  if (auto clash = ClashingLiveFile(*old, snapshot)) {
    spdlog::warn(
        "snapshot: live file {} in {} differs from the snapshot's file of that name; "
        "emptying the old log first",
        *clash, paths.storage.string());
    return TruncateLog(data_dir, Lsn(0), nullptr, hook);
  }
  return Status::Ok();
}

}  // namespace

Status TruncateLog(const fs::path& data_dir, Lsn keep_through, TruncateReport* report,
                   const CrashHook& hook) {
  std::error_code ec;
  if (!fs::is_directory(data_dir, ec))
    return NotFound("data dir " + data_dir.string() + " not found");
  const DataDirPaths paths(data_dir);
  TruncateReport rep;

  // Check everything EventStore::Open would before changing anything (the WAL recovery may
  // repair a torn tail, as Open would).
  ANNAL_ASSIGN_OR_RETURN(std::unique_ptr<Catalog> catalog, Catalog::Open(paths.storage));
  ANNAL_ASSIGN_OR_RETURN(std::optional<EpochHistory> epochs, EpochHistory::Load(paths.epochs));
  ANNAL_ASSIGN_OR_RETURN(rep.last_lsn_before, RecoverWal(paths.wal, catalog->checkpoint_lsn()));
  ANNAL_RETURN_IF_ERROR(RemoveSegmentTemps(paths.wal));

  if (keep_through < rep.last_lsn_before) {
    rep.events_removed = rep.last_lsn_before.value() - keep_through.value();
    spdlog::warn("truncate: removing LSNs {}..{} from {}", keep_through.next().value(),
                 rep.last_lsn_before.value(), data_dir.string());
    ANNAL_RETURN_IF_ERROR(TruncateWal(paths.wal, keep_through, rep, hook));
  }
  ANNAL_RETURN_IF_ERROR(TruncateStorage(*catalog, keep_through, rep, hook));
  if (epochs) {
    EpochHistory kept = *epochs;
    kept.TruncateAfter(keep_through);
    if (kept != *epochs) {
      ANNAL_RETURN_IF_ERROR(kept.Save(paths.epochs));
      rep.epochs_truncated = true;
    }
  }
  if (rep.events_removed > 0 || rep.epochs_truncated)
    spdlog::info(
        "truncate: {} now ends at LSN {}; events removed: {}; Parquet files rewritten: {}, "
        "deleted: {}; WAL segments deleted: {}, cut: {}{}",
        data_dir.string(), std::min(keep_through, rep.last_lsn_before).value(), rep.events_removed,
        rep.files_rewritten, rep.files_deleted, rep.segments_deleted, rep.segments_truncated,
        rep.epochs_truncated ? "; epoch history truncated" : "");
  if (report) *report = rep;
  return Status::Ok();
}

Status InstallSnapshot(const fs::path& data_dir, const fs::path& staging_dir,
                       const std::vector<std::string>& files, Lsn last_lsn,
                       const EpochHistory& epochs, const CrashHook& hook) {
  ANNAL_ASSIGN_OR_RETURN(std::vector<FileMeta> snapshot,
                         CheckSnapshot(staging_dir, files, last_lsn));
  const DataDirPaths paths(data_dir);
  std::error_code ec;
  fs::create_directories(paths.storage, ec);
  if (ec) return IOError("create " + paths.storage.string() + ": " + ec.message());
  ANNAL_RETURN_IF_ERROR(RequireSeparateStagingDir(staging_dir, paths.storage));
  ANNAL_RETURN_IF_ERROR(RequireSameFileSystem(staging_dir, paths.storage));

  // 1. Nothing of the old log may outlive the commit or be overwritten before it.
  ANNAL_RETURN_IF_ERROR(MakeRoomForSnapshot(data_dir, paths, snapshot, last_lsn, hook));

  // 2. Move the files in; unlisted, they are orphans until the commit.
  for (const FileMeta& f : snapshot) {
    const fs::path from = staging_dir / f.name, to = paths.storage / f.name;
    {
      ANNAL_ASSIGN_OR_RETURN(wal::UniqueFd fd, wal::OpenFile(from, O_RDONLY));
      ANNAL_RETURN_IF_ERROR(wal::SyncData(fd.get(), from));
    }
    if (::rename(from.c_str(), to.c_str()) != 0)
      return ErrnoError("rename " + from.string() + " to " + to.string(), errno);
  }
  ANNAL_RETURN_IF_ERROR(wal::SyncDir(paths.storage));
  Reach(hook, CrashPoint::kSnapshotFilesMoved);

  // 3. The commit point.
  Manifest next;
  auto old = ReadManifest(paths.storage);  // only for the generation; may be damaged
  next.generation = (old.ok() && old->has_value() ? (*old)->generation : 0) + 1;
  next.checkpoint_lsn = last_lsn;
  next.files = std::move(snapshot);
  ANNAL_RETURN_IF_ERROR(WriteManifest(paths.storage, next, hook));

  // 4, 5. The history, then the old WAL (which the store would discard anyway, step 1).
  ANNAL_RETURN_IF_ERROR(epochs.Save(paths.epochs));
  Reach(hook, CrashPoint::kSnapshotEpochsSaved);
  ANNAL_RETURN_IF_ERROR(DeleteWal(paths.wal));
  Reach(hook, CrashPoint::kSnapshotWalDeleted);

  // 6. Only garbage is left, which the store deletes at Open too: failures are logged.
  auto catalog = Catalog::Open(paths.storage);
  Status orphans = catalog.ok() ? (*catalog)->RemoveOrphans() : catalog.status();
  if (!orphans.ok()) spdlog::warn("snapshot: removing old storage files: {}", orphans.ToString());
  fs::remove_all(staging_dir, ec);
  if (ec) spdlog::warn("snapshot: removing {}: {}", staging_dir.string(), ec.message());
  spdlog::info("snapshot: installed {} files (LSNs 1..{}) into {}; epoch {}", next.files.size(),
               last_lsn.value(), data_dir.string(), epochs.latest().value());
  return Status::Ok();
}

}  // namespace annal::storage
