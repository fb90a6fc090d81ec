// Handler tests: the router against a real EventStore in a temporary directory, no sockets.
#include "http/router.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <future>

#include "metrics/metrics.h"
#include "store/store_test_util.h"

namespace annal::http {
namespace {

using store::testing::OpenOrDie;
using store::testing::OptionsFor;
using store::testing::TempDir;

class TestExchange : public Exchange {
 public:
  explicit TestExchange(HttpRequest req) : req_(std::move(req)) {}
  const HttpRequest& request() const override { return req_; }
  void Respond(HttpResponse r) override {
    ASSERT_FALSE(responded_) << "Respond called twice";
    responded_ = true;
    promise_.set_value(std::move(r));
  }
  // Runs on a fresh thread: never inline, like the server's strand post.
  void Post(std::function<void()> fn) override { std::thread(std::move(fn)).detach(); }
  std::future<HttpResponse> future() { return promise_.get_future(); }

 private:
  HttpRequest req_;
  bool responded_ = false;
  std::promise<HttpResponse> promise_;
};

class RouterTest : public ::testing::Test {
 protected:
  RouterTest()
      : store_(OpenOrDie(OptionsFor(dir_.path()))),
        router_(RouterOptions{100000, "9.9.9"}, *store_, metrics_) {}

  HttpResponse Call(Method m, std::string target, std::string body = {},
                    std::optional<std::string> content_type = "application/json") {
    HttpRequest req{m, std::move(target), std::move(content_type), std::move(body), std::nullopt};
    auto ex = std::make_shared<TestExchange>(std::move(req));
    auto f = ex->future();
    router_.Handle(ex);
    // Generous bound so a bug fails the test instead of hanging it.
    EXPECT_EQ(f.wait_for(std::chrono::seconds(30)), std::future_status::ready);
    last_route_ = ex->route;
    return f.get();
  }
  HttpResponse Get(std::string target) { return Call(Method::kGet, std::move(target)); }
  HttpResponse Post(std::string target, std::string body) {
    return Call(Method::kPost, std::move(target), std::move(body));
  }

  // Parses a JSON response body (independent reader).
  simdjson::dom::element Json(const HttpResponse& r) {
    docs_.emplace_back(std::make_unique<simdjson::dom::parser>());
    auto el = docs_.back()->parse(r.body);
    EXPECT_FALSE(el.error()) << r.body;
    return el.value();
  }

