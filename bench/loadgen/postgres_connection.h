// PostgresConnection: PostgreSQL through libpq in non-blocking mode, with prepared statements
// (prepared at Connect, outside the measured time) on the table bench/compare.sh creates:
//   write, batch 1:  INSERT INTO events (...) VALUES ($1..$5)  — autocommit: one transaction,
//                    committed (and, with synchronous_commit=on, flushed) before the answer
//   write, batch N:  one N-row INSERT: one statement, so one transaction and one commit
//   read:            SELECT ... FROM events WHERE entity_id = $1 ORDER BY sequence LIMIT 100
// sequence (bigserial), timestamp (default now()) are the server's; metadata and entity_version
// stay NULL: nothing in this workload asks for a per-entity version check (no expected_version),
// so PostgreSQL is not made to compute one — Annal does, which only costs Annal.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "connection.h"

struct pg_conn;

namespace annal::loadgen {

class PostgresConnection final : public Connection {
 public:
  // `conninfo`: a libpq connection string ("host=127.0.0.1 port=5432 dbname=postgres ...").
  PostgresConnection(std::string conninfo, size_t batch);
  ~PostgresConnection() override;

  std::string Connect() override;
  void Close() override;
  int fd() const override;
  void Prepare(OpKind op, EventSource& events) override;
  std::optional<Outcome> Progress(Wait& wait) override;

 private:
  std::string conninfo_;
  size_t batch_;
  pg_conn* conn_ = nullptr;
  OpKind op_ = OpKind::kWrite;
  bool sent_ = false;
  std::vector<std::string> values_;  // 5 per event for a write, the entity id for a read
  std::vector<const char*> pointers_;
  uint64_t events_ = 0;
  std::string error_kind_;
  std::string error_detail_;
};

}  // namespace annal::loadgen
