#include "app/export_events.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <deque>
#include <memory>
#include <vector>

#include "app/data_dir_contents.h"
#include "app/data_dir_lock.h"
#include "app/progress_line.h"
#include "app/stored_events.h"
#include "http/event_json.h"
#include "http/json_writer.h"

namespace annal::app {
namespace {

struct FileCloser {
  void operator()(std::FILE* f) const {
    if (f) std::fclose(f);
  }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

// A temporary name beside `out`, so the rename is atomic.
std::filesystem::path TempPathFor(const std::filesystem::path& out) {
  std::filesystem::path tmp = out;
  tmp += ".tmp-" + std::to_string(::getpid());
  return tmp;
}

// Makes `tmp` durable and moves it to `out`.
Status Publish(const std::filesystem::path& tmp, const std::filesystem::path& out) {
  std::error_code ec;
  std::filesystem::rename(tmp, out, ec);
  if (ec) return IOError("rename " + tmp.string() + " to " + out.string() + ": " + ec.message());
  std::filesystem::path dir = out.parent_path().empty() ? "." : out.parent_path();
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  return Status::Ok();
}

Status ExportNdjson(const DataDirContents& contents, const ExportOptions& o, ProgressLine& progress,
                    StoredEventsStats* stats) {
  const bool to_stdout = o.out == "-";
  std::filesystem::path tmp = to_stdout ? std::filesystem::path() : TempPathFor(o.out);
  FilePtr owned;
  std::FILE* f = stdout;
  if (!to_stdout) {
    owned.reset(std::fopen(tmp.c_str(), "wb"));
    if (!owned) return ErrnoError("create " + tmp.string(), errno);
    f = owned.get();
  }
  static char buffer[1 << 20];
  std::setvbuf(f, buffer, _IOFBF, sizeof buffer);
  uint64_t done = 0;
  Status st = ForEachStoredEvent(
      contents,
      [&](Event&& e) -> Status {
        http::JsonWriter w;
        http::WriteEventJson(w, e);
        const std::string& line = w.str();
        if (std::fwrite(line.data(), 1, line.size(), f) != line.size() || std::fputc('\n', f) == EOF)
          return ErrnoError("write " + (to_stdout ? std::string("stdout") : tmp.string()), errno);
        progress.Update(++done);
        return Status::Ok();
      },
      stats);
  if (st.ok() && std::fflush(f) != 0) st = ErrnoError("write " + tmp.string(), errno);
  if (st.ok() && !to_stdout && ::fsync(::fileno(f)) != 0) st = ErrnoError("fsync " + tmp.string(), errno);
  progress.Finish(done);
  if (to_stdout) return st;
  owned.reset();
  if (!st.ok()) {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    return st;
  }
  return Publish(tmp, o.out);
}

Status ExportParquet(const DataDirContents& contents, const ExportOptions& o, ProgressLine& progress,
                     StoredEventsStats* stats) {
  // WriteEventFile takes every event at once: the export holds them in memory (as a server
  // does), in a deque so that the pointers stay put while it grows.
  std::deque<Event> events;
  ANNAL_RETURN_IF_ERROR(ForEachStoredEvent(
      contents,
      [&](Event&& e) -> Status {
        events.push_back(std::move(e));
        progress.Update(events.size());
        return Status::Ok();
      },
      stats));
  progress.Finish(events.size());
  if (events.empty()) return NotFound("the data dir holds no events; no Parquet file written");
  std::vector<const Event*> ptrs;
  ptrs.reserve(events.size());
  for (const Event& e : events) ptrs.push_back(&e);
  storage::ParquetWriteOptions wo;
  wo.compression = o.compression;
  std::filesystem::path tmp = TempPathFor(o.out);
  auto written = storage::WriteEventFile(tmp, ptrs, wo);  // fsyncs the file
  if (!written.ok()) {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    return written.status();
  }
  return Publish(tmp, o.out);
}

}  // namespace

int RunExport(const ExportOptions& o) {
  if (o.format == ExportFormat::kParquet && o.out == "-") {
    std::fprintf(stderr, "annal export: --out - (stdout) is for --format ndjson only\n");
    return 2;
  }
  auto lock = DataDirLock::AcquireShared(o.data_dir);
  if (!lock.ok()) {
    std::fprintf(stderr,
                 "annal export: %s; stop the server first: export reads the files directly and "
                 "needs them to hold still\n",
                 lock.status().message().c_str());
    return 1;
  }
  auto contents = ListDataDir(o.data_dir);
  if (!contents.ok()) {
    std::fprintf(stderr, "annal export: %s\n", contents.status().message().c_str());
    return 1;
  }
  uint64_t total = 0;
  if (auto last = LastStoredLsn(*contents); last.ok()) total = last->value();

  auto started = std::chrono::steady_clock::now();
  ProgressLine progress(stderr, "export", total);
  StoredEventsStats stats;
  Status st = o.format == ExportFormat::kNdjson ? ExportNdjson(*contents, o, progress, &stats)
                                                : ExportParquet(*contents, o, progress, &stats);
  if (!st.ok()) {
    std::fprintf(stderr, "annal export: failed: %s\n", st.ToString().c_str());
    return 1;
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::fprintf(stderr,
               "annal export: %llu events (LSN 1..%llu: %llu from Parquet files, %llu from the "
               "WAL) to %s in %.2f s\n",
               static_cast<unsigned long long>(stats.from_parquet + stats.from_wal),
               static_cast<unsigned long long>(stats.last_lsn.value()),
               static_cast<unsigned long long>(stats.from_parquet),
               static_cast<unsigned long long>(stats.from_wal),
               o.out == "-" ? "stdout" : o.out.string().c_str(), secs);
  if (stats.incomplete_tail_records > 0)
    std::fprintf(stderr,
                 "annal export: left out %llu records of an unfinished batch at the end of the "
                 "WAL (never acknowledged; recovery removes them)\n",
                 static_cast<unsigned long long>(stats.incomplete_tail_records));
  return 0;
}

}  // namespace annal::app
