// The event-file schema shared by the writer and the reader: column order and names
// (DESIGN.md §4, docs/format/parquet.md) and the annal.* footer keys.
#pragma once

#include <array>
#include <string_view>

namespace annal::storage::parquet {

enum EventColumn : int {
  kSequence,
  kEventId,
  kTenantId,
  kEventType,
  kEntityId,
  kTimestamp,
  kPayload,
  kMetadata,
  kVersion,
  kEntityVersion,
  kNumEventColumns,
};

inline constexpr std::array<std::string_view, kNumEventColumns> kEventColumnNames = {
    "sequence",  "event_id", "tenant_id", "event_type", "entity_id",
    "timestamp", "payload",  "metadata",  "version",    "entity_version",
};

inline constexpr bool IsIntColumn(int c) {
  return c == kSequence || c == kTimestamp || c == kVersion || c == kEntityVersion;
}

inline constexpr std::string_view kKeyFormatVersion = "annal.format_version";
inline constexpr std::string_view kKeyFirstLsn = "annal.first_lsn";
inline constexpr std::string_view kKeyLastLsn = "annal.last_lsn";
inline constexpr std::string_view kKeyMaxEpoch = "annal.max_epoch";
inline constexpr std::string_view kKeyFooterCrc = "annal.footer_crc32c";
inline constexpr std::string_view kFormatVersion = "1";
inline constexpr std::string_view kCreatedBy = "annal version 0.1.0 (build annal-parquet-1)";
inline constexpr std::string_view kMagic = "PAR1";

}  // namespace annal::storage::parquet
