// annal-loadgen: one load driver for Annal (HTTP API), PostgreSQL (libpq) and Redis (hiredis),
// so that every system sees the same workload. Prints one JSON line (run_stats.h) on stdout;
// exits 0 when the run had no errors, 1 when it had some, 2 when it could not run at all.
//
//   annal-loadgen --target annal --port 3900 --clients 64 --batch 1 --duration 10
//   annal-loadgen --target postgres --port 5432 --pg-dbname postgres --pg-user postgres ...
//   annal-loadgen --target redis --port 6379 --readers 4 ...
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <memory>

#include "annal_codec.h"
#include "driver.h"
#include "postgres_connection.h"
#include "redis_codec.h"
#include "stream_connection.h"

namespace annal::loadgen {
namespace {

struct Options {
  RunDescription run{.clients = 4,
                     .batch = 1,
                     .payload_bytes = 100,
                     .entities = 1000,
                     .warmup_s = 2,
                     .duration_s = 10};
  std::string host = "127.0.0.1";
  int port = 0;
  std::string pg_dbname = "postgres";
  std::string pg_user = "postgres";
  int threads = 1;
  double timeout_s = 30;
  uint64_t seed = 1;
};

int Main(int argc, char** argv) {
  Options o;
  CLI::App app("annal-loadgen: the same closed-loop workload against Annal, PostgreSQL or Redis",
               "annal-loadgen");
  app.add_option("--target", o.run.target, "system under test")
      ->required()
      ->check(CLI::IsMember({"annal", "postgres", "redis"}));
  app.add_option("--host", o.host, "server address")->capture_default_str();
  app.add_option("--port", o.port, "server port (default: 3900 / 5432 / 6379)")
      ->check(CLI::Range(1, 65535));
  app.add_option("--pg-dbname", o.pg_dbname, "PostgreSQL database")->capture_default_str();
  app.add_option("--pg-user", o.pg_user, "PostgreSQL user")->capture_default_str();
  app.add_option("--clients", o.run.clients, "concurrent writers, one connection each")
      ->capture_default_str()
      ->check(CLI::Range(0, 10000));
  app.add_option("--readers", o.run.readers,
                 "concurrent readers doing 100-event entity stream reads while the writers write")
      ->capture_default_str()
      ->check(CLI::Range(0, 10000));
  app.add_option("--threads", o.threads, "driver event loops (1 is plenty; see driver.h)")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  app.add_option("--batch", o.run.batch, "events per write request (1 = single appends)")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  app.add_option("--payload-bytes", o.run.payload_bytes, "size of each event's JSON payload")
      ->capture_default_str()
      ->check(CLI::Range(kMinPayloadBytes, size_t{1} << 20));
  app.add_option("--entities", o.run.entities,
                 "fixed set of entities; each event picks one at random")
      ->capture_default_str()
      ->check(CLI::Range(1u, 100000000u));
  app.add_option("--duration", o.run.duration_s, "measured seconds")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--warmup", o.run.warmup_s, "unmeasured seconds of load first")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--timeout", o.timeout_s, "seconds before a request fails as \"timeout\"")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--seed", o.seed, "seed of the event ids, entity picks and payloads")
      ->capture_default_str();
  app.add_option("--label", o.run.label, "free text copied into the report");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (o.run.clients + o.run.readers == 0) {
    std::cerr << "annal-loadgen: nothing to do: --clients and --readers are both 0\n";
    return 2;
  }
  if (o.port == 0)
    o.port = o.run.target == "annal" ? 3900 : o.run.target == "postgres" ? 5432 : 6379;

  ConnectionFactory connect;
  const auto port = static_cast<uint16_t>(o.port);
  if (o.run.target == "annal") {
    const std::string host_header = o.host + ":" + std::to_string(o.port);
    connect = [&o, port, host_header] {
      return std::make_unique<StreamConnection>(
          o.host, port, std::make_unique<AnnalCodec>(host_header, o.run.batch));
    };
  } else if (o.run.target == "redis") {
    connect = [&o, port] {
      return std::make_unique<StreamConnection>(o.host, port,
                                                std::make_unique<RedisCodec>(o.run.batch));
    };
  } else {
    const std::string conninfo = "host=" + o.host + " port=" + std::to_string(o.port) +
                                 " dbname=" + o.pg_dbname + " user=" + o.pg_user +
                                 " application_name=annal-loadgen";
    connect = [&o, conninfo] {
      return std::make_unique<PostgresConnection>(conninfo, o.run.batch);
    };
  }
  auto sources = [&o](int client) {
    return EventSource(o.run.entities, o.run.payload_bytes,
                       o.seed * 100003 + static_cast<uint64_t>(client));
  };

  DriverConfig config;
  config.writers = o.run.clients;
  config.readers = o.run.readers;
  config.threads = o.threads;
  config.warmup_s = o.run.warmup_s;
  config.duration_s = o.run.duration_s;
  config.request_timeout_s = o.timeout_s;
  const DriverResult result = RunLoad(config, connect, sources);
  if (!result.setup_error.empty()) {
    std::cerr << "annal-loadgen: " << o.run.target << " " << o.host << ":" << o.port << ": "
              << result.setup_error << "\n";
    return 2;
  }
  std::cout << ReportJson(o.run, result.stats, result.cpu) << std::endl;
  if (const uint64_t errors = result.stats.error_total(); errors > 0) {
    std::cerr << "annal-loadgen: " << errors << " requests failed (see \"errors\" in the report)\n";
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace annal::loadgen

int main(int argc, char** argv) { return annal::loadgen::Main(argc, argv); }
