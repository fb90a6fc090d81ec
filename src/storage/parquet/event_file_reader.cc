// ReadEventFile, ReadEventFileInfo: see event_file.h and docs/format/parquet.md.
#include <algorithm>
#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "storage/parquet/column_reader.h"
#include "storage/parquet/event_file.h"
#include "storage/parquet/event_file_footer.h"

namespace annal::storage {

using namespace parquet;

namespace {

constexpr size_t kBatchRows = 4096;

// Reads one row group in batches, assembling events and checking the row rules.
class RowGroupAssembler {
 public:
  RowGroupAssembler(const EventFileLayout& file, size_t rg) : file_(file), rg_(rg) {}

  Status Run(const std::function<Status(Event&&)>& fn, std::optional<uint64_t>* last_seq);

 private:
  Status Where(const Status& st, int c) const {
    return file_.Annotate(st, "row group " + std::to_string(rg_) +
                                  (c >= 0 ? " column " + std::string(kEventColumnNames[c]) : ""));
  }
  Status ReadInts(int c, size_t n, std::array<int64_t, kBatchRows>& out);
  Status ReadStrings(int c, size_t n);

  const EventFileLayout& file_;
  size_t rg_;
  std::array<std::unique_ptr<ColumnChunkReader>, kNumEventColumns> readers_;
  std::array<uint8_t, kBatchRows> defined_{};
  std::array<std::string_view, kBatchRows> views_{};
  std::vector<Event> events_;
};

Status RowGroupAssembler::ReadInts(int c, size_t n, std::array<int64_t, kBatchRows>& out) {
  ANNAL_RETURN_IF_ERROR(Where(readers_[c]->ReadInt64(n, out.data(), defined_.data()), c));
  for (size_t i = 0; i < n; ++i)
    if (!defined_[i]) return Where(Corruption("null value"), c);
  return Status::Ok();
}

Status RowGroupAssembler::ReadStrings(int c, size_t n) {
  size_t done = 0;
  while (done < n) {
    size_t k = 0;
    ANNAL_RETURN_IF_ERROR(
        Where(readers_[c]->ReadByteArray(n - done, views_.data(), defined_.data(), &k), c));
    for (size_t i = 0; i < k; ++i) {
      Event& e = events_[done + i];
      const std::string_view v = views_[i];
      if (!defined_[i]) {
        if (c != kMetadata) return Where(Corruption("null value"), c);
        e.metadata.reset();
        continue;
      }
      switch (c) {
        case kEventId: {
          auto id = Uuid::Parse(v);
          if (!id) return Where(Corruption("invalid event id"), c);
          e.id = *id;
          break;
        }
        case kTenantId:
          e.tenant_id.assign(v);
          break;
        case kEventType:
          e.event_type.assign(v);
          break;
        case kEntityId:
          e.entity_id.assign(v);
          break;
        case kPayload:
          e.payload.assign(v);
          break;
        case kMetadata:
          e.metadata.emplace(v);
          break;
      }
    }
    done += k;
  }
  return Status::Ok();
}

Status RowGroupAssembler::Run(const std::function<Status(Event&&)>& fn,
                              std::optional<uint64_t>* last_seq) {
  const RowGroup& rg = file_.metadata().row_groups[rg_];
  for (int c = 0; c < kNumEventColumns; ++c) {
    ColumnChunkSource src;
    ANNAL_RETURN_IF_ERROR(Where(file_.ReadChunk(rg_, c, &src.bytes), c));
    const ColumnMetaData& m = file_.chunk_meta(rg_, c);
    src.physical_type = file_.column(c).physical_type;
    src.optional = file_.column(c).optional;
    src.codec = m.codec;
    src.num_values = m.num_values;
    src.ours = file_.ours();
    readers_[c] = std::make_unique<ColumnChunkReader>(std::move(src));
  }
  const Epoch epoch = file_.info().max_epoch;
  const TimeUnit unit = file_.column(kTimestamp).unit;
  std::array<int64_t, kBatchRows> seq, ts, version, entity_version;
  int64_t ts_min = INT64_MAX, ts_max = INT64_MIN;  // of this row group, for the statistics check
  for (int64_t row = 0; row < rg.num_rows;) {
    const size_t n = static_cast<size_t>(std::min<int64_t>(rg.num_rows - row, kBatchRows));
    events_.resize(n);
    ANNAL_RETURN_IF_ERROR(ReadInts(kSequence, n, seq));
    ANNAL_RETURN_IF_ERROR(ReadInts(kTimestamp, n, ts));
    ANNAL_RETURN_IF_ERROR(ReadInts(kVersion, n, version));
    ANNAL_RETURN_IF_ERROR(ReadInts(kEntityVersion, n, entity_version));
    for (int c : {kEventId, kTenantId, kEventType, kEntityId, kPayload, kMetadata})
      ANNAL_RETURN_IF_ERROR(ReadStrings(c, n));
    for (size_t i = 0; i < n; ++i) {
      Event& e = events_[i];
      if (seq[i] <= 0) return Where(Corruption("sequence <= 0"), kSequence);
      const auto s = static_cast<uint64_t>(seq[i]);
      if (*last_seq && (file_.ours() ? s != **last_seq + 1 : s <= **last_seq))
        return Where(
            Corruption(file_.ours() ? "sequence not contiguous" : "sequence not ascending"),
            kSequence);
      const int64_t t = ToMicros(ts[i], unit);
      if (version[i] != kEventSchemaVersion) return Where(Corruption("version != 1"), kVersion);
      if (entity_version[i] <= 0) return Where(Corruption("entity_version <= 0"), kEntityVersion);
      *last_seq = s;
      ts_min = std::min(ts_min, t);
      ts_max = std::max(ts_max, t);
      e.sequence = Lsn(s);
      e.epoch = epoch;
      e.timestamp = t;
      e.entity_version = EntityVersion(static_cast<uint64_t>(entity_version[i]));
    }
    for (size_t i = 0; i < n; ++i) {
      Status st = fn(std::move(events_[i]));
      if (!st.ok()) return st;
    }
    row += static_cast<int64_t>(n);
  }
  if (file_.ours() && rg.num_rows > 0) {
    // Our timestamps are micros: the statistics must be exactly the data's min and max.
    const Statistics& st = *file_.chunk_meta(rg_, kTimestamp).statistics;  // checked at open
    if (st.min_value.value_or(st.min.value_or("")) !=
            std::string_view(reinterpret_cast<const char*>(&ts_min), 8) ||
        st.max_value.value_or(st.max.value_or("")) !=
            std::string_view(reinterpret_cast<const char*>(&ts_max), 8))
      return Where(Corruption("timestamp statistics do not match the data"), kTimestamp);
  }
  for (int c = 0; c < kNumEventColumns; ++c) {
    ANNAL_RETURN_IF_ERROR(Where(readers_[c]->Finish(), c));
    if (file_.ours() &&
        readers_[c]->uncompressed_bytes() != file_.chunk_meta(rg_, c).total_uncompressed_size)
      return Where(Corruption("total_uncompressed_size does not match the pages"), c);
  }
  return Status::Ok();
}

}  // namespace

Status ReadEventFileInfo(const std::filesystem::path& path, EventFileInfo* info) {
  EventFileLayout file;
  ANNAL_RETURN_IF_ERROR(file.Open(path));
  *info = file.info();
  return Status::Ok();
}

Status ReadEventFile(const std::filesystem::path& path, const std::function<Status(Event&&)>& fn,
                     EventFileInfo* info) {
  EventFileLayout file;
  ANNAL_RETURN_IF_ERROR(file.Open(path));
  if (info) *info = file.info();
  std::optional<uint64_t> last_seq;
  if (file.ours()) last_seq = file.info().first_lsn.value() - 1;  // first_lsn >= 1 (checked)
  for (size_t g = 0; g < file.metadata().row_groups.size(); ++g) {
    RowGroupAssembler rg(file, g);
    ANNAL_RETURN_IF_ERROR(rg.Run(fn, &last_seq));
  }
  if (file.ours()) {
    // The footer's LSN range (also checked against the statistics) must be what we read.
    if (!last_seq || file.info().last_lsn.value() != *last_seq)
      return file.Annotate(Corruption("annal.last_lsn does not match the data"), "");
  }
  return Status::Ok();
}

}  // namespace annal::storage