  TempDir dir_;
  std::unique_ptr<store::EventStore> store_;
  metrics::Metrics metrics_;
  Router router_;
  std::string_view last_route_;
  std::vector<std::unique_ptr<simdjson::dom::parser>> docs_;
};

TEST_F(RouterTest, Health) {
  auto r = Get("/health");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body,
            R"({"status":"healthy","service":"annal","version":"9.9.9","role":"leader","replication":null})");
  EXPECT_EQ(last_route_, route::kHealth);
}

TEST_F(RouterTest, AppendThenReadBack) {
  auto r = Post("/api/v1/events",
                R"({"event_type":"user.created","entity_id":"u/1","payload":{"name":"Ann", "n": 1.50}})");
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = Json(r);
  EXPECT_EQ(int64_t(j["version"]), 1);
  EXPECT_EQ(int64_t(j["sequence"]), 1);
  std::string id{std::string_view(j["event_id"])};
  EXPECT_TRUE(ParseRfc3339(std::string_view(j["timestamp"])).has_value());

  r = Post("/api/v1/events", R"({"event_type":"user.renamed","entity_id":"u/1","payload":{"name":"Bo"},"metadata":{"by":"x"}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(int64_t(Json(r)["version"]), 2);

  r = Get("/api/v1/events/" + id);
  ASSERT_EQ(r.status, 200) << r.body;
  auto e = Json(r)["event"];
  EXPECT_EQ(bool(Json(r)["found"]), true);
  EXPECT_EQ(std::string_view(e["id"]), id);
  EXPECT_EQ(std::string_view(e["entity_id"]), "u/1");
  EXPECT_EQ(std::string_view(e["tenant_id"]), "default");
  EXPECT_TRUE(e["metadata"].is_null());
  EXPECT_EQ(int64_t(e["version"]), 1);
  EXPECT_EQ(int64_t(e["sequence"]), 1);
  EXPECT_EQ(int64_t(e["entity_version"]), 1);
  EXPECT_NE(r.body.find(R"("payload":{"name":"Ann","n":1.50})"), std::string::npos) << r.body;

  EXPECT_EQ(Get("/api/v1/events/01890a5d-ac96-774b-bcce-b302099a8057").status, 404);
  EXPECT_EQ(Get("/api/v1/events/not-a-uuid").status, 400);

  // Path parameters are percent-decoded.
  r = Get("/api/v1/entities/u%2F1/state");
  ASSERT_EQ(r.status, 200) << r.body;
  auto s = Json(r);
  EXPECT_EQ(std::string_view(s["entity_id"]), "u/1");
  EXPECT_EQ(int64_t(s["event_count"]), 2);
  EXPECT_TRUE(s["as_of"].is_null());
  EXPECT_EQ(std::string_view(s["current_state"]["name"]), "Bo");
  EXPECT_EQ(simdjson::dom::array(s["history"]).size(), 2u);
  EXPECT_EQ(std::string_view(s["history"].at(1)["type"]), "user.renamed");
  EXPECT_EQ(std::string_view(s["history"].at(0)["event_id"]), id);
  EXPECT_EQ(Get("/api/v1/entities/nobody/state").status, 404);
  EXPECT_EQ(Get("/api/v1/entities/u%2F1/state?as_of=bad").status, 400);
}

TEST_F(RouterTest, ErrorStatuses) {
  auto expect_error = [&](const HttpResponse& r, int status, std::string_view code) {
    EXPECT_EQ(r.status, status) << r.body;
    auto j = Json(r);
    EXPECT_EQ(std::string_view(j["error"]), code) << r.body;
    EXPECT_TRUE(j["message"].is_string()) << r.body;
  };
  expect_error(Post("/api/v1/events", "{nope"), 400, "malformed_json");
  expect_error(Post("/api/v1/events", R"({"event_type":"a","payload":{}})"), 422, "unprocessable_entity");
  expect_error(Post("/api/v1/events", R"({"event_type":"A!","entity_id":"e","payload":{}})"), 400,
               "invalid_argument");
  expect_error(Call(Method::kPost, "/api/v1/events", "{}", std::nullopt), 415, "unsupported_media_type");
  expect_error(Call(Method::kPost, "/api/v1/events", "{}", "text/plain"), 415, "unsupported_media_type");
  expect_error(Call(Method::kPost, "/api/v1/events", "{}", "application/json; charset=latin1"), 415,
               "unsupported_media_type");
  EXPECT_EQ(Call(Method::kPost, "/api/v1/events", R"({"event_type":"a","entity_id":"e","payload":1})",
                 "Application/JSON; charset=UTF-8").status, 200);
  auto r = Get("/api/v1/events/batch");
  expect_error(r, 405, "method_not_allowed");
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0], std::make_pair(std::string("Allow"), std::string("POST")));
  expect_error(Post("/health", "{}"), 405, "method_not_allowed");
  expect_error(Call(Method::kHead, "/api/v1/events"), 405, "method_not_allowed");
  EXPECT_EQ(Call(Method::kHead, "/health").status, 200);  // HEAD = GET; the server drops the body
  expect_error(Get("/nope"), 404, "not_found");
  EXPECT_EQ(last_route_, kRouteUnmatched);
  expect_error(Get("/api/v1/events/query?limit=-1"), 400, "invalid_argument");
}

TEST_F(RouterTest, OptimisticConcurrencyAndIdempotency) {
  const std::string base = R"("event_type":"a","entity_id":"acct","payload":{"v":1})";
  ASSERT_EQ(Post("/api/v1/events", "{" + base + R"(,"expected_version":0})").status, 200);
  auto r = Post("/api/v1/events", "{" + base + R"(,"expected_version":0})");
  EXPECT_EQ(r.status, 409);
  auto j = Json(r);
  EXPECT_EQ(std::string_view(j["error"]), "version_conflict");
  EXPECT_EQ(int64_t(j["expected_version"]), 0);
  EXPECT_EQ(int64_t(j["current_version"]), 1);

  const std::string id = "01890a5d-ac96-774b-bcce-b302099a8057";
  auto first = Post("/api/v1/events", "{" + base + R"(,"event_id":")" + id + "\"}");
  ASSERT_EQ(first.status, 200) << first.body;
  auto retry = Post("/api/v1/events", "{" + base + R"(,"event_id":")" + id + "\"}");
  ASSERT_EQ(retry.status, 200) << retry.body;
  EXPECT_EQ(retry.body, first.body);  // the original result, nothing written
  r = Post("/api/v1/events",
           R"({"event_type":"a","entity_id":"acct","payload":{"v":2},"event_id":")" + id + "\"}");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(std::string_view(Json(r)["error"]), "duplicate_event_id");
  EXPECT_EQ(std::string_view(Json(r)["event_id"]), id);
  EXPECT_NE(metrics_.Serialize().find("allsource_events_ingested_total 2"), std::string::npos);
}

