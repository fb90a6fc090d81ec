#include "app/inspect.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <sstream>

#include "app/data_dir_contents.h"
#include "app/data_dir_lock.h"
#include "app/progress_line.h"
#include "http/json_writer.h"
#include "storage/file_check.h"
#include "storage/parquet/event_file.h"
#include "wal/segment.h"
#include "wal/segment_reader.h"

namespace annal::app {
namespace {

std::string Range(Lsn a, Lsn b) {
  return std::to_string(a.value()) + ".." + std::to_string(b.value());
}

// The byte offset in a WAL corruption message ("<file> offset <n>: <what>").
std::optional<uint64_t> OffsetInMessage(const std::string& msg) {
  static constexpr std::string_view kTag = " offset ";
  size_t p = msg.find(kTag);
  if (p == std::string::npos) return std::nullopt;
  const char* begin = msg.data() + p + kTag.size();
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(begin, msg.data() + msg.size(), v);
  if (ec != std::errc() || end == begin) return std::nullopt;
  return v;
}

// Reads one segment front to back with recovery's rules; `min_epoch` carries the epoch across
// segments. `last` = the newest segment, the only one allowed an unfinished tail.
SegmentReport InspectSegment(const WalSegmentEntry& seg, bool last, Epoch* min_epoch) {
  SegmentReport r;
  r.name = seg.name;
  r.bytes = seg.bytes;
  auto fail = [&](const Status& st, std::optional<uint64_t> offset) {
    r.status = "failed";
    r.error = st.message();
    r.error_offset = offset ? offset : OffsetInMessage(st.message());
  };
  if (last && seg.bytes < wal::kSegmentHeaderSize) {
    // The writer creates a segment, then writes its header: a crash in between leaves this.
    r.status = "torn_tail";
    r.tail_bytes = seg.bytes;
    return r;
  }
  auto opened = wal::SegmentReader::Open(wal::SegmentFile{seg.first_lsn, seg.path});
  if (!opened.ok()) {
    fail(opened.status(), std::nullopt);
    return r;
  }
  wal::SegmentReader& reader = *opened;
  reader.set_min_epoch(*min_epoch);
  uint64_t batch_records = 0;       // records of the batch being read
  uint64_t batch_end = reader.offset();
  wal::RecordView rec;
  for (;;) {
    auto state = reader.Next(&rec);
    if (!state.ok()) {
      fail(state.status(), reader.offset());
      return r;
    }
    if (*state == wal::ReadState::kRecord) {
      ++batch_records;
      if (rec.end_of_batch) {
        if (r.first_lsn == Lsn(0)) r.first_lsn = Lsn(rec.lsn.value() - batch_records + 1);
        r.last_lsn = rec.lsn;
        r.records += batch_records;
        batch_records = 0;
        batch_end = reader.offset();
      }
      continue;
    }
    if (*state == wal::ReadState::kTorn) {
      const wal::TornRecord& t = reader.torn();
      if (!last) {
        fail(wal::CorruptionAt(seg.name, t.offset, "incomplete record in a non-last segment: " + t.reason),
             t.offset);
        return r;
      }
      if (t.length_past_eof) {
        auto valid = reader.FindValidRecordAfterTorn();
        if (!valid.ok()) {
          fail(valid.status(), t.offset);
          return r;
        }
        if (*valid) {
          fail(wal::CorruptionAt(seg.name, t.offset,
                                 t.reason + ", but a valid record follows at offset " +
                                     std::to_string(**valid) + " (damaged length field)"),
               t.offset);
          return r;
        }
      }
      r.status = "torn_tail";
      r.tail_bytes = seg.bytes > batch_end ? seg.bytes - batch_end : 0;
      r.tail_records = batch_records;
      r.error = "unfinished write at offset " + std::to_string(t.offset) + ": " + t.reason;
      break;
    }
    // kEnd
    if (batch_records > 0) {
      if (!last) {
        fail(wal::CorruptionAt(seg.name, batch_end, "segment ends inside a batch (no end_of_batch record)"),
             batch_end);
        return r;
      }
      r.status = "torn_tail";
      r.tail_bytes = seg.bytes > batch_end ? seg.bytes - batch_end : 0;
      r.tail_records = batch_records;
      r.error = "unfinished batch (no end_of_batch record) at offset " + std::to_string(batch_end);
    }
    break;
  }
  *min_epoch = reader.last_epoch();
  return r;
}

// Empty when the footer names no codec Annal reads (the file check then says why).
std::string CompressionOf(const storage::EventFileInfo& info) {
  return info.compression ? std::string(storage::CompressionName(*info.compression)) : std::string();
}

EventFileReport InspectEventFile(const EventFileEntry& f) {
  EventFileReport r;
  r.name = f.name;
  r.bytes = f.bytes;
  r.first_lsn = f.first_lsn;
  r.last_lsn = f.last_lsn;
  r.live = f.live;
  storage::EventFileInfo info;
  Status st = storage::ReadEventFileInfo(f.path, &info);
  r.row_groups = info.row_groups;
  r.compression = CompressionOf(info);
  if (st.ok() && f.meta) {
    // A live file: size and whole-file CRC-32C against the MANIFEST (they catch any flipped
    // byte), then the reader's checks and the exact LSN range, as the server reads it.
    st = storage::ReadCheckedEventFile(f.path.parent_path(), *f.meta, [&](Event&&) {
      ++r.rows;
      return Status::Ok();
    });
  } else if (st.ok()) {
    // Not live: no recorded CRC; the reader's checks and the range its name promises.
    Lsn next = f.first_lsn;
    st = storage::ReadEventFile(f.path, [&](Event&& e) -> Status {
      if (e.sequence != next)
        return Corruption(f.name + ": row " + std::to_string(r.rows) + " has sequence " +
                          std::to_string(e.sequence.value()) + ", expected " +
                          std::to_string(next.value()));
      next = next.next();
      ++r.rows;
      return Status::Ok();
    });
    if (st.ok() && next != f.last_lsn.next())
      st = Corruption(f.name + ": rows end at LSN " + std::to_string(next.value() - 1) +
                      ", the name says " + std::to_string(f.last_lsn.value()));
  }
  if (st.ok() && (info.first_lsn != f.first_lsn || info.last_lsn != f.last_lsn))
    st = Corruption(f.name + ": the footer says LSN " + Range(info.first_lsn, info.last_lsn));
  if (!st.ok()) {
    r.status = "failed";
    r.error = st.message();
  }
  return r;
}

void Summarize(const DataDirContents& c, InspectReport& r) {
  // Live Parquet files chain from LSN 1.
  Lsn next(1);
  bool chain_ok = true;
  for (const EventFileReport& f : r.event_files) {
    if (!f.live) {
      if (f.status != "ok")
        r.notes.push_back("orphan Parquet file " + f.name + " is damaged (not used): " + f.error);
      continue;
    }
    if (f.status != "ok") {
      r.problems.push_back("Parquet file " + f.name + " is damaged: " + f.error);
      chain_ok = false;
    }
    if (f.first_lsn > next) {
      r.problems.push_back("gap: LSN " + Range(next, f.first_lsn.prev()) +
                           " are in no Parquet file (next file: " + f.name + ")");
      chain_ok = false;
    } else if (f.first_lsn < next) {
      r.problems.push_back("overlap: Parquet file " + f.name + " starts at LSN " +
                           std::to_string(f.first_lsn.value()) + " but LSN " +
                           std::to_string(next.value() - 1) + " is already in an earlier file");
      chain_ok = false;
    }
    next = std::max(next, f.last_lsn.next());
  }
  r.parquet_last_lsn = next.prev();
  if (r.has_manifest && r.checkpoint_lsn != r.parquet_last_lsn && chain_ok)
    r.problems.push_back("the MANIFEST's checkpoint LSN is " + std::to_string(r.checkpoint_lsn.value()) +
                         " but its live Parquet files end at LSN " +
                         std::to_string(r.parquet_last_lsn.value()));
  if (!c.manifest_error.empty())
    r.problems.push_back("the MANIFEST is damaged: " + c.manifest_error);
  for (const std::string& m : c.missing_files)
    r.problems.push_back("the MANIFEST names " + m + ", which is not in " + c.storage_dir.string());
  for (const EventFileReport& f : r.event_files)
    if (!f.live)
      r.notes.push_back(f.name + " is not in the MANIFEST (left by an unfinished checkpoint or "
                        "replaced by compaction); the server ignores it and deletes it at start-up");
  for (const std::string& u : r.unexpected_files)
    r.notes.push_back("storage/" + u + ": not an event file (a temporary file of an unfinished "
                      "checkpoint or compaction is removed at the next start)");

  // WAL: segments contiguous (checked per segment), continuing the Parquet files.
  Lsn wal_next;
  for (size_t i = 0; i < r.segments.size(); ++i) {
    const SegmentReport& s = r.segments[i];
    const WalSegmentEntry& e = c.segments[i];
    if (s.status == "failed")
      r.problems.push_back("WAL segment " + s.name + " is damaged" +
                           (s.error_offset ? " at offset " + std::to_string(*s.error_offset) : "") +
                           ": " + s.error);
    if (s.status == "torn_tail")
      r.notes.push_back("WAL segment " + s.name + " ends with an unfinished write (" +
                        std::to_string(s.tail_bytes) + " bytes, " + std::to_string(s.tail_records) +
                        " records of an unfinished batch); recovery cuts it off: it was never "
                        "acknowledged");
    if (wal_next != Lsn(0) && e.first_lsn != wal_next)
      r.problems.push_back("WAL segment " + s.name + " starts at LSN " +
                           std::to_string(e.first_lsn.value()) + ", expected " +
                           std::to_string(wal_next.value()) +
                           (e.first_lsn > wal_next ? " (gap: LSN " + Range(wal_next, e.first_lsn.prev()) +
                                                         " missing)"
                                                   : " (overlap)"));
    if (s.status == "failed") {
      wal_next = Lsn(0);
    } else {
      wal_next = s.records > 0 ? s.last_lsn.next() : e.first_lsn;
      if (s.records > 0) {
        if (r.wal_first_lsn == Lsn(0)) r.wal_first_lsn = s.first_lsn;
        r.wal_last_lsn = s.last_lsn;
      }
    }
  }
  if (!c.segments.empty()) {
    Lsn oldest = c.segments.front().first_lsn;
    if (oldest > r.parquet_last_lsn.next())
      r.problems.push_back("gap: LSN " + Range(r.parquet_last_lsn.next(), oldest.prev()) +
                           " are neither in a Parquet file nor in the WAL (oldest segment " +
                           c.segments.front().name + ")");
  }
  r.last_lsn = std::max(r.parquet_last_lsn, r.wal_last_lsn);
  if (c.segments.empty() && r.event_files.empty()) r.notes.push_back("the data dir holds no events");
}

std::string Lsns(Lsn first, Lsn last) {
  if (first == Lsn(0)) return "-";
  return Range(first, last);
}

void LsnOrNull(http::JsonWriter& w, std::string_view key, Lsn v, bool present) {
  w.Key(key);
  if (present) w.Uint(v.value());
  else w.Null();
}

}  // namespace

InspectReport Inspect(const std::filesystem::path& data_dir) {
  InspectReport r;
  r.data_dir = data_dir.string();
  // A shared lock keeps a server from starting (and changing files) while we read. When a
  // server runs we read anyway, read-only; its newest files may change under us.
  auto lock = DataDirLock::AcquireShared(data_dir);
  if (!lock.ok()) {
    if (lock.status().code() == StatusCode::kUnavailable) {
      r.server_running = true;
      std::string m = lock.status().message();
      if (auto p = m.find("(pid "); p != std::string::npos)
        r.server_pid = m.substr(p + 5, m.find(')', p) - p - 5);
      r.notes.push_back("a server is running on this data dir" +
                        (r.server_pid.empty() ? std::string() : " (pid " + r.server_pid + ")") +
                        "; its newest files may change while they are read");
    } else {
      r.problems.push_back(lock.status().message());
      return r;
    }
  }
  auto listed = ListDataDir(data_dir);
  if (!listed.ok()) {
    r.problems.push_back(listed.status().message());
    return r;
  }
  const DataDirContents& c = *listed;
  r.has_manifest = c.has_manifest;
  r.checkpoint_lsn = c.checkpoint_lsn;
  r.manifest_generation = c.manifest.generation;
  r.unexpected_files = c.unexpected_files;

  Epoch epoch(0);
  for (size_t i = 0; i < c.segments.size(); ++i)
    r.segments.push_back(InspectSegment(c.segments[i], i + 1 == c.segments.size(), &epoch));
  for (const EventFileEntry& f : c.event_files) r.event_files.push_back(InspectEventFile(f));
  Summarize(c, r);
  return r;
}

std::string FormatInspectText(const InspectReport& r) {
  std::ostringstream o;
  char line[512];
  o << "annal inspect " << r.data_dir << (r.server_running ? "  (a server is running on it)" : "")
    << "\n\n";
  o << "WAL segments: " << r.segments.size() << "\n";
  if (!r.segments.empty()) {
    std::snprintf(line, sizeof line, "  %-30s %23s %10s %14s  %s\n", "NAME", "LSN", "RECORDS", "BYTES",
                  "CHECK");
    o << line;
  }
  for (const SegmentReport& s : r.segments) {
    std::string check = s.status;
    if (s.status == "failed")
      check = "FAILED" + (s.error_offset ? " at offset " + std::to_string(*s.error_offset) : "") + ": " + s.error;
    else if (s.status == "torn_tail")
      check = "ok, unfinished tail of " + std::to_string(s.tail_bytes) + " bytes";
    std::snprintf(line, sizeof line, "  %-30s %23s %10s %14s  ", s.name.c_str(),
                  Lsns(s.first_lsn, s.last_lsn).c_str(), WithThousands(s.records).c_str(),
                  WithThousands(s.bytes).c_str());
    o << line << check << "\n";
  }
  o << "\nParquet files: " << r.event_files.size() << "\n";
  if (!r.event_files.empty()) {
    std::snprintf(line, sizeof line, "  %-56s %23s %10s %6s %14s %-6s  %s\n", "NAME", "LSN", "ROWS",
                  "GROUPS", "BYTES", "CODEC", "CHECK");
    o << line;
  }
  for (const EventFileReport& f : r.event_files) {
    std::string check = f.status == "ok" ? "ok" : "FAILED: " + f.error;
    if (!f.live) check += " (not live)";
    std::snprintf(line, sizeof line, "  %-56s %23s %10s %6zu %14s %-6s  ", f.name.c_str(),
                  Lsns(f.first_lsn, f.last_lsn).c_str(), WithThousands(f.rows).c_str(), f.row_groups,
                  WithThousands(f.bytes).c_str(), f.compression.empty() ? "?" : f.compression.c_str());
    o << line << check << "\n";
  }
  o << "\nMANIFEST: ";
  if (r.has_manifest)
    o << "checkpoint LSN " << r.checkpoint_lsn.value() << ", generation " << r.manifest_generation
      << "\n";
  else o << "none (no checkpoint yet)\n";

  o << "\nSummary: " << WithThousands(r.last_lsn.value()) << " events";
  if (r.last_lsn != Lsn(0)) o << " (LSN 1.." << r.last_lsn.value() << ")";
  o << "; Parquet " << (r.parquet_last_lsn == Lsn(0) ? "-" : Range(Lsn(1), r.parquet_last_lsn))
    << ", WAL " << Lsns(r.wal_first_lsn, r.wal_last_lsn) << "\n";
  for (const std::string& n : r.notes) o << "  note: " << n << "\n";
  if (r.ok()) {
    o << "OK: no damage, no gaps, no overlaps\n";
  } else {
    o << r.problems.size() << (r.problems.size() == 1 ? " problem" : " problems") << ":\n";
    for (const std::string& p : r.problems) o << "  - " << p << "\n";
  }
  return o.str();
}

std::string FormatInspectJson(const InspectReport& r) {
  http::JsonWriter w;
  w.BeginObject();
  w.Field("data_dir", r.data_dir);
  w.Field("server_running", r.server_running);
  w.Key("wal");
  w.BeginObject();
  w.Key("segments");
  w.BeginArray();
  for (const SegmentReport& s : r.segments) {
    w.BeginObject();
    w.Field("name", s.name);
    bool has = s.records > 0;
    LsnOrNull(w, "first_lsn", s.first_lsn, has);
    LsnOrNull(w, "last_lsn", s.last_lsn, has);
    w.Field("records", s.records);
    w.Field("bytes", s.bytes);
    w.Field("status", s.status);
    w.Field("crc_ok", s.status != "failed");
    w.Key("error");
    if (s.error.empty()) w.Null(); else w.String(s.error);
    w.Key("offset");
    if (s.error_offset) w.Uint(*s.error_offset); else w.Null();
    w.Field("tail_bytes", s.tail_bytes);
    w.Field("tail_records", s.tail_records);
    w.EndObject();
  }
  w.EndArray();
  bool has_wal = r.wal_first_lsn != Lsn(0);
  LsnOrNull(w, "first_lsn", r.wal_first_lsn, has_wal);
  LsnOrNull(w, "last_lsn", r.wal_last_lsn, has_wal);
  w.EndObject();

  w.Key("parquet");
  w.BeginObject();
  w.Key("files");
  w.BeginArray();
  for (const EventFileReport& f : r.event_files) {
    w.BeginObject();
    w.Field("name", f.name);
    w.Field("first_lsn", f.first_lsn.value());
    w.Field("last_lsn", f.last_lsn.value());
    w.Field("rows", f.rows);
    w.Field("row_groups", static_cast<uint64_t>(f.row_groups));
    w.Field("bytes", f.bytes);
    w.Key("compression");
    if (f.compression.empty()) w.Null(); else w.String(f.compression);
    w.Field("live", f.live);
    w.Field("status", f.status);
    w.Field("verified", f.status == "ok");
    w.Key("error");
    if (f.error.empty()) w.Null(); else w.String(f.error);
    w.EndObject();
  }
  w.EndArray();
  w.Field("last_lsn", r.parquet_last_lsn.value());
  w.EndObject();

  w.Key("manifest");
  w.BeginObject();
  w.Field("present", r.has_manifest);
  LsnOrNull(w, "checkpoint_lsn", r.checkpoint_lsn, r.has_manifest);
  w.Key("generation");
  if (r.has_manifest) w.Uint(r.manifest_generation); else w.Null();
  w.EndObject();

  w.Key("summary");
  w.BeginObject();
  w.Field("events_total", r.last_lsn.value());
  w.Field("last_lsn", r.last_lsn.value());
  w.Field("ok", r.ok());
  w.Key("problems");
  w.BeginArray();
  for (const std::string& p : r.problems) w.String(p);
  w.EndArray();
  w.Key("notes");
  w.BeginArray();
  for (const std::string& n : r.notes) w.String(n);
  w.EndArray();
  w.EndObject();
  w.EndObject();
  return w.Take() + "\n";
}

int RunInspect(const InspectOptions& options) {
  InspectReport r = Inspect(options.data_dir);
  std::string out = options.json ? FormatInspectJson(r) : FormatInspectText(r);
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  return r.ok() ? 0 : 1;
}

}  // namespace annal::app
