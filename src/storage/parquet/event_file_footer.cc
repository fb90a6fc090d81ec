#include "storage/parquet/event_file_footer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "core/crc32c.h"
#include "storage/parquet/encoding.h"

namespace annal::storage::parquet {

namespace {

constexpr uint64_t kMaxFooterBytes = 64u << 20;

Status PreadAll(int fd, uint64_t offset, size_t n, uint8_t* out) {
  while (n > 0) {
    const ssize_t r = ::pread(fd, out, n, static_cast<off_t>(offset));
    if (r < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("pread", errno);
    }
    if (r == 0) return Corruption("file shorter than expected");
    out += r;
    offset += static_cast<uint64_t>(r);
    n -= static_cast<size_t>(r);
  }
  return Status::Ok();
}

std::optional<uint64_t> ParseDecimal(std::string_view s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

// An INT64 statistic: min_value/max_value, else the deprecated min/max (same order for INT64).
std::optional<int64_t> StatInt(const std::optional<std::string_view>& v,
                               const std::optional<std::string_view>& legacy) {
  const auto& s = v ? v : legacy;
  if (!s || s->size() != 8) return std::nullopt;
  return LoadI64(reinterpret_cast<const uint8_t*>(s->data()));
}

}  // namespace

int64_t ToMicros(int64_t v, TimeUnit unit) {
  if (unit == TimeUnit::kNanos) return v / 1000 - (v % 1000 < 0 ? 1 : 0);  // floor
  if (unit != TimeUnit::kMillis) return v;
  int64_t r;
  if (__builtin_mul_overflow(v, int64_t{1000}, &r)) return v < 0 ? INT64_MIN : INT64_MAX;
  return r;
}

EventFileLayout::~EventFileLayout() {
  if (fd_ >= 0) ::close(fd_);
}

Status EventFileLayout::Annotate(const Status& st, const std::string& where) const {
  if (st.ok()) return st;
  std::string m = path_.string();
  if (!where.empty()) m += ": " + where;
  m += ": " + st.message();
  return Status(st.code(), std::move(m));
}

Status EventFileLayout::Open(const std::filesystem::path& path) {
  path_ = path;
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) return ErrnoError("open " + path.string(), errno);
  struct stat st;
  if (::fstat(fd_, &st) != 0) return ErrnoError("fstat " + path.string(), errno);
  size_ = static_cast<uint64_t>(st.st_size);
  if (size_ < 12) return Annotate(Corruption("too short to be a Parquet file"), "");
  uint8_t head[4], tail[8];
  ANNAL_RETURN_IF_ERROR(Annotate(PreadAll(fd_, 0, 4, head), "header"));
  ANNAL_RETURN_IF_ERROR(Annotate(PreadAll(fd_, size_ - 8, 8, tail), "trailer"));
  if (std::memcmp(head, kMagic.data(), 4) != 0 || std::memcmp(tail + 4, kMagic.data(), 4) != 0)
    return Annotate(Corruption("bad magic (not a Parquet file)"), "");
  const uint32_t len = LoadU32(tail);
  if (len > size_ - 12 || len > kMaxFooterBytes)
    return Annotate(Corruption("bad footer length"), "");
  data_end_ = size_ - 8 - len;
  footer_.resize(len);
  ANNAL_RETURN_IF_ERROR(Annotate(
      PreadAll(fd_, data_end_, len, reinterpret_cast<uint8_t*>(footer_.data())), "footer"));
  ANNAL_RETURN_IF_ERROR(Annotate(
      DecodeFileMetaData(reinterpret_cast<const uint8_t*>(footer_.data()), footer_.size(), &md_),
      "footer"));