TEST_F(RouterTest, BatchIsAtomicAndNamesTheBadIndex) {
  auto r = Post("/api/v1/events/batch",
                R"({"events":[{"event_type":"a","entity_id":"e1","payload":{}},
                              {"event_type":"a","entity_id":"e2","payload":{}},
                              {"event_type":"b","entity_id":"e1","payload":{}}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = Json(r);
  EXPECT_EQ(int64_t(j["total"]), 3);
  EXPECT_EQ(int64_t(j["ingested"]), 3);
  EXPECT_EQ(int64_t(j["events"].at(2)["sequence"]), 3);
  // Each result has exactly its id, timestamp and sequence, and the id is the stored event's.
  for (size_t i = 0; i < 3; ++i) {
    auto ev = j["events"].at(i);
    EXPECT_EQ(simdjson::dom::object(ev).size(), 3u);
    EXPECT_EQ(int64_t(ev["sequence"]), int64_t(i) + 1);
    const std::string id{std::string_view(ev["event_id"])};
    auto got = Get("/api/v1/events/" + id);
    ASSERT_EQ(got.status, 200) << got.body;
    EXPECT_EQ(std::string_view(Json(got)["event"]["timestamp"]),
              std::string_view(ev["timestamp"]));
    EXPECT_EQ(int64_t(Json(got)["event"]["sequence"]), int64_t(i) + 1);
  }

  r = Post("/api/v1/events/batch", R"({"events":[{"event_type":"a","entity_id":"e3","payload":{}},
                                                 {"event_type":"a","payload":{}}]})");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(std::string_view(Json(r)["message"]).substr(0, 11), "events[1]: ");
  EXPECT_EQ(int64_t(Json(r)["index"]), 1);

  r = Post("/api/v1/events/batch",
           R"({"events":[{"event_type":"a","entity_id":"e3","payload":{}},
                         {"event_type":"a","entity_id":"e1","payload":{},"expected_version":0}]})");
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(std::string_view(Json(r)["error"]), "version_conflict");
  EXPECT_EQ(std::string_view(Json(r)["message"]).substr(0, 11), "events[1]: ");
  EXPECT_EQ(int64_t(Json(Get("/api/v1/stats"))["total_events"]), 3);  // nothing written
}

TEST_F(RouterTest, QueryListingsStatsMetrics) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(Post("/api/v1/events", R"({"event_type":"order.placed","entity_id":"o)" +
                                         std::to_string(i % 2) + R"(","payload":{"n":)" +
                                         std::to_string(i) + "}}")
                  .status,
              200);
  }
  auto r = Get("/api/v1/events/query?event_type_prefix=order.&limit=2");
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = Json(r);
  EXPECT_EQ(int64_t(j["count"]), 2);
  EXPECT_EQ(int64_t(j["total_count"]), 5);
  EXPECT_EQ(bool(j["has_more"]), true);
  EXPECT_EQ(int64_t(j["next_after"]), 2);
  r = Get("/api/v1/events/query?after=2&entity_id=o0");
  j = Json(r);
  EXPECT_EQ(int64_t(j["count"]), 2) << r.body;  // sequences 3 and 5
  EXPECT_EQ(bool(j["has_more"]), false);
  EXPECT_TRUE(j["next_after"].error() == simdjson::NO_SUCH_FIELD);
  r = Get("/api/v1/events/query?payload_filter=%7B%22n%22%3A3%7D");
  EXPECT_EQ(int64_t(Json(r)["count"]), 1) << r.body;

  j = Json(Get("/api/v1/entities?limit=1"));
  EXPECT_EQ(simdjson::dom::array(j["entities"]).size(), 1u);
  EXPECT_EQ(int64_t(j["total"]), 2);
  EXPECT_EQ(bool(j["has_more"]), true);
  EXPECT_EQ(Get("/api/v1/entities?as_of=2026-01-01T00:00:00Z").status, 400);
  j = Json(Get("/api/v1/streams"));
  EXPECT_EQ(int64_t(j["total"]), 2);
  EXPECT_TRUE(j["streams"].at(0)["stream_id"].is_string());
  j = Json(Get("/api/v1/event-types"));
  EXPECT_EQ(std::string_view(j["event_types"].at(0)["event_type"]), "order.placed");
  EXPECT_EQ(int64_t(j["event_types"].at(0)["event_count"]), 5);
  j = Json(Get("/api/v1/stats"));
  EXPECT_EQ(int64_t(j["total_events"]), 5);
  EXPECT_EQ(int64_t(j["total_entities"]), 2);
  EXPECT_EQ(int64_t(j["total_event_types"]), 1);
  EXPECT_EQ(int64_t(j["total_ingested"]), 5);

  r = Get("/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(r.body.find("allsource_storage_events_total 5"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("allsource_queries_total 3"), std::string::npos) << r.body;
}

}  // namespace
}  // namespace annal::http
