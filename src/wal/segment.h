// Segment files: naming, the 64-byte segment header, creation and listing
// (docs/format/wal.md). A segment is named by the LSN of its first record.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/types.h"
#include "wal/file.h"

namespace annal::wal {

inline constexpr size_t kSegmentHeaderSize = 64;
inline constexpr uint32_t kFormatVersion = 1;
inline constexpr std::string_view kSegmentMagic = "ANNALWAL";

struct SegmentHeader {
  uint64_t node_id = 0;
  Epoch epoch;
  Lsn first_lsn;
};

// "wal-00000000000000000042.log"
std::string SegmentFileName(Lsn first_lsn);
// The LSN of a name produced by SegmentFileName; nullopt for any other name.
std::optional<Lsn> ParseSegmentFileName(std::string_view name);

struct SegmentFile {
  Lsn first_lsn;
  std::filesystem::path path;
};
// Segment files in `dir`, sorted by first LSN. Other files are ignored (with a warning when
// their name starts with "wal-", since that is probably a mistake).
Result<std::vector<SegmentFile>> ListSegments(const std::filesystem::path& dir);

void EncodeSegmentHeader(const SegmentHeader& h, std::span<std::byte, kSegmentHeaderSize> out);
// Validates magic, version, size and CRC. `file` names the segment in error messages.
Result<SegmentHeader> DecodeSegmentHeader(std::span<const std::byte, kSegmentHeaderSize> in,
                                          std::string_view file);

// Writes the header at offset 0 of the (empty) file `fd` and fdatasyncs it.
Status WriteSegmentHeader(int fd, const SegmentHeader& h, const std::filesystem::path& path);
// Creates <dir>/SegmentFileName(h.first_lsn) (it must not exist), writes the header, syncs the
// file and the directory. Returns the file open for appending.
Result<UniqueFd> CreateSegment(const std::filesystem::path& dir, const SegmentHeader& h);

// Corruption("<file> offset <offset>: <what>"), the one shape of every WAL corruption message.
Status CorruptionAt(std::string_view file, uint64_t offset, std::string_view what);

}  // namespace annal::wal
