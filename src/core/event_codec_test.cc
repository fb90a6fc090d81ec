#include "core/event_codec.h"

#include <gtest/gtest.h>

namespace annal {
namespace {

std::span<const std::byte> Bytes(const std::string& s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

TEST(EventCodec, RoundTripsWithAndWithoutMetadata) {
  Event e;
  e.id = Uuid::NewV7();
  e.tenant_id = "acme";
  e.event_type = "order.placed";
  e.entity_id = "order-1";
  e.payload = R"({"total":12.5})";
  e.entity_version = EntityVersion(7);
  for (bool with_meta : {false, true}) {
    if (with_meta) e.metadata = R"({"source":"web"})";
    std::string buf;
    EncodeEventBody(e, buf);
    Event d;
    ASSERT_TRUE(DecodeEventBody(Bytes(buf), d).ok());
    EXPECT_EQ(d.id, e.id);
    EXPECT_EQ(d.tenant_id, e.tenant_id);
    EXPECT_EQ(d.event_type, e.event_type);
    EXPECT_EQ(d.entity_id, e.entity_id);
    EXPECT_EQ(d.payload, e.payload);
    EXPECT_EQ(d.metadata, e.metadata);
    EXPECT_EQ(d.entity_version, e.entity_version);
  }
}

TEST(EventCodec, TruncatedOrPaddedBodyIsCorruption) {
  Event e;
  e.event_type = "t";
  e.entity_id = "e";
  e.tenant_id = "default";
  e.payload = "{}";
  std::string buf;
  EncodeEventBody(e, buf);
  Event d;
  for (size_t n = 0; n < buf.size(); ++n)
    EXPECT_EQ(DecodeEventBody(Bytes(buf.substr(0, n)), d).code(), StatusCode::kCorruption) << n;
  EXPECT_EQ(DecodeEventBody(Bytes(buf + "x"), d).code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace annal
