// Batch: encodes records into one contiguous buffer, so the writer hands the kernel one iovec
// per Submit and never touches individual records.
#include "core/event_codec.h"
#include "wal/record.h"
#include "wal/wal.h"

namespace annal::wal {
namespace {

std::span<std::byte> RecordAt(std::string& buf, size_t offset) {
  return {reinterpret_cast<std::byte*>(buf.data()) + offset, buf.size() - offset};
}

}  // namespace

size_t Batch::RecordBytes(const Event& e) { return kRecordHeaderSize + EncodedEventBodySize(e); }

void Batch::AddEvent(const Event& e) {
  ANNAL_CHECK_MSG(!sealed_, "Batch::AddEvent after Submit");
  ANNAL_CHECK_MSG(e.sequence != Lsn(0), "WAL records start at LSN 1");
  ANNAL_CHECK_MSG(count_ == 0 || e.sequence == last_.next(),
                  "Batch::AddEvent: LSN " + std::to_string(e.sequence.value()) +
                      " does not follow " + std::to_string(last_.value()));
  // The previous record is now known not to be the last: seal it with flags = 0. The last one
  // is sealed in Finalize(), once its end_of_batch flag is set; each CRC is computed once.
  if (count_ > 0) SealRecord(RecordAt(buf_, last_record_offset_));

  size_t offset = buf_.size();
  buf_.resize(offset + kRecordHeaderSize);
  EncodeEventBody(e, buf_);
  size_t body_length = buf_.size() - offset - kRecordHeaderSize;
  ANNAL_CHECK_MSG(body_length <= kMaxBodyLength, "event too large for a WAL record");

  RecordHeader h;
  h.body_length = static_cast<uint32_t>(body_length);
  h.type = static_cast<uint8_t>(RecordType::kEvent);
  h.lsn = e.sequence;
  h.epoch = e.epoch;
  h.timestamp = e.timestamp;
  EncodeRecordHeader(h, reinterpret_cast<std::byte*>(buf_.data()) + offset);

  last_record_offset_ = offset;
  if (count_ == 0) first_ = e.sequence;
  last_ = e.sequence;
  ++count_;
}

void Batch::Finalize() {
  ANNAL_CHECK_MSG(!sealed_, "a Batch is submitted once");
  sealed_ = true;
  if (count_ == 0) return;
  std::span<std::byte> last = RecordAt(buf_, last_record_offset_);
  last[9] = static_cast<std::byte>(static_cast<uint8_t>(last[9]) | kFlagEndOfBatch);
  SealRecord(last);
}

}  // namespace annal::wal
