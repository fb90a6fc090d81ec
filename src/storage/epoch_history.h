// The leader-epoch history of a data dir (Kafka's leader-epoch cache): which epoch wrote which
// LSNs, persisted as <data>/EPOCHS (docs/format/storage.md, "Epoch history").
//
// Each entry {epoch, start} says "the events from LSN `start` on were written in `epoch`", up to
// the start of the next entry. Epochs and starts are both strictly increasing. Replication uses
// it to find where a follower's log diverges from the leader's (DESIGN §5.7): the follower asks
// for the end of its latest epoch in the leader's history (EndOf) and truncates there.
//
// Thread-safety: a plain value; no internal locking.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/types.h"

namespace annal::storage {

// <data>/EPOCHS
inline constexpr std::string_view kEpochHistoryFileName = "EPOCHS";
inline constexpr uint32_t kEpochHistoryFormatVersion = 1;

class EpochHistory {
 public:
  struct Entry {
    Epoch epoch;
    Lsn start;  // first LSN written in `epoch`
    bool operator==(const Entry&) const = default;
  };

  EpochHistory() = default;

  // Reads `file`. nullopt when it does not exist; Corruption naming the file when it is torn,
  // damaged (CRC) or breaks a rule (format, order).
  static Result<std::optional<EpochHistory>> Load(const std::filesystem::path& file);
  // Atomically replaces `file` (temp file, fsync, rename, directory fsync): after a crash it
  // holds the old or the new history.
  Status Save(const std::filesystem::path& file) const;

  // The text form (docs/format/storage.md) and its parser; `file` names it in errors.
  std::string Encode() const;
  static Result<EpochHistory> Decode(std::string_view text, std::string_view file);

  // The newest epoch; Epoch(0) when empty.
  Epoch latest() const;
  // The epoch that wrote `lsn`: that of the entry with the greatest start <= lsn. Epoch(0) when
  // there is none (or lsn is 0).
  Epoch EpochAt(Lsn lsn) const;
  // The last LSN written in an epoch <= e: the start of the first entry with an epoch > e,
  // minus one; `last_lsn` (the log's end) when no entry is newer than e.
  Lsn EndOf(Epoch e, Lsn last_lsn) const;
  // The largest epoch of the history that is <= e; nullopt when every epoch is newer.
  std::optional<Epoch> LargestAtMost(Epoch e) const;

  // Records that epoch `e` writes from `start` on. InvalidArgument unless e > latest(),
  // start >= 1 and start >= the last entry's start. An equal start replaces the last entry:
  // its epoch wrote nothing.
  Status Append(Epoch e, Lsn start);
  // Forgets entries that start after `lsn` (the log was truncated to `lsn`).
  void TruncateAfter(Lsn lsn);

  const std::vector<Entry>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }
  bool operator==(const EpochHistory&) const = default;

 private:
  std::vector<Entry> entries_;  // epoch and start strictly increasing
};

}  // namespace annal::storage
