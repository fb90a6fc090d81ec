// AnnalCodec: Annal's HTTP API as the loadgen uses it (API.md):
//   write, batch 1:  POST /api/v1/events
//   {"event_id","event_type","entity_id","tenant_id","payload"} write, batch N:  POST
//   /api/v1/events/batch  {"events":[...N events...]} read:            GET
//   /api/v1/events/query?entity_id=X&limit=100
// The client sends event_id (a UUIDv7) like PostgreSQL's unique event_id column gets one, so both
// check the same uniqueness. A write counts as acknowledged only on a 200 whose body confirms it
// ("sequence" for one event, "ingested":N for a batch).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "http_response_parser.h"
#include "stream_connection.h"

namespace annal::loadgen {

class AnnalCodec final : public WireCodec {
 public:
  AnnalCodec(std::string host_header, size_t batch)
      : host_(std::move(host_header)), batch_(batch) {}

  void BuildRequest(OpKind op, EventSource& events, std::string& out) override;
  std::optional<Outcome> Parse(std::string& in) override;
  void Reset() override { parser_.Reset(); }

 private:
  std::string host_;
  size_t batch_;
  OpKind op_ = OpKind::kWrite;
  std::string body_;
  HttpResponseParser parser_;
};

}  // namespace annal::loadgen
