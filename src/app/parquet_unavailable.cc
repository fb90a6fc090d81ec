// TEMPORARY, until the Parquet reader/writer (storage/parquet) is merged into this branch:
// the functions of storage/parquet/event_file.h report that Parquet is not in this build, so
// `annal inspect`/`annal export` link and work on WAL-only data dirs. Linked only when the
// storage library target does not exist (src/app/CMakeLists.txt); delete it with the merge.
#include "storage/parquet/event_file.h"

namespace annal::storage {
namespace {
Status NotInThisBuild(const std::filesystem::path& path) {
  return Internal(path.string() + ": Parquet support is not in this build yet");
}
}  // namespace

Result<Compression> ParseCompression(std::string_view) { return Internal("no Parquet support"); }
std::string_view CompressionName(Compression) { return "?"; }
Result<EventFileInfo> WriteEventFile(const std::filesystem::path& path, std::span<const Event* const>,
                                     const ParquetWriteOptions&) {
  return NotInThisBuild(path);
}
Status ReadEventFile(const std::filesystem::path& path, const std::function<Status(Event&&)>&,
                     EventFileInfo*) {
  return NotInThisBuild(path);
}
Status ReadEventFileInfo(const std::filesystem::path& path, EventFileInfo*) {
  return NotInThisBuild(path);
}

}  // namespace annal::storage
