#include "storage/epoch_history.h"

#include <algorithm>
#include <string>

#include "storage/sealed_text.h"

namespace annal::storage {
namespace {

constexpr std::string_view kMagic = "annal-epochs";

}  // namespace

std::string EpochHistory::Encode() const {
  std::string out;
  out += kMagic;
  out += ' ' + std::to_string(kEpochHistoryFormatVersion) + '\n';
  for (const Entry& e : entries_)
    out += std::to_string(e.epoch.value()) + ' ' + std::to_string(e.start.value()) + '\n';
  return SealText(std::move(out));
}

Result<EpochHistory> EpochHistory::Decode(std::string_view text, std::string_view file) {
  auto bad = [&](const std::string& what) { return Corruption(std::string(file) + ": " + what); };
  ANNAL_ASSIGN_OR_RETURN(std::string_view body, UnsealText(text, file, "epoch history"));
  ANNAL_ASSIGN_OR_RETURN(std::vector<std::string_view> lines, SplitLines(body, file));
  if (lines.empty()) return bad("no header line");
  auto header = SplitFields(lines[0]);
  uint32_t version = 0;
  if (header.size() != 2 || header[0] != kMagic || !ParseNumber(header[1], &version))
    return bad("not an Annal epoch history");
  if (version != kEpochHistoryFormatVersion)
    return bad("unsupported epoch history format version " + std::to_string(version));

  EpochHistory h;
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string where = "line " + std::to_string(i + 1) + ": ";
    auto f = SplitFields(lines[i]);
    uint64_t epoch = 0, start = 0;
    if (f.size() != 2 || !ParseNumber(f[0], &epoch) || !ParseNumber(f[1], &start))
      return bad(where + "expected '<epoch> <start_lsn>', got '" + std::string(lines[i]) + "'");
    // The file passed its CRC, so a broken order is a bug that wrote it; refuse it all the same.
    if (epoch == 0 || start == 0 ||
        (!h.entries_.empty() &&
         (Epoch(epoch) <= h.latest() || Lsn(start) <= h.entries_.back().start)))
      return bad(where + "epoch " + std::to_string(epoch) + " at LSN " + std::to_string(start) +
                 " does not follow the previous entry (epochs and start LSNs start at 1 and "
                 "increase)");
    h.entries_.push_back({Epoch(epoch), Lsn(start)});
  }
  return h;
}

Result<std::optional<EpochHistory>> EpochHistory::Load(const std::filesystem::path& file) {
  ANNAL_ASSIGN_OR_RETURN(std::optional<std::string> text, ReadSmallFile(file));
  if (!text) return std::optional<EpochHistory>();
  ANNAL_ASSIGN_OR_RETURN(EpochHistory h, Decode(*text, file.string()));
  return std::optional<EpochHistory>(std::move(h));
}

Status EpochHistory::Save(const std::filesystem::path& file) const {
  return ReplaceFileAtomically(file, Encode());
}

Epoch EpochHistory::latest() const { return entries_.empty() ? Epoch(0) : entries_.back().epoch; }

Epoch EpochHistory::EpochAt(Lsn lsn) const {
  // First entry starting after lsn; the one before it (if any) holds lsn.
  auto it = std::upper_bound(entries_.begin(), entries_.end(), lsn,
                             [](Lsn l, const Entry& e) { return l < e.start; });
  return it == entries_.begin() ? Epoch(0) : std::prev(it)->epoch;
}

Lsn EpochHistory::EndOf(Epoch e, Lsn last_lsn) const {
  auto newer = std::upper_bound(entries_.begin(), entries_.end(), e,
                                [](Epoch x, const Entry& entry) { return x < entry.epoch; });
  return newer == entries_.end() ? last_lsn : newer->start.prev();
}

std::optional<Epoch> EpochHistory::LargestAtMost(Epoch e) const {
  auto newer = std::upper_bound(entries_.begin(), entries_.end(), e,
                                [](Epoch x, const Entry& entry) { return x < entry.epoch; });
  if (newer == entries_.begin()) return std::nullopt;
  return std::prev(newer)->epoch;
}

Status EpochHistory::Append(Epoch e, Lsn start) {
  if (e <= latest())
    return InvalidArgument("epoch history: epoch " + std::to_string(e.value()) +
                           " is not newer than the latest epoch " +
                           std::to_string(latest().value()));
  if (start == Lsn(0)) return InvalidArgument("epoch history: an epoch starts at LSN 1 or later");
  if (!entries_.empty() && start < entries_.back().start)
    return InvalidArgument("epoch history: epoch " + std::to_string(e.value()) + " starts at LSN " +
                           std::to_string(start.value()) + ", before epoch " +
                           std::to_string(latest().value()) + " (LSN " +
                           std::to_string(entries_.back().start.value()) + ")");
  // The previous epoch wrote nothing: it owns no LSN, so it leaves the history.
  if (!entries_.empty() && start == entries_.back().start) entries_.pop_back();
  entries_.push_back({e, start});
  return Status::Ok();
}

void EpochHistory::TruncateAfter(Lsn lsn) {
  while (!entries_.empty() && entries_.back().start > lsn) entries_.pop_back();
}

}  // namespace annal::storage
