// Configuration of `annal serve` (DESIGN.md §7, docs/operations.md).
//
// Every setting can come from four places; the first that has it wins:
//   1. a command-line flag            --data-dir /var/lib/annal
//   2. an environment variable         ANNAL_DATA_DIR, or its AllSource alias ALLSOURCE_DATA_DIR
//   3. the TOML file (--config FILE)  data_dir = "/var/lib/annal"
//   4. the built-in default           ./annal-data
// All three text sources go through the same parsers (config_values.h), and an invalid value is
// an error naming where it came from ("--port", "env ALLSOURCE_PORT", "annal.toml: key 'port'").
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "app/config_values.h"
#include "core/status.h"
#include "wal/wal.h"

namespace CLI { class App; }

namespace annal::app {

inline constexpr uint16_t kDefaultHttpPort = 3900;
inline constexpr uint16_t kDefaultReplicationPort = 3910;

struct ServeConfig {
  std::filesystem::path data_dir = "./annal-data";
  std::string host = "127.0.0.1";
  uint16_t port = kDefaultHttpPort;  // 0 = any free port (logged at start-up)
  size_t threads = 0;                // HTTP worker threads; 0 = hardware concurrency
  size_t max_body_bytes = 1u << 20;   // POST /api/v1/events
  size_t max_batch_bytes = 64u << 20; // POST /api/v1/events/batch
  size_t max_query_results = 100000;

  wal::SyncPolicy wal_sync;                    // always
  uint64_t wal_retention_bytes = 256ull << 20; // newest WAL kept for follower catch-up
  uint64_t wal_segment_bytes = 64ull << 20;    // hidden flag: tests use tiny segments
  bool wal_preallocate = true;

  // Parquet storage (DESIGN.md §4).
  std::chrono::milliseconds checkpoint_interval{60'000};  // 0 = only at clean shutdown
  storage::Compression parquet_compression = storage::Compression::kZstd;
  uint64_t compaction_target_bytes = 64ull << 20;  // merge adjacent small files up to this

  Role role = Role::kLeader;
  bool replication_enabled = false;            // ALLSOURCE_REPLICATION_ENABLED
  std::optional<uint16_t> replication_port;    // as given; see effective_replication_port()
  std::optional<std::string> leader;           // normalized "host:port"
  ReplicationMode replication_mode = ReplicationMode::kAsync;
  uint32_t min_acks = 1;
  std::chrono::milliseconds ack_timeout{5000};
  AckTimeoutAction on_ack_timeout = AckTimeoutAction::kDegrade;
  std::optional<std::string> cluster_token;

  std::string log_level = "info";
  std::optional<std::filesystem::path> config_file;  // the TOML file that was read, if any

  // Does this configuration ask this node to replicate (serve followers or follow a leader)?
  bool WantsReplication() const {
    return role == Role::kFollower || replication_enabled || replication_port.has_value() ||
           leader.has_value();
  }
  // The port followers connect to when this node serves replication.
  uint16_t effective_replication_port() const {
    return replication_port.value_or(kDefaultReplicationPort);
  }
};

using EnvMap = std::map<std::string, std::string>;

// Snapshot of the process environment (pass `environ`).
EnvMap EnvFromEnviron(char** envp);

// Raw values of the flags that were given, keyed by setting name ("data_dir", "port", ...).
struct ServeFlags {
  std::map<std::string, std::string> values;
};

// Registers every `serve` flag on `cmd`. Each flag given on the command line lands in
// `flags.values` as typed; validation happens in LoadServeConfig. `flags` must outlive `cmd`'s
// parse.
void RegisterServeFlags(CLI::App& cmd, ServeFlags& flags);

// Merges flags > env > TOML file > defaults and validates the result. The file is the one named
// by --config, else by ANNAL_CONFIG; none is read otherwise.
Result<ServeConfig> LoadServeConfig(const ServeFlags& flags, const EnvMap& env);

// The same from `annal serve` arguments (without the program and subcommand names). Unknown
// flags and missing flag values are InvalidArgument. Used by tests.
Result<ServeConfig> LoadServeConfig(const std::vector<std::string>& args, const EnvMap& env);

// Checks the settings that only make sense together (a follower needs a leader, a leader has
// none); a message that says what to change otherwise.
Status CheckSupported(const ServeConfig& config);

// One line per setting with its effective value (the cluster token redacted); for logs.
std::string DescribeConfig(const ServeConfig& config);

}  // namespace annal::app
