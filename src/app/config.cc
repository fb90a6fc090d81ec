#include "app/config.h"

#include <CLI/CLI.hpp>
#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <sstream>

namespace annal::app {
namespace {

using Apply = Status (*)(ServeConfig&, std::string_view);

// One configurable setting and every name it goes by.
struct Setting {
  const char* key;                     // TOML key and ServeFlags key
  const char* flag;                    // command-line flag
  std::array<const char*, 3> env;      // environment names, most specific first (nullptr = none)
  const char* value_name;
  const char* help;
  Apply apply;
  bool hidden = false;                 // accepted everywhere, not shown by --help (test knobs)
};

template <typename T>
Status Assign(Result<T> r, T& out) {
  if (!r.ok()) return r.status();
  out = std::move(*r);
  return Status::Ok();
}

const Setting kSettings[] = {
    {"data_dir", "--data-dir", {"ANNAL_DATA_DIR", "ALLSOURCE_DATA_DIR"}, "DIR",
     "data directory, created if missing (default ./annal-data)",
     [](ServeConfig& c, std::string_view v) -> Status {
       if (v.empty()) return InvalidArgument("must not be empty");
       c.data_dir = std::filesystem::path(std::string(v));
       return Status::Ok();
     }},
    {"host", "--host", {"ANNAL_HOST", "ALLSOURCE_HOST"}, "ADDR",
     "HTTP listen address (default 127.0.0.1)",
     [](ServeConfig& c, std::string_view v) -> Status {
       if (v.empty() || v.find_first_of(" \t/") != std::string_view::npos)
         return InvalidArgument("'" + std::string(v) + "' is not a host name or address");
       c.host = std::string(v);
       return Status::Ok();
     }},
    {"port", "--port", {"ANNAL_PORT", "ALLSOURCE_PORT", "PORT"}, "PORT",
     "HTTP port (default 3900; 0 = any free port, logged at start-up)",
     [](ServeConfig& c, std::string_view v) { return Assign(ParsePort(v, true), c.port); }},
    {"threads", "--threads", {"ANNAL_THREADS"}, "N",
     "HTTP worker threads (default 0 = one per CPU)",
     [](ServeConfig& c, std::string_view v) -> Status {
       auto n = ParseUint(v, 0, 1024);
       if (!n.ok()) return n.status();
       c.threads = static_cast<size_t>(*n);
       return Status::Ok();
     }},
    {"max_body_bytes", "--max-body-bytes", {"ANNAL_MAX_BODY_BYTES"}, "SIZE",
     "body limit of POST /api/v1/events (default 1MiB)",
     [](ServeConfig& c, std::string_view v) -> Status {
       auto n = ParseSize(v, 1024, 1ull << 30);
       if (!n.ok()) return n.status();
       c.max_body_bytes = static_cast<size_t>(*n);
       return Status::Ok();
     }},
    {"max_batch_bytes", "--max-batch-bytes", {"ANNAL_MAX_BATCH_BYTES"}, "SIZE",
     "body limit of POST /api/v1/events/batch (default 64MiB)",
     [](ServeConfig& c, std::string_view v) -> Status {
       auto n = ParseSize(v, 1024, 4ull << 30);
       if (!n.ok()) return n.status();
       c.max_batch_bytes = static_cast<size_t>(*n);
       return Status::Ok();
     }},
    {"max_query_results", "--max-query-results", {"ANNAL_MAX_QUERY_RESULTS"}, "N",
     "cap on events per query answer (default 100000)",
     [](ServeConfig& c, std::string_view v) -> Status {
       auto n = ParseUint(v, 1, 100'000'000);
       if (!n.ok()) return n.status();
       c.max_query_results = static_cast<size_t>(*n);
       return Status::Ok();
     }},
    {"wal_sync", "--wal-sync", {"ANNAL_WAL_SYNC"}, "POLICY",
     "always | interval:MS | never (default always; never is for benchmarks only)",
     [](ServeConfig& c, std::string_view v) -> Status {
       auto p = wal::SyncPolicy::Parse(v);
       if (!p.ok())
         return InvalidArgument("'" + std::string(v) +
                                "' is not a WAL sync policy (expected always, interval:MS or "
                                "never): " + p.status().message());
       c.wal_sync = *p;
       return Status::Ok();
     }},
    {"wal_retention", "--wal-retention", {"ANNAL_WAL_RETENTION"}, "SIZE",
     "newest WAL kept for follower catch-up (default 256MiB)",
     [](ServeConfig& c, std::string_view v) {
       return Assign(ParseSize(v, 0, 1ull << 50), c.wal_retention_bytes);
     }},
    {"wal_segment_bytes", "--wal-segment-bytes", {"ANNAL_WAL_SEGMENT_BYTES"}, "SIZE",
     "WAL segment size before rotation (default 64MiB; small values are for tests)",
     [](ServeConfig& c, std::string_view v) {
       return Assign(ParseSize(v, 4096, 4ull << 30), c.wal_segment_bytes);
     },
     /*hidden=*/true},
    {"wal_preallocate", "--wal-preallocate", {"ANNAL_WAL_PREALLOCATE"}, "BOOL",
     "write the WAL into zero-filled, preallocated segment files (default true: about 1.6x "
     "faster fdatasync; costs up to one extra segment of disk)",
     [](ServeConfig& c, std::string_view v) { return Assign(ParseBool(v), c.wal_preallocate); }},
    {"checkpoint_interval", "--checkpoint-interval", {"ANNAL_CHECKPOINT_INTERVAL"}, "DURATION",
     "how often the WAL is checkpointed into Parquet, e.g. 500ms, 30s, 5m (default 60s; 0 = only "
     "at shutdown)",
     [](ServeConfig& c, std::string_view v) {
       return Assign(ParseDuration(v, std::chrono::milliseconds(0),
                                   std::chrono::milliseconds(7 * 24 * 3'600'000ll)),
                     c.checkpoint_interval);
     }},
    {"parquet_compression", "--parquet-compression", {"ANNAL_PARQUET_COMPRESSION"}, "CODEC",
     "zstd | snappy | none: compression of Parquet pages (default zstd)",
     [](ServeConfig& c, std::string_view v) {
       return Assign(ParseParquetCompression(v), c.parquet_compression);
     }},
    {"compaction_target", "--compaction-target", {"ANNAL_COMPACTION_TARGET"}, "SIZE",
     "compaction merges adjacent small Parquet files into files of up to this size (default "
     "64MiB)",
     [](ServeConfig& c, std::string_view v) {
       return Assign(ParseSize(v, 1ull << 20, 1ull << 40), c.compaction_target_bytes);
     }},
    {"role", "--role", {"ANNAL_ROLE", "ALLSOURCE_ROLE"}, "ROLE", "leader | follower (default leader)",
     [](ServeConfig& c, std::string_view v) { return Assign(ParseRole(v), c.role); }},
    {"replication_enabled", "--replication-enabled",
     {"ANNAL_REPLICATION_ENABLED", "ALLSOURCE_REPLICATION_ENABLED"}, "BOOL",
     "serve replication on the replication port (default false)",
     [](ServeConfig& c, std::string_view v) {
       return Assign(ParseBool(v), c.replication_enabled);
     }},
    {"replication_port", "--replication-port",
     {"ANNAL_REPLICATION_PORT", "ALLSOURCE_REPLICATION_PORT"}, "PORT",
     "leader: serve followers on this port (default 3910 when replication is enabled)",
     [](ServeConfig& c, std::string_view v) -> Status {
       auto p = ParsePort(v, /*allow_zero=*/true);  // 0: any free port (logged)
       if (!p.ok()) return p.status();
       c.replication_port = *p;
       return Status::Ok();
     }},
    {"leader", "--leader", {"ANNAL_LEADER", "ALLSOURCE_LEADER_URL"}, "HOST:PORT",
     "follower: the leader's replication address",
     [](ServeConfig& c, std::string_view v) -> Status {
       auto hp = ParseHostPort(v);
       if (!hp.ok()) return hp.status();
       c.leader = *hp;
       return Status::Ok();
     }},
    {"replication_mode", "--replication-mode",
     {"ANNAL_REPLICATION_MODE", "ALLSOURCE_REPLICATION_MODE"}, "MODE",
     "async | semi-sync | sync (default async)",
     [](ServeConfig& c, std::string_view v) {
       return Assign(ParseReplicationMode(v), c.replication_mode);
     }},
    {"min_acks", "--min-acks", {"ANNAL_MIN_ACKS", "ALLSOURCE_REPLICATION_MIN_ACKS"}, "N",
     "semi-sync: follower acks to wait for (default 1)",
     [](ServeConfig& c, std::string_view v) -> Status {
       auto n = ParseUint(v, 1, 64);
       if (!n.ok()) return n.status();
       c.min_acks = static_cast<uint32_t>(*n);
       return Status::Ok();
     }},
    {"ack_timeout_ms", "--ack-timeout-ms",
     {"ANNAL_ACK_TIMEOUT_MS", "ALLSOURCE_REPLICATION_ACK_TIMEOUT_MS"}, "MS",
     "semi-sync/sync: how long a write waits for acks (default 5000)",
     [](ServeConfig& c, std::string_view v) -> Status {
       auto n = ParseUint(v, 1, 3'600'000);
       if (!n.ok()) return n.status();
       c.ack_timeout = std::chrono::milliseconds(*n);
       return Status::Ok();
     }},
    {"on_ack_timeout", "--on-ack-timeout", {"ANNAL_ON_ACK_TIMEOUT"}, "ACTION",
     "degrade (answer 200, marked degraded) | fail (answer 503) (default degrade)",
     [](ServeConfig& c, std::string_view v) {
       return Assign(ParseAckTimeoutAction(v), c.on_ack_timeout);
     }},
    {"cluster_token", "--cluster-token", {"ANNAL_CLUSTER_TOKEN", "ALLSOURCE_CLUSTER_TOKEN"},
     "TOKEN", "shared secret required by /internal endpoints",
     [](ServeConfig& c, std::string_view v) -> Status {
       if (v.empty()) return InvalidArgument("must not be empty");
       c.cluster_token = std::string(v);
       return Status::Ok();
     }},
    {"log_level", "--log-level", {"ANNAL_LOG_LEVEL"}, "LEVEL",
     "trace | debug | info | warn | error | off (default info)",
     [](ServeConfig& c, std::string_view v) -> Status {
       static constexpr std::string_view kLevels[] = {"trace", "debug", "info",
                                                      "warn",  "error", "off"};
       std::string l(v);
       std::transform(l.begin(), l.end(), l.begin(), [](unsigned char ch) { return std::tolower(ch); });
       if (std::find(std::begin(kLevels), std::end(kLevels), l) == std::end(kLevels))
         return InvalidArgument("'" + std::string(v) + "' is not a log level (expected trace, "
                                                       "debug, info, warn, error or off)");
       c.log_level = l;
       return Status::Ok();
     }},
};

constexpr const char* kConfigKey = "config";
constexpr const char* kConfigEnv = "ANNAL_CONFIG";

Status WithSource(const Status& s, const std::string& source) {
  return InvalidArgument(source + ": " + s.message());
}

const Setting* FindSetting(std::string_view key) {
  for (const Setting& s : kSettings)
    if (key == s.key) return &s;
  return nullptr;
}

// TOML value -> the text our parsers accept. Strings, integers and booleans only.
Result<std::string> TomlValueText(const toml::node& node) {
  if (auto s = node.as_string()) return s->get();
  if (auto i = node.as_integer()) {
    if (i->get() < 0) return InvalidArgument("must not be negative");
    return std::to_string(i->get());
  }
  if (auto b = node.as_boolean()) return std::string(b->get() ? "true" : "false");
  return InvalidArgument("must be a string, an integer or a boolean");
}

Status ApplyFile(ServeConfig& config, const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    return InvalidArgument("config file " + path.string() + ": not found or not a regular file");
  toml::table table;
  try {
    table = toml::parse_file(path.string());
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << "config file " << path.string() << ":" << e.source().begin.line << ":"
        << e.source().begin.column << ": " << e.description();
    return InvalidArgument(msg.str());
  } catch (const std::exception& e) {
    return InvalidArgument("config file " + path.string() + ": " + e.what());
  }
  for (const auto& [raw_key, node] : table) {
    std::string key(raw_key.str());
    std::replace(key.begin(), key.end(), '-', '_');
    std::string source = "config file " + path.string() + ": key '" + std::string(raw_key.str()) + "'";
    if (key == kConfigKey) return InvalidArgument(source + ": a config file cannot include another");
    const Setting* s = FindSetting(key);
    if (!s) return InvalidArgument(source + ": unknown setting (see docs/operations.md)");
    auto text = TomlValueText(node);
    if (!text.ok()) return WithSource(text.status(), source);
    if (Status st = s->apply(config, *text); !st.ok()) return WithSource(st, source);
  }
  return Status::Ok();
}

const std::string* FirstEnv(const EnvMap& env, const Setting& s, const char** name) {
  for (const char* n : s.env) {
    if (!n) break;
    auto it = env.find(n);
    if (it != env.end() && !it->second.empty()) {
      *name = n;
      return &it->second;
    }
  }
  return nullptr;
}

}  // namespace

EnvMap EnvFromEnviron(char** envp) {
  EnvMap env;
  for (char** e = envp; e && *e; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return env;
}

void RegisterServeFlags(CLI::App& cmd, ServeFlags& flags) {
  cmd.add_option_function<std::string>(
         "--config", [&flags](const std::string& v) { flags.values[kConfigKey] = v; },
         "TOML configuration file (env ANNAL_CONFIG)")
      ->type_name("FILE");
  for (const Setting& s : kSettings) {
    std::string help = s.help;
    std::string envs;
    for (const char* n : s.env) {
      if (!n) break;
      envs += envs.empty() ? "" : ", ";
      envs += n;
    }
    if (!envs.empty()) help += " [env " + envs + "]";
    std::string key = s.key;
    CLI::Option* opt = cmd.add_option_function<std::string>(
                           s.flag, [&flags, key](const std::string& v) { flags.values[key] = v; },
                           help)
                           ->type_name(s.value_name);
    if (s.hidden) opt->group("");  // CLI11: an empty group hides the option from --help
  }
}

Result<ServeConfig> LoadServeConfig(const ServeFlags& flags, const EnvMap& env) {
  ServeConfig config;

  // 3. The file: named by the flag, else by the environment.
  std::optional<std::filesystem::path> file;
  if (auto it = flags.values.find(kConfigKey); it != flags.values.end()) {
    if (it->second.empty()) return InvalidArgument("--config: must not be empty");
    file = it->second;
  } else if (auto e = env.find(kConfigEnv); e != env.end() && !e->second.empty()) {
    file = e->second;
  }
  if (file) {
    ANNAL_RETURN_IF_ERROR(ApplyFile(config, *file));
    config.config_file = *file;
  }

  // 2. The environment, then 1. the flags.
  for (const Setting& s : kSettings) {
    const char* name = nullptr;
    if (const std::string* v = FirstEnv(env, s, &name)) {
      if (Status st = s.apply(config, *v); !st.ok())
        return WithSource(st, std::string("environment variable ") + name);
    }
  }
  for (const Setting& s : kSettings) {
    if (auto it = flags.values.find(s.key); it != flags.values.end()) {
      if (Status st = s.apply(config, it->second); !st.ok())
        return WithSource(st, s.flag);
    }
  }
  return config;
}

Result<ServeConfig> LoadServeConfig(const std::vector<std::string>& args, const EnvMap& env) {
  CLI::App cmd("annal serve", "serve");
  ServeFlags flags;
  RegisterServeFlags(cmd, flags);
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 wants them reversed
  try {
    cmd.parse(reversed);
  } catch (const CLI::ParseError& e) {
    return InvalidArgument(e.what());
  }
  return LoadServeConfig(flags, env);
}

Status CheckSupported(const ServeConfig& c) {
  if (c.role == Role::kFollower && !c.leader)
    return InvalidArgument("--role follower needs --leader HOST:PORT (env ALLSOURCE_LEADER_URL): "
                           "the leader's replication address");
  if (c.role == Role::kLeader && c.leader)
    return InvalidArgument("--leader " + *c.leader + " is only for followers; add --role follower "
                           "(or drop --leader to run a leader)");
  return Status::Ok();
}

std::string DescribeConfig(const ServeConfig& c) {
  std::ostringstream o;
  o << "data_dir=" << c.data_dir.string() << " host=" << c.host << " port=" << c.port
    << " threads=" << c.threads << " max_body_bytes=" << c.max_body_bytes
    << " max_batch_bytes=" << c.max_batch_bytes << " max_query_results=" << c.max_query_results
    << " wal_sync=" << c.wal_sync.ToString() << " wal_retention=" << FormatSize(c.wal_retention_bytes)
    << " wal_segment_bytes=" << FormatSize(c.wal_segment_bytes)
    << " wal_preallocate=" << (c.wal_preallocate ? "true" : "false")
    << " checkpoint_interval=" << FormatDuration(c.checkpoint_interval)
    << " parquet_compression=" << ParquetCompressionName(c.parquet_compression)
    << " compaction_target=" << FormatSize(c.compaction_target_bytes)
    << " role=" << RoleName(c.role) << " replication_enabled=" << (c.replication_enabled ? "true" : "false")
    << " replication_mode=" << ReplicationModeName(c.replication_mode)
    << " min_acks=" << c.min_acks << " ack_timeout_ms=" << c.ack_timeout.count()
    << " on_ack_timeout=" << AckTimeoutActionName(c.on_ack_timeout)
    << " cluster_token=" << (c.cluster_token ? "<set>" : "<none>") << " log_level=" << c.log_level;
  if (c.config_file) o << " config_file=" << c.config_file->string();
  return o.str();
}

}  // namespace annal::app
