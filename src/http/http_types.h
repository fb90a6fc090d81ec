// Our own request/response types, so routing and handlers need no Beast (and can be unit
// tested without sockets). The server converts from/to Beast messages in server.cc.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace annal::http {

enum class Method { kGet, kHead, kPost, kPut, kDelete, kPatch, kOptions, kOther };
Method ParseMethod(std::string_view m);

struct HttpRequest {
  Method method = Method::kGet;
  std::string target;                       // origin-form: path, optionally "?query"
  std::optional<std::string> content_type;  // nullopt when the header is absent
  std::string body;
  // X-Cluster-Token, or the credentials of "Authorization: Bearer <token>".
  std::optional<std::string> cluster_token;
};

inline constexpr std::string_view kJsonContentType = "application/json";
inline constexpr std::string_view kRouteUnmatched = "unmatched";

struct HttpResponse {
  int status = 200;
  std::string content_type{kJsonContentType};
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers, e.g. Allow
  bool close = false;                                         // close the connection after it
};

// One request being answered. The router calls Respond exactly once, possibly from another
// thread and after Handle returned (appends complete on the WAL writer thread, which must
// hand the work back with Post first). Implementations keep themselves alive through the
// shared_ptr the router holds.
class Exchange {
 public:
  virtual ~Exchange() = default;
  virtual const HttpRequest& request() const = 0;
  // Sends the response. REQUIRES: called once, from a task run by Post or from Handle.
  virtual void Respond(HttpResponse response) = 0;
  // Runs `fn` on the connection's executor (an IO thread). Thread-safe; never runs `fn` inline.
  virtual void Post(std::function<void()> fn) = 0;

  // Route pattern of the request ("/api/v1/events/{id}"), set by the router before dispatch,
  // read by the server for metrics labels. Points to static storage.
  std::string_view route = kRouteUnmatched;
};

// Maps a StatusCode to its HTTP status (DESIGN.md §6) and to the "error" code string.
int HttpStatusFor(StatusCode code);
std::string_view ErrorCodeFor(StatusCode code);

HttpResponse JsonResponse(int status, std::string body);
// {"error":code,"message":message}
HttpResponse ErrorResponse(int status, std::string_view code, std::string_view message);
// ErrorResponse with the status and code StatusCode maps to.
HttpResponse ErrorResponse(const Status& status);

// The Content-Type rule for request bodies: "application/json" or "application/<x>+json"
// (case-insensitive), with an optional charset parameter that must be utf-8; other
// parameters are ignored. A missing Content-Type is rejected (AllSource/axum do the same).
bool IsJsonContentType(const std::optional<std::string>& content_type);

}  // namespace annal::http
