#include "postgres_connection.h"

#include <libpq-fe.h>

#include <charconv>
#include <cstdlib>
#include <tuple>

namespace annal::loadgen {
namespace {

constexpr int kParamsPerEvent = 5;
constexpr const char* kWriteStatement = "loadgen_write";
constexpr const char* kReadStatement = "loadgen_read";

std::string InsertSql(size_t rows) {
  std::string sql =
      "INSERT INTO events (event_id, tenant_id, event_type, entity_id, payload) VALUES ";
  int p = 1;
  for (size_t r = 0; r < rows; ++r) {
    if (r) sql += ',';
    sql += "($" + std::to_string(p) + "::uuid,$" + std::to_string(p + 1) + ",$" +
           std::to_string(p + 2) + ",$" + std::to_string(p + 3) + ",$" + std::to_string(p + 4) +
           "::jsonb)";
    p += kParamsPerEvent;
  }
  return sql;
}

constexpr const char* kReadSql =
    "SELECT sequence, event_id, tenant_id, event_type, entity_id, payload, metadata, timestamp, "
    "entity_version FROM events WHERE entity_id = $1 ORDER BY sequence LIMIT 100";

std::string Shorten(const char* text) {
  std::string s = text ? text : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s.substr(0, 200);
}

}  // namespace

PostgresConnection::PostgresConnection(std::string conninfo, size_t batch)
    : conninfo_(std::move(conninfo)), batch_(batch) {}

PostgresConnection::~PostgresConnection() { Close(); }

void PostgresConnection::Close() {
  if (conn_) PQfinish(conn_);
  conn_ = nullptr;
}

int PostgresConnection::fd() const { return conn_ ? PQsocket(conn_) : -1; }

std::string PostgresConnection::Connect() {
  Close();
  sent_ = false;
  conn_ = PQconnectdb(conninfo_.c_str());
  if (PQstatus(conn_) != CONNECTION_OK) return "connect: " + Shorten(PQerrorMessage(conn_));
  for (auto [name, sql, nparams] :
       {std::tuple{kWriteStatement, InsertSql(batch_), static_cast<int>(batch_) * kParamsPerEvent},
        std::tuple{kReadStatement, std::string(kReadSql), 1}}) {
    PGresult* res = PQprepare(conn_, name, sql.c_str(), nparams, nullptr);
    const bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    std::string error = ok ? "" : std::string("prepare: ") + Shorten(PQresultErrorMessage(res));
    PQclear(res);
    if (!ok) return error;
  }
  if (PQsetnonblocking(conn_, 1) != 0) return "PQsetnonblocking: " + Shorten(PQerrorMessage(conn_));
  return "";
}

void PostgresConnection::Prepare(OpKind op, EventSource& events) {
  op_ = op;
  sent_ = false;
  events_ = 0;
  error_kind_.clear();
  error_detail_.clear();
  values_.clear();
  if (op == OpKind::kRead) {
    values_.emplace_back(events.PickEntity());
  } else {
    for (size_t i = 0; i < batch_; ++i) {
      const EventSource::Event e = events.Next();
      values_.emplace_back(e.event_id);
      values_.emplace_back(kTenantId);
      values_.emplace_back(kEventType);
      values_.emplace_back(e.entity_id);
      values_.emplace_back(e.payload);
    }
  }
  pointers_.clear();
  for (const std::string& v : values_) pointers_.push_back(v.c_str());
}

std::optional<Outcome> PostgresConnection::Progress(Wait& wait) {
  if (!sent_) {
    const char* statement = op_ == OpKind::kRead ? kReadStatement : kWriteStatement;
    if (!PQsendQueryPrepared(conn_, statement, static_cast<int>(pointers_.size()), pointers_.data(),
                             nullptr, nullptr, 0)) {
      return Outcome::Failure("pg_send", Shorten(PQerrorMessage(conn_)), true);
    }
    sent_ = true;
  }
  const int flushed = PQflush(conn_);
  if (flushed < 0) return Outcome::Failure("io", Shorten(PQerrorMessage(conn_)), true);
  if (!PQconsumeInput(conn_)) return Outcome::Failure("io", Shorten(PQerrorMessage(conn_)), true);
  if (flushed == 1) {  // libpq's buffer still holds part of the request
    wait = Wait::kReadWrite;
    return std::nullopt;
  }
  while (!PQisBusy(conn_)) {
    PGresult* res = PQgetResult(conn_);
    if (res == nullptr) {  // the statement is done
      if (!error_kind_.empty()) return Outcome::Failure(error_kind_, error_detail_, false);
      return Outcome::Success(events_);
    }
    const ExecStatusType status = PQresultStatus(res);
    if (status == PGRES_TUPLES_OK && op_ == OpKind::kRead) {
      events_ = static_cast<uint64_t>(PQntuples(res));
    } else if (status == PGRES_COMMAND_OK && op_ == OpKind::kWrite) {
      const char* tuples = PQcmdTuples(res);
      uint64_t n = 0;
      std::from_chars(tuples, tuples + std::char_traits<char>::length(tuples), n);
      if (n == batch_) {
        events_ = n;
      } else if (error_kind_.empty()) {
        error_kind_ = "bad_answer";
        error_detail_ = std::string("INSERT reported ") + tuples + " rows";
      }
    } else if (error_kind_.empty()) {
      const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
      error_kind_ = std::string("pg_") + (state ? state : PQresStatus(status));
      error_detail_ = Shorten(PQresultErrorMessage(res));
    }
    PQclear(res);
  }
  if (PQstatus(conn_) == CONNECTION_BAD) {
    return Outcome::Failure("closed", Shorten(PQerrorMessage(conn_)), true);
  }
  wait = Wait::kRead;
  return std::nullopt;
}

}  // namespace annal::loadgen
