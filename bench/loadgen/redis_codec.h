// RedisCodec: Redis Streams as the loadgen uses them, one stream per entity (`events:<entity>`),
// commands formatted and replies parsed by hiredis's protocol code over our own socket:
//   write, batch 1:  XADD events:<entity> * event_id <id> event_type <t> tenant_id <t> payload
//   <json> write, batch N:  MULTI, N x XADD, EXEC — pipelined in one write, so all-or-nothing like
//                    Annal's batch and PostgreSQL's multi-row INSERT
//   read:            XRANGE events:<entity> - + COUNT 100
// A write is acknowledged when XADD answered a stream id (for a batch: EXEC answered N ids).
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "stream_connection.h"

struct redisReader;
struct redisReply;

namespace annal::loadgen {

class RedisCodec final : public WireCodec {
 public:
  explicit RedisCodec(size_t batch);
  ~RedisCodec() override;

  void BuildRequest(OpKind op, EventSource& events, std::string& out) override;
  std::optional<Outcome> Parse(std::string& in) override;
  void Reset() override;

 private:
  struct ReaderDeleter {
    void operator()(redisReader* r) const;
  };
  // Checks one reply against what the request expects at this position.
  void Take(const ::redisReply& reply);

  size_t batch_;
  std::unique_ptr<redisReader, ReaderDeleter> reader_;
  OpKind op_ = OpKind::kWrite;
  size_t replies_expected_ = 0;
  size_t replies_seen_ = 0;
  uint64_t events_ = 0;
  std::string error_kind_;  // the first error reply of this request
  std::string error_detail_;
};

}  // namespace annal::loadgen
