// Fuzzes WAL recovery (RecoverLog, the core of Wal::Open) and the LogReader with arbitrary segment contents.
//
// Input layout: byte 0 selects the mode, the rest is file content.
//   mode bit 0 = 0: the rest is written after a valid segment header (reaches the record parser
//                   quickly); 1: the rest is the whole segment file (header parsing too).
//   mode bit 1: also place a valid one-record segment before it, so the fuzzed file is the last
//               of two segments (cross-segment LSN/epoch checks).
// Recovery must either succeed or fail with Corruption; a successful recovery must be stable
// (a second Open replays the same records and truncates nothing more), and the LogReader must
// agree with what recovery replayed. Never a crash, leak or UB.
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/event_codec.h"
#include "wal/reader.h"
#include "wal/recovery.h"
#include "wal/segment.h"
#include "wal/wal.h"

namespace {

using namespace annal;
using namespace annal::wal;
namespace fs = std::filesystem;

void Die(const char* what) {
  std::fprintf(stderr, "wal_reader_fuzz: %s\n", what);
  std::abort();
}

void WriteFile(const fs::path& p, const std::string& data) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

std::string HeaderBytes(Lsn first) {
  std::array<std::byte, kSegmentHeaderSize> h;
  EncodeSegmentHeader(SegmentHeader{1, Epoch(1), first}, h);
  return std::string(reinterpret_cast<const char*>(h.data()), h.size());
}

// A valid segment holding one single-record batch with LSN 1.
std::string FirstSegment(const fs::path& scratch) {
  WalOptions o;
  o.dir = scratch;
  o.sync = SyncPolicy{SyncMode::kNever, {}};
  auto wal = Wal::Open(o, [](const RecordView&) { return Status::Ok(); });
  if (!wal.ok()) Die("cannot create the seed segment");
  Event e;
  e.sequence = Lsn(1);
  e.epoch = Epoch(1);
  e.tenant_id = "t";
  e.event_type = "x";
  e.entity_id = "e";
  e.payload = "{}";
  Batch b;
  b.AddEvent(e);
  (*wal)->Submit(std::move(b), [](Status) {});
  if (!(*wal)->Close().ok()) Die("cannot write the seed segment");
  std::ifstream in(scratch / SegmentFileName(Lsn(1)), std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct Seen {
  uint64_t lsn;
  std::string body;
  bool operator==(const Seen&) const = default;
};

Result<std::vector<Seen>> Recover(const fs::path& dir, RecoveryReport* report) {
  std::vector<Seen> seen;
  WalOptions o;
  o.dir = dir;
  o.sync = SyncPolicy{SyncMode::kNever, {}};
  // RecoverLog is what Wal::Open runs before starting the writer thread; calling it directly
  // keeps thread start-up out of every fuzz iteration.
  auto log = RecoverLog(
      o,
      [&seen](const RecordView& r) {
        seen.push_back({r.lsn.value(), std::string(reinterpret_cast<const char*>(r.body.data()),
                                                   r.body.size())});
        Event e;  // exercise the body decoder on whatever passed the CRC
        (void)DecodeEventBody(r.body, e);
        return Status::Ok();
      },
      report);
  if (!log.ok()) return log.status();
  return seen;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  std::string content(reinterpret_cast<const char*>(data + 1), size - 1);

  // tmpfs when there is one: recovery fsyncs, and on a disk that would dominate the run time.
  static const bool shm = fs::is_directory("/dev/shm");
  std::string tmpl = shm ? "/dev/shm/annal-wal-fuzz-XXXXXX" : "/tmp/annal-wal-fuzz-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) Die("mkdtemp");
  const fs::path root(tmpl);
  const fs::path dir = root / "wal";
  fs::create_directories(dir);

  Lsn fuzzed_first(1);
  if (mode & 2) {
    static const std::string first = FirstSegment(root / "seed");
    WriteFile(dir / SegmentFileName(Lsn(1)), first);
    fuzzed_first = Lsn(2);
  }
  WriteFile(dir / SegmentFileName(fuzzed_first),
            (mode & 1) ? content : HeaderBytes(fuzzed_first) + content);

  RecoveryReport report;
  auto first = Recover(dir, &report);
  if (first.ok()) {
    // Recovery must be idempotent: the repaired log is a clean log.
    RecoveryReport again_report;
    auto again = Recover(dir, &again_report);
    if (!again.ok()) Die("second recovery failed after a successful one");
    if (*again != *first) Die("second recovery replayed different records");
    if (again_report.truncated_bytes != 0 || !again_report.truncated_segment.empty())
      Die("second recovery truncated again");
    // The catch-up reader sees exactly the recovered records.
    auto reader = LogReader::Open(dir, Lsn(1));
    if (!reader.ok()) Die("LogReader::Open failed on a recovered log");
    std::vector<Seen> read;
    RecordView rec;
    for (;;) {
      auto more = (*reader)->Next(&rec);
      if (!more.ok()) Die("LogReader failed on a recovered log");
      if (!*more) break;
      read.push_back({rec.lsn.value(), std::string(reinterpret_cast<const char*>(rec.body.data()),
                                                   rec.body.size())});
    }
    if (read != *first) Die("LogReader disagrees with recovery");
  } else if (first.status().code() != StatusCode::kCorruption) {
    Die(first.status().ToString().c_str());
  }

  std::error_code ec;
  fs::remove_all(root, ec);
  return 0;
}