  std::optional<std::string_view> format, crc;
  for (const auto& kv : md_.key_value_metadata) {
    auto take = [&](std::optional<std::string_view>& slot) -> Status {
      if (slot || !kv.value) return Corruption("duplicate or empty key " + std::string(kv.key));
      slot = kv.value;
      return Status::Ok();
    };
    auto number = [&](std::optional<uint64_t>& slot) -> Status {
      auto v = kv.value ? ParseDecimal(*kv.value) : std::nullopt;
      if (slot || !v) return Corruption("bad or duplicate " + std::string(kv.key));
      slot = v;
      return Status::Ok();
    };
    Status s;
    if (kv.key == kKeyFormatVersion)
      s = take(format);
    else if (kv.key == kKeyFooterCrc)
      s = take(crc);
    else if (kv.key == kKeyFirstLsn)
      s = number(kv_first_);
    else if (kv.key == kKeyLastLsn)
      s = number(kv_last_);
    else if (kv.key == kKeyMaxEpoch)
      s = number(kv_epoch_);
    ANNAL_RETURN_IF_ERROR(Annotate(s, "footer"));
  }
  ours_ = format.has_value();
  // A damaged footer can still decode (e.g. a flipped list header turns the key/value list into
  // skipped fields); it must not pass for a foreign file that merely lacks our keys.
  if (!ours_ && footer_.find("annal.") != std::string::npos)
    return Annotate(Corruption("damaged annal.* key/value metadata"), "footer");
  if (ours_ && *format != kFormatVersion)
    return Annotate(Corruption("unsupported annal.format_version " + std::string(*format)),
                    "footer");
  if (ours_ && !crc) return Annotate(Corruption("missing " + std::string(kKeyFooterCrc)), "footer");
  if (crc) ANNAL_RETURN_IF_ERROR(Annotate(CheckFooterCrc(*crc), "footer"));
  if (ours_ && (!kv_first_ || !kv_last_ || !kv_epoch_))
    return Annotate(Corruption("missing annal.first_lsn/last_lsn/max_epoch"), "footer");
  ANNAL_RETURN_IF_ERROR(Annotate(CheckSchema(), "schema"));
  ANNAL_RETURN_IF_ERROR(CheckRowGroups());
  return Annotate(FillInfo(), "footer");
}

Status EventFileLayout::CheckFooterCrc(std::string_view value) const {
  if (value.size() != 8) return Corruption("bad footer crc");
  uint32_t want = 0;
  for (char c : value) {
    int d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else
      return Corruption("bad footer crc");
    want = want << 4 | static_cast<uint32_t>(d);
  }
  const size_t at = static_cast<size_t>(value.data() - footer_.data());
  uint32_t crc = crc32c::Extend(0, footer_.data(), at);
  crc = crc32c::Extend(crc, "00000000", 8);
  crc = crc32c::Extend(crc, footer_.data() + at + 8, footer_.size() - at - 8);
  if (crc != want) return Corruption("footer crc mismatch");
  return Status::Ok();
}

Status EventFileLayout::CheckSchema() {
  const auto& s = md_.schema;
  if (s.empty() || !s[0].num_children || *s[0].num_children < 0 ||
      s.size() != 1 + static_cast<size_t>(*s[0].num_children))
    return Corruption("nested or malformed schema (Annal reads flat schemas)");
  for (size_t i = 1; i < s.size(); ++i) {
    if ((s[i].num_children && *s[i].num_children != 0) || !s[i].type)
      return Corruption("nested schema (Annal reads flat schemas)");
    for (int c = 0; c < kNumEventColumns; ++c) {
      if (s[i].name != kEventColumnNames[c]) continue;
      EventColumnInfo& col = columns_[c];
      if (col.leaf != -1) return Corruption("duplicate column " + std::string(s[i].name));
      col.leaf = static_cast<int>(i - 1);
      col.physical_type = *s[i].type;
      const int32_t rep = s[i].repetition.value_or(static_cast<int32_t>(Repetition::kRequired));
      if (rep == static_cast<int32_t>(Repetition::kRepeated) || rep < 0 || rep > 2)
        return Corruption("repeated column " + std::string(s[i].name));
      col.optional = rep == static_cast<int32_t>(Repetition::kOptional);
      if (s[i].logical.kind == LogicalType::Kind::kTimestamp)
        col.unit = s[i].logical.unit;
      else if (s[i].converted_type == static_cast<int32_t>(ConvertedType::kTimestampMillis))
        col.unit = TimeUnit::kMillis;
    }
  }
  for (int c = 0; c < kNumEventColumns; ++c) {
    const EventColumnInfo& col = columns_[c];
    const std::string name(kEventColumnNames[c]);
    if (col.leaf < 0) return Corruption("missing column " + name);
    const bool int64 = col.physical_type == static_cast<int32_t>(PhysicalType::kInt64);
    const bool int32 = col.physical_type == static_cast<int32_t>(PhysicalType::kInt32);
    const bool ok = !IsIntColumn(c)
                        ? col.physical_type == static_cast<int32_t>(PhysicalType::kByteArray)
                    : c == kTimestamp ? int64
                                      : int64 || int32;
    if (!ok) return Corruption("column " + name + " has an unsupported physical type");
  }
  return Status::Ok();
}

Status EventFileLayout::CheckRowGroups() {
  const size_t leaves = md_.schema.size() - 1;
  if (md_.num_rows < 0) return Annotate(Corruption("negative num_rows"), "footer");
  int64_t total = 0;
  ranges_.resize(md_.row_groups.size());
  for (size_t g = 0; g < md_.row_groups.size(); ++g) {
    const RowGroup& rg = md_.row_groups[g];
    const std::string where = "row group " + std::to_string(g);
    if (rg.num_rows < 0 || rg.num_rows > md_.num_rows - total)
      return Annotate(Corruption("row counts do not add up"), where);
    total += rg.num_rows;
    if (rg.columns.size() != leaves) return Annotate(Corruption("column count != schema"), where);
    for (int c = 0; c < kNumEventColumns; ++c) {
      const ColumnChunk& cc = rg.columns[columns_[c].leaf];
      const std::string cwhere = where + " column " + std::string(kEventColumnNames[c]);
      if (cc.file_path) return Annotate(Corruption("external column chunk"), cwhere);
      if (!cc.meta_data) return Annotate(Corruption("missing column metadata"), cwhere);
      const ColumnMetaData& m = *cc.meta_data;
      if (m.type != columns_[c].physical_type)
        return Annotate(Corruption("type != schema"), cwhere);
      if (m.path.size() != 1 || m.path[0] != kEventColumnNames[c])
        return Annotate(Corruption("path_in_schema != column name"), cwhere);
      if (m.num_values != rg.num_rows)
        return Annotate(Corruption("num_values != row group rows"), cwhere);
      int64_t start = m.data_page_offset;
      if (m.dictionary_page_offset && *m.dictionary_page_offset >= 4 &&
          *m.dictionary_page_offset < m.data_page_offset)
        start = *m.dictionary_page_offset;
      else if (ours_ && m.dictionary_page_offset)
        return Annotate(Corruption("bad dictionary_page_offset"), cwhere);
      if (start < 4 || m.total_compressed_size <= 0 || static_cast<uint64_t>(start) > data_end_ ||
          static_cast<uint64_t>(m.total_compressed_size) >
              data_end_ - static_cast<uint64_t>(start) ||
          m.data_page_offset - start >= m.total_compressed_size)
        return Annotate(Corruption("column chunk outside the data area"), cwhere);
      ranges_[g][c] = {static_cast<uint64_t>(start),
                       static_cast<uint64_t>(m.total_compressed_size)};
    }
  }
  if (total != md_.num_rows)
    return Annotate(Corruption("row groups do not add up to num_rows"), "footer");
  return Status::Ok();
}

Status EventFileLayout::FillInfo() {
  info_ = EventFileInfo{};
  info_.rows = static_cast<uint64_t>(md_.num_rows);
  info_.bytes = size_;
  info_.row_groups = md_.row_groups.size();
  info_.max_epoch = Epoch(kv_epoch_.value_or(1));
  if (!md_.row_groups.empty()) {
    const int32_t codec = chunk_meta(0, kPayload).codec;
    switch (static_cast<Codec>(codec)) {
      case Codec::kUncompressed: info_.compression = Compression::kNone; break;
      case Codec::kSnappy: info_.compression = Compression::kSnappy; break;
      case Codec::kZstd: info_.compression = Compression::kZstd; break;
      default: break;  // ReadEventFile names it when it reaches a page
    }
  }
  bool have_seq = true, have_ts = true;
  int64_t seq_lo = 0, seq_hi = 0, ts_lo = 0, ts_hi = 0;
  uint64_t expect_next = kv_first_.value_or(0);
  for (size_t g = 0; g < md_.row_groups.size(); ++g) {
    const auto& seq = chunk_meta(g, kSequence).statistics;
    const auto& ts = chunk_meta(g, kTimestamp).statistics;
    auto slo = seq ? StatInt(seq->min_value, seq->min) : std::nullopt;
    auto shi = seq ? StatInt(seq->max_value, seq->max) : std::nullopt;
    auto tlo = ts ? StatInt(ts->min_value, ts->min) : std::nullopt;
    auto thi = ts ? StatInt(ts->max_value, ts->max) : std::nullopt;
    if (!slo || !shi) have_seq = false;
    if (!tlo || !thi) have_ts = false;
    if (ours_) {
      if (!have_seq || !have_ts) return Corruption("missing sequence/timestamp statistics");
      const int64_t rows = md_.row_groups[g].num_rows;
      if (*slo <= 0 || *shi < *slo || static_cast<uint64_t>(*slo) != expect_next ||
          static_cast<uint64_t>(*shi) - static_cast<uint64_t>(*slo) + 1 !=
              static_cast<uint64_t>(rows) ||
          *tlo > *thi)
        return Corruption("sequence statistics do not match annal.first_lsn and the row counts");
      expect_next = static_cast<uint64_t>(*shi) + 1;
    }
    if (have_seq)
      seq_lo = g == 0 ? *slo : std::min(seq_lo, *slo),
      seq_hi = g == 0 ? *shi : std::max(seq_hi, *shi);
    if (have_ts)
      ts_lo = g == 0 ? *tlo : std::min(ts_lo, *tlo), ts_hi = g == 0 ? *thi : std::max(ts_hi, *thi);
  }
  if (ours_) {
    if (md_.num_rows <= 0 || *kv_first_ == 0 || *kv_last_ < *kv_first_ ||
        *kv_last_ - *kv_first_ + 1 != static_cast<uint64_t>(md_.num_rows) ||
        expect_next != *kv_last_ + 1)
      return Corruption("annal.first_lsn/last_lsn do not match the rows");
  }
  if (kv_first_ && kv_last_) {
    info_.first_lsn = Lsn(*kv_first_);
    info_.last_lsn = Lsn(*kv_last_);
  } else if (have_seq && !md_.row_groups.empty() && seq_lo > 0) {
    info_.first_lsn = Lsn(static_cast<uint64_t>(seq_lo));
    info_.last_lsn = Lsn(static_cast<uint64_t>(seq_hi));
  }
  if (have_ts && !md_.row_groups.empty()) {
    const TimeUnit u = columns_[kTimestamp].unit;
    auto conv = [u](int64_t v) { return ToMicros(v, u); };
    info_.min_timestamp = conv(ts_lo);
    info_.max_timestamp = conv(ts_hi);
  }
  return Status::Ok();
}

Status EventFileLayout::ReadChunk(size_t rg, int c, std::vector<uint8_t>* out) const {
  const ChunkRange& r = ranges_[rg][c];
  out->resize(r.size);
  return PreadAll(fd_, r.offset, r.size, out->data());
}

}  // namespace annal::storage::parquet
