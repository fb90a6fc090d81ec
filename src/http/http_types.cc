#include "http/http_types.h"

#include <algorithm>
#include <cctype>

#include "http/json_writer.h"

namespace annal::http {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

Method ParseMethod(std::string_view m) {
  if (m == "GET") return Method::kGet;
  if (m == "POST") return Method::kPost;
  if (m == "HEAD") return Method::kHead;
  if (m == "PUT") return Method::kPut;
  if (m == "DELETE") return Method::kDelete;
  if (m == "PATCH") return Method::kPatch;
  if (m == "OPTIONS") return Method::kOptions;
  return Method::kOther;
}

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument:
    case StatusCode::kMalformed: return 400;
    case StatusCode::kWrongShape: return 422;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kVersionConflict:
    case StatusCode::kDuplicateEventId:
    case StatusCode::kReadOnly: return 409;
    case StatusCode::kTooLarge: return 413;
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kCorruption:
    case StatusCode::kIOError:
    case StatusCode::kInternal: return 500;
  }
  return 500;
}

std::string_view ErrorCodeFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kInvalidArgument: return "invalid_argument";
    case StatusCode::kMalformed: return "malformed_json";
    case StatusCode::kWrongShape: return "unprocessable_entity";
    case StatusCode::kNotFound: return "not_found";
    case StatusCode::kVersionConflict: return "version_conflict";
    case StatusCode::kDuplicateEventId: return "duplicate_event_id";
    case StatusCode::kReadOnly: return "read_only";
    case StatusCode::kTooLarge: return "payload_too_large";
    case StatusCode::kUnavailable: return "unavailable";
    case StatusCode::kCorruption:
    case StatusCode::kIOError:
    case StatusCode::kInternal: return "internal";
  }
  return "internal";
}

HttpResponse JsonResponse(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

HttpResponse ErrorResponse(int status, std::string_view code, std::string_view message) {
  JsonWriter w;
  w.BeginObject();
  w.Field("error", code);
  w.Field("message", message);
  w.EndObject();
  return JsonResponse(status, w.Take());
}

HttpResponse ErrorResponse(const Status& status) {
  return ErrorResponse(HttpStatusFor(status.code()), ErrorCodeFor(status.code()), status.message());
}

bool IsJsonContentType(const std::optional<std::string>& content_type) {
  if (!content_type) return false;
  std::string_view rest = *content_type;
  size_t semi = rest.find(';');
  std::string media = Lower(Trim(rest.substr(0, semi)));
  bool json = media == "application/json" ||
              (media.starts_with("application/") && media.ends_with("+json") &&
               media.size() > std::string_view("application/+json").size());
  if (!json) return false;
  while (semi != std::string_view::npos) {
    rest = rest.substr(semi + 1);
    semi = rest.find(';');
    std::string_view param = Trim(rest.substr(0, semi));
    size_t eq = param.find('=');
    if (eq == std::string_view::npos) continue;
    if (Lower(Trim(param.substr(0, eq))) != "charset") continue;
    std::string_view value = Trim(param.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    std::string v = Lower(value);
    if (v != "utf-8" && v != "utf8") return false;
  }
  return true;
}

}  // namespace annal::http
