#include "annal_codec.h"

#include <charconv>
#include <string_view>

namespace annal::loadgen {
namespace {

void AppendEvent(const EventSource::Event& e, std::string& out) {
  out.append(R"({"event_id":")").append(e.event_id);
  out.append(R"(","event_type":")").append(kEventType);
  out.append(R"(","entity_id":")").append(e.entity_id);
  out.append(R"(","tenant_id":")").append(kTenantId);
  out.append(R"(","payload":)").append(e.payload);
  out.push_back('}');
}

// The unsigned integer after the first (or, from_end, the last) `"key":` in a JSON body, or
// nullopt. A query answer puts "count" after its events, so it is searched from the end rather
// than through 100 events of JSON.
std::optional<uint64_t> FindCount(std::string_view body, std::string_view quoted_key,
                                  bool from_end = false) {
  const size_t at = from_end ? body.rfind(quoted_key) : body.find(quoted_key);
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view rest = body.substr(at + quoted_key.size());
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == ':')) rest.remove_prefix(1);
  uint64_t value = 0;
  if (std::from_chars(rest.data(), rest.data() + rest.size(), value).ec != std::errc{}) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

void AnnalCodec::BuildRequest(OpKind op, EventSource& events, std::string& out) {
  op_ = op;
  if (op == OpKind::kRead) {
    out.append("GET /api/v1/events/query?entity_id=").append(events.PickEntity());
    out.append("&limit=100 HTTP/1.1\r\nHost: ").append(host_).append("\r\n\r\n");
    return;
  }
  body_.clear();
  if (batch_ == 1) {
    AppendEvent(events.Next(), body_);
  } else {
    body_.append(R"({"events":[)");
    for (size_t i = 0; i < batch_; ++i) {
      if (i) body_.push_back(',');
      AppendEvent(events.Next(), body_);
    }
    body_.append("]}");
  }
  out.append(batch_ == 1 ? "POST /api/v1/events" : "POST /api/v1/events/batch");
  out.append(" HTTP/1.1\r\nHost: ").append(host_);
  out.append("\r\nContent-Type: application/json\r\nContent-Length: ");
  out.append(std::to_string(body_.size())).append("\r\n\r\n").append(body_);
}

std::optional<Outcome> AnnalCodec::Parse(std::string& in) {
  switch (parser_.Feed(in)) {
    case HttpResponseParser::State::kIncomplete:
      return std::nullopt;
    case HttpResponseParser::State::kError:
      return Outcome::Failure("protocol", parser_.error(), true);
    case HttpResponseParser::State::kComplete:
      break;
  }
  Outcome outcome;
  const std::string& body = parser_.body();
  if (parser_.status() != 200) {
    outcome =
        Outcome::Failure("http_" + std::to_string(parser_.status()), body.substr(0, 200), false);
  } else if (op_ == OpKind::kRead) {
    const auto count = FindCount(body, R"("count")", /*from_end=*/true);
    outcome = count ? Outcome::Success(*count)
                    : Outcome::Failure("bad_answer", "no count: " + body.substr(0, 200), false);
  } else if (batch_ == 1) {
    outcome = FindCount(body, R"("sequence")")
                  ? Outcome::Success(1)
                  : Outcome::Failure("bad_answer", "no sequence: " + body.substr(0, 200), false);
  } else {
    const auto ingested = FindCount(body, R"("ingested")");
    outcome =
        ingested == batch_
            ? Outcome::Success(batch_)
            : Outcome::Failure("bad_answer", "ingested != batch: " + body.substr(0, 200), false);
  }
  outcome.reconnect = !parser_.keep_alive();
  parser_.Reset();
  return outcome;
}

}  // namespace annal::loadgen
