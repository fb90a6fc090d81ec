#include "redis_codec.h"

#include <hiredis/hiredis.h>

#include <array>
#include <cstdlib>
#include <string_view>

namespace annal::loadgen {
namespace {

void AppendCommand(std::string& out, std::initializer_list<std::string_view> args) {
  std::array<const char*, 12> argv{};
  std::array<size_t, 12> lens{};
  size_t n = 0;
  for (std::string_view a : args) {
    argv[n] = a.data();
    lens[n] = a.size();
    ++n;
  }
  char* cmd = nullptr;
  const int len = redisFormatCommandArgv(&cmd, static_cast<int>(n), argv.data(), lens.data());
  if (len > 0) out.append(cmd, static_cast<size_t>(len));
  redisFreeCommand(cmd);
}

void AppendXadd(std::string& out, const EventSource::Event& e, std::string& key) {
  key.assign("events:").append(e.entity_id);
  AppendCommand(out, {"XADD", key, "*", "event_id", e.event_id, "event_type", kEventType,
                      "tenant_id", kTenantId, "payload", e.payload});
}

}  // namespace

void RedisCodec::ReaderDeleter::operator()(redisReader* r) const { redisReaderFree(r); }

RedisCodec::RedisCodec(size_t batch) : batch_(batch) { Reset(); }
RedisCodec::~RedisCodec() = default;

void RedisCodec::Reset() {
  reader_.reset(redisReaderCreate());
  replies_seen_ = 0;
}

void RedisCodec::BuildRequest(OpKind op, EventSource& events, std::string& out) {
  op_ = op;
  replies_seen_ = 0;
  events_ = 0;
  error_kind_.clear();
  error_detail_.clear();
  std::string key;
  if (op == OpKind::kRead) {
    key.assign("events:").append(events.PickEntity());
    AppendCommand(out, {"XRANGE", key, "-", "+", "COUNT", "100"});
    replies_expected_ = 1;
  } else if (batch_ == 1) {
    AppendXadd(out, events.Next(), key);
    replies_expected_ = 1;
  } else {
    AppendCommand(out, {"MULTI"});
    for (size_t i = 0; i < batch_; ++i) AppendXadd(out, events.Next(), key);
    AppendCommand(out, {"EXEC"});
    replies_expected_ = batch_ + 2;
  }
}

void RedisCodec::Take(const ::redisReply& reply) {
  const size_t position = replies_seen_++;
  if (!error_kind_.empty()) return;
  auto fail = [&](std::string kind, std::string detail) {
    error_kind_ = std::move(kind);
    error_detail_ = std::move(detail);
  };
  if (reply.type == REDIS_REPLY_ERROR) {
    const std::string_view text(reply.str, reply.len);
    fail("redis_" + std::string(text.substr(0, text.find(' '))), std::string(text.substr(0, 200)));
    return;
  }
  if (op_ == OpKind::kRead) {
    if (reply.type != REDIS_REPLY_ARRAY) return fail("bad_answer", "XRANGE: not an array");
    events_ = reply.elements;
  } else if (batch_ == 1) {
    if (reply.type != REDIS_REPLY_STRING) return fail("bad_answer", "XADD: not a stream id");
    events_ = 1;
  } else if (position + 1 < replies_expected_) {  // +OK for MULTI, +QUEUED for each XADD
    if (reply.type != REDIS_REPLY_STATUS) return fail("bad_answer", "MULTI/XADD: not a status");
  } else {  // EXEC: one stream id per XADD, or nil if the transaction was aborted
    if (reply.type != REDIS_REPLY_ARRAY || reply.elements != batch_) {
      return fail("bad_answer", "EXEC: not an array of one id per XADD");
    }
    for (size_t i = 0; i < reply.elements; ++i) {
      const redisReply& r = *reply.element[i];
      if (r.type == REDIS_REPLY_ERROR) {
        const std::string_view text(r.str, r.len);
        return fail("redis_" + std::string(text.substr(0, text.find(' '))),
                    std::string(text.substr(0, 200)));
      }
      if (r.type != REDIS_REPLY_STRING) return fail("bad_answer", "EXEC: element not an id");
    }
    events_ = batch_;
  }
}

std::optional<Outcome> RedisCodec::Parse(std::string& in) {
  if (!in.empty()) {
    if (redisReaderFeed(reader_.get(), in.data(), in.size()) != REDIS_OK) {
      return Outcome::Failure("protocol", "hiredis: cannot buffer the reply", true);
    }
    in.clear();
  }
  while (replies_seen_ < replies_expected_) {
    void* raw = nullptr;
    if (redisReaderGetReply(reader_.get(), &raw) != REDIS_OK) {
      return Outcome::Failure("protocol", std::string("hiredis: ") + reader_->errstr, true);
    }
    if (raw == nullptr) return std::nullopt;  // incomplete
    Take(*static_cast<redisReply*>(raw));
    freeReplyObject(raw);
  }
  if (!error_kind_.empty()) return Outcome::Failure(error_kind_, error_detail_, false);
  return Outcome::Success(events_);
}

}  // namespace annal::loadgen
