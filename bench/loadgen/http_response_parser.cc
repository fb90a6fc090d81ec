#include "http_response_parser.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace annal::loadgen {
namespace {

constexpr size_t kMaxHeaderBytes = 64 * 1024;
constexpr size_t kMaxBodyBytes = size_t{256} << 20;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool ContainsIgnoreCase(std::string_view haystack, std::string_view needle) {
  if (needle.size() > haystack.size()) return false;
  for (size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    if (EqualsIgnoreCase(haystack.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

void HttpResponseParser::Reset() {
  phase_ = Phase::kHeaders;
  status_ = 0;
  keep_alive_ = true;
  chunked_ = false;
  remaining_ = 0;
  body_.clear();
  error_.clear();
}

HttpResponseParser::State HttpResponseParser::Fail(std::string message) {
  error_ = std::move(message);
  return State::kError;
}

bool HttpResponseParser::ParseHeaders(std::string_view head) {
  // Status line: HTTP/1.x SP 3DIGIT SP reason
  const size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1.") return false;
  const bool http10 = line[7] == '0';
  keep_alive_ = !http10;
  if (std::from_chars(line.data() + 9, line.data() + 12, status_).ec != std::errc{}) return false;
  bool have_length = false;
  head = eol == std::string_view::npos ? std::string_view{} : head.substr(eol + 2);
  while (!head.empty()) {
    const size_t end = head.find("\r\n");
    line = head.substr(0, end);
    head = end == std::string_view::npos ? std::string_view{} : head.substr(end + 2);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return false;
    const std::string_view name = Trim(line.substr(0, colon));
    const std::string_view value = Trim(line.substr(colon + 1));
    if (EqualsIgnoreCase(name, "content-length")) {
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), remaining_);
      if (ec != std::errc{} || p != value.data() + value.size()) return false;
      have_length = true;
    } else if (EqualsIgnoreCase(name, "transfer-encoding")) {
      chunked_ = ContainsIgnoreCase(value, "chunked");
    } else if (EqualsIgnoreCase(name, "connection")) {
      if (ContainsIgnoreCase(value, "close")) keep_alive_ = false;
      if (ContainsIgnoreCase(value, "keep-alive")) keep_alive_ = true;
    }
  }
  // 1xx, 204 and 304 carry no body whatever the headers say.
  if (status_ < 200 || status_ == 204 || status_ == 304) {
    remaining_ = 0;
    chunked_ = false;
    return true;
  }
  return chunked_ || have_length;
}

HttpResponseParser::State HttpResponseParser::Feed(std::string& buffer) {
  size_t pos = 0;
  auto consume = [&](State s) {
    buffer.erase(0, pos);
    return s;
  };
  // Moves up to remaining_ bytes into the body; true when none remain.
  auto take_body = [&] {
    const size_t take = std::min(remaining_, buffer.size() - pos);
    body_.append(buffer, pos, take);
    pos += take;
    remaining_ -= take;
    return remaining_ == 0;
  };
  while (true) {
    switch (phase_) {
      case Phase::kHeaders: {
        const size_t end = buffer.find("\r\n\r\n", pos);
        if (end == std::string::npos) {
          if (buffer.size() - pos > kMaxHeaderBytes) return Fail("response header over 64 KiB");
          return consume(State::kIncomplete);
        }
        if (!ParseHeaders(std::string_view(buffer).substr(pos, end - pos))) {
          return Fail("unparseable response header (or no Content-Length / chunked framing)");
        }
        if (status_ < 200 && status_ != 101) {  // 100 Continue: the real response follows
          pos = end + 4;
          status_ = 0;
          continue;
        }
        pos = end + 4;
        if (chunked_) {
          phase_ = Phase::kChunkSize;
        } else {
          if (remaining_ > kMaxBodyBytes) return Fail("response body over 256 MiB");
          body_.reserve(remaining_);
          phase_ = Phase::kBody;
        }
        break;
      }
      case Phase::kBody:
        if (!take_body()) return consume(State::kIncomplete);
        phase_ = Phase::kDone;
        break;
      case Phase::kChunkSize: {
        const size_t end = buffer.find("\r\n", pos);
        if (end == std::string::npos) return consume(State::kIncomplete);
        std::string_view size_text = std::string_view(buffer).substr(pos, end - pos);
        size_text = size_text.substr(0, size_text.find(';'));  // chunk extensions
        size_text = Trim(size_text);
        auto [p, ec] =
            std::from_chars(size_text.data(), size_text.data() + size_text.size(), remaining_, 16);
        if (ec != std::errc{} || size_text.empty()) return Fail("bad chunk size");
        if (body_.size() + remaining_ > kMaxBodyBytes) return Fail("response body over 256 MiB");
        pos = end + 2;
        phase_ = remaining_ == 0 ? Phase::kTrailers : Phase::kChunkData;
        break;
      }
      case Phase::kChunkData:
        if (!take_body()) return consume(State::kIncomplete);
        phase_ = Phase::kChunkDataEnd;
        break;
      case Phase::kChunkDataEnd: {
        if (buffer.size() - pos < 2) return consume(State::kIncomplete);
        if (buffer.compare(pos, 2, "\r\n") != 0) return Fail("chunk not followed by CRLF");
        pos += 2;
        phase_ = Phase::kChunkSize;
        break;
      }
      case Phase::kTrailers: {  // zero or more trailer lines, then an empty line
        const size_t end = buffer.find("\r\n", pos);
        if (end == std::string::npos) return consume(State::kIncomplete);
        const bool empty_line = end == pos;
        pos = end + 2;
        if (empty_line) phase_ = Phase::kDone;
        break;
      }
      case Phase::kDone:
        return consume(State::kComplete);
    }
  }
}

}  // namespace annal::loadgen
