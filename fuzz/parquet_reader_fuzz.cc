// Fuzzes the Parquet event-file reader (ReadEventFileInfo, ReadEventFile) with arbitrary file
// contents. Seeds (fuzz/corpus/parquet_reader): small files of ours (every codec) and DuckDB's.
// Every input must either read or fail with Corruption; a file that reads must give the same
// info from the footer-only path and as many events as the footer says. Never a crash, leak,
// UB or unbounded allocation (libFuzzer's -rss_limit_mb catches the last).
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "storage/parquet/event_file.h"

namespace {

void Die(const std::string& what) {
  std::fprintf(stderr, "parquet_reader_fuzz: %s\n", what.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace annal;
  // tmpfs when there is one: one file per input.
  static const std::string path =
      (std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp") +
      std::string("/annal-parquet-fuzz-") + std::to_string(::getpid()) + ".parquet";
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  storage::EventFileInfo footer_info;
  const Status footer = storage::ReadEventFileInfo(path, &footer_info);
  if (!footer.ok() && footer.code() != StatusCode::kCorruption) Die(footer.ToString());

  storage::EventFileInfo info;
  uint64_t events = 0;
  const Status st = storage::ReadEventFile(
      path,
      [&events](Event&& e) {
        ++events;
        if (e.sequence.value() == 0) Die("event with sequence 0");
        return Status::Ok();
      },
      &info);
  if (st.ok()) {
    if (!footer.ok()) Die("ReadEventFile succeeded where ReadEventFileInfo failed");
    if (events != info.rows || info.rows != footer_info.rows ||
        info.first_lsn != footer_info.first_lsn || info.last_lsn != footer_info.last_lsn)
      Die("event count or range disagrees with the footer");
  } else if (st.code() != StatusCode::kCorruption) {
    Die(st.ToString());
  }
  return 0;
}
