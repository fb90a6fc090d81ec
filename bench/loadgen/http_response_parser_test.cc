#include "http_response_parser.h"

#include <gtest/gtest.h>

#include <string>

namespace annal::loadgen {
namespace {

using State = HttpResponseParser::State;

TEST(HttpResponseParser, ContentLengthResponseInOnePiece) {
  HttpResponseParser p;
  std::string buf =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
  ASSERT_EQ(p.Feed(buf), State::kComplete);
  EXPECT_EQ(p.status(), 200);
  EXPECT_EQ(p.body(), "{}");
  EXPECT_TRUE(p.keep_alive());
  EXPECT_TRUE(buf.empty());
}

TEST(HttpResponseParser, ByteAtATimeGivesTheSameResponse) {
  const std::string wire = "HTTP/1.1 409 Conflict\r\ncontent-length: 5\r\n\r\nhello";
  HttpResponseParser p;
  std::string buf;
  for (size_t i = 0; i < wire.size(); ++i) {
    buf.push_back(wire[i]);
    const State s = p.Feed(buf);
    ASSERT_EQ(s, i + 1 == wire.size() ? State::kComplete : State::kIncomplete) << i;
  }
  EXPECT_EQ(p.status(), 409);
  EXPECT_EQ(p.body(), "hello");
}

TEST(HttpResponseParser, ChunkedBodyWithExtensionAndTrailer) {
  HttpResponseParser p;
  std::string buf =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3;ext=1\r\nabc\r\nA\r\n0123456789\r\n0\r\nX-Trailer: y\r\n\r\n";
  ASSERT_EQ(p.Feed(buf), State::kComplete);
  EXPECT_EQ(p.body(), "abc0123456789");
}

TEST(HttpResponseParser, LeavesTheNextResponseInTheBuffer) {
  HttpResponseParser p;
  std::string buf =
      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 503 x\r\nContent-Length: 0\r\n\r\n";
  ASSERT_EQ(p.Feed(buf), State::kComplete);
  EXPECT_EQ(p.body(), "a");
  p.Reset();
  ASSERT_EQ(p.Feed(buf), State::kComplete);
  EXPECT_EQ(p.status(), 503);
  EXPECT_EQ(p.body(), "");
}

TEST(HttpResponseParser, ConnectionCloseIsReported) {
  HttpResponseParser p;
  std::string buf =
      "HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
  ASSERT_EQ(p.Feed(buf), State::kComplete);
  EXPECT_FALSE(p.keep_alive());
}

TEST(HttpResponseParser, SkipsInterim100Continue) {
  HttpResponseParser p;
  std::string buf = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  ASSERT_EQ(p.Feed(buf), State::kComplete);
  EXPECT_EQ(p.status(), 200);
}

TEST(HttpResponseParser, RefusesResponsesWithoutFramingOrGarbage) {
  HttpResponseParser a;
  std::string unframed = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nbody";
  EXPECT_EQ(a.Feed(unframed), State::kError);
  HttpResponseParser b;
  std::string garbage = "SSH-2.0-OpenSSH\r\n\r\n";
  EXPECT_EQ(b.Feed(garbage), State::kError);
  HttpResponseParser c;
  std::string bad_chunk = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
  EXPECT_EQ(c.Feed(bad_chunk), State::kError);
}

}  // namespace
}  // namespace annal::loadgen
