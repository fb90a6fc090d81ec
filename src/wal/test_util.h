// Helpers shared by the WAL unit tests: a temp directory, deterministic events, replay capture.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <future>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "core/event_codec.h"
#include "wal/wal.h"

namespace annal::wal::testing {

// mkdtemp under /tmp; removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = "/tmp/annal-wal-test-XXXXXX";
    char* p = ::mkdtemp(tmpl.data());
    if (p == nullptr) std::abort();
    path_ = p;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A deterministic event for LSN `lsn`: the payload encodes the LSN so bodies differ.
inline Event MakeEvent(uint64_t lsn, size_t payload_bytes = 150, Epoch epoch = Epoch(1)) {
  Event e;
  e.sequence = Lsn(lsn);
  e.epoch = epoch;
  for (int i = 0; i < 8; ++i) e.id.bytes[i] = static_cast<uint8_t>(lsn >> (8 * i));
  e.tenant_id = "default";
  e.event_type = "order.placed";
  e.entity_id = "order-" + std::to_string(lsn % 97);
  std::string payload = "{\"lsn\":" + std::to_string(lsn) + ",\"pad\":\"";
  while (payload.size() + 2 < payload_bytes) payload.push_back(static_cast<char>('a' + lsn % 26));
  e.payload = payload + "\"}";
  if (lsn % 3 == 0) e.metadata = R"({"source":"test"})";
  e.timestamp = 1'700'000'000'000'000 + static_cast<int64_t>(lsn);
  e.entity_version = EntityVersion(lsn / 97 + 1);
  return e;
}

inline std::string EncodedBody(uint64_t lsn) {
  std::string s;
  EncodeEventBody(MakeEvent(lsn), s);
  return s;
}

inline Batch MakeBatch(uint64_t first_lsn, size_t count) {
  Batch b;
  for (size_t i = 0; i < count; ++i) b.AddEvent(MakeEvent(first_lsn + i));
  return b;
}

struct Replayed {
  uint64_t lsn;
  uint64_t epoch;
  int64_t timestamp;
  bool end_of_batch;
  std::string body;
};

// Opens the WAL collecting every replayed record.
inline Result<std::unique_ptr<Wal>> OpenCollecting(const WalOptions& options,
                                                   std::vector<Replayed>* out,
                                                   RecoveryReport* report = nullptr) {
  return Wal::Open(
      options,
      [out](const RecordView& r) {
        out->push_back({r.lsn.value(), r.epoch.value(), r.timestamp, r.end_of_batch,
                        std::string(reinterpret_cast<const char*>(r.body.data()), r.body.size())});
        return Status::Ok();
      },
      report);
}

// Submits and waits for the callback. Returns its status.
inline Status SubmitSync(Wal& wal, Batch batch) {
  std::promise<Status> p;
  auto f = p.get_future();
  wal.Submit(std::move(batch), [&p](Status st) { p.set_value(std::move(st)); });
  return f.get();
}

inline std::string ReadAll(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void WriteAll(const std::filesystem::path& p, const std::string& data) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

// Contents of every file in `dir`, by name, to prove that nothing was modified.
inline std::vector<std::pair<std::string, std::string>> Snapshot(const std::filesystem::path& dir) {
  std::vector<std::pair<std::string, std::string>> out;
  for (auto& e : std::filesystem::directory_iterator(dir))
    out.emplace_back(e.path().filename().string(), ReadAll(e.path()));
  std::sort(out.begin(), out.end());
  return out;
}

inline WalOptions Options(const std::filesystem::path& dir, uint64_t segment_bytes = 64ull << 20) {
  WalOptions o;
  o.dir = dir / "wal";
  o.segment_bytes = segment_bytes;
  o.node_id = 7;
  return o;
}

}  // namespace annal::wal::testing

namespace annal::wal::testing {

// Bytes one MakeEvent(lsn) record takes on disk.
inline uint64_t RecordBytes(uint64_t lsn) { return 36 + EncodedBody(lsn).size(); }
// Offset of record `lsn` in a segment whose first record is `first` (64-byte header first).
inline uint64_t RecordOffset(uint64_t first, uint64_t lsn) {
  uint64_t off = 64;
  for (uint64_t l = first; l < lsn; ++l) off += RecordBytes(l);
  return off;
}

}  // namespace annal::wal::testing
