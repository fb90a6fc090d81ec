// libFuzzer target: the replication wire codec (src/replication/protocol.h). Beyond "no crash,
// no sanitizer report", it checks properties a peer relies on:
//   - rejections carry only the codes DecodeLine documents;
//   - an accepted line re-encodes to exactly one line that decodes to the same message, and
//     encoding is then a fixed point (the leader's bytes are what the follower re-reads);
//   - EventFromWalEntry on any decoded wal_entry answers a value or a documented error.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "replication/protocol.h"
#include "replication/wal_entry.h"

namespace {

using annal::StatusCode;
using namespace annal::replication;

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  auto r = DecodeLine(line);
  if (!r.ok()) {
    const StatusCode c = r.status().code();
    Check(c == StatusCode::kMalformed || c == StatusCode::kWrongShape ||
          c == StatusCode::kInvalidArgument || c == StatusCode::kTooLarge);
    return 0;
  }
  const std::string encoded = EncodeLine(*r);
  Check(!encoded.empty() && encoded.find('\n') == encoded.size() - 1);
  auto again = DecodeLine(encoded);
  Check(again.ok());
  Check(*again == *r);
  Check(EncodeLine(*again) == encoded);

  if (const auto* w = std::get_if<WalEntry>(&*r)) {
    auto e = EventFromWalEntry(*w);
    if (!e.ok()) {
      const StatusCode c = e.status().code();
      Check(c == StatusCode::kInvalidArgument || c == StatusCode::kCorruption);
    } else {
      Check(e->sequence == w->offset);
    }
  }
  return 0;
}
