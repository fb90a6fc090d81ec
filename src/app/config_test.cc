#include "app/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "app/data_dir_lock.h"

namespace annal::app {
namespace {

// A TOML file in a fresh temporary directory, removed by the destructor.
class TempFile {
 public:
  explicit TempFile(const std::string& content) {
    char tmpl[] = "/tmp/annal-config-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = dir_ / "annal.toml";
    std::ofstream(path_) << content;
  }
  ~TempFile() { std::filesystem::remove_all(dir_); }
  std::string path() const { return path_.string(); }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_, path_;
};

ServeConfig MustLoad(const std::vector<std::string>& args, const EnvMap& env = {}) {
  auto c = LoadServeConfig(args, env);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? *c : ServeConfig{};
}

std::string LoadError(const std::vector<std::string>& args, const EnvMap& env = {}) {
  auto c = LoadServeConfig(args, env);
  EXPECT_FALSE(c.ok()) << "expected an error";
  return c.ok() ? std::string() : c.status().message();
}

TEST(ServeConfigTest, Defaults) {
  ServeConfig c = MustLoad({});
  EXPECT_EQ(c.data_dir, "./annal-data");
  EXPECT_EQ(c.host, "127.0.0.1");
  EXPECT_EQ(c.port, 3900);
  EXPECT_EQ(c.role, Role::kLeader);
  EXPECT_FALSE(c.replication_enabled);
  EXPECT_FALSE(c.replication_port.has_value());
  EXPECT_FALSE(c.leader.has_value());
  EXPECT_EQ(c.replication_mode, ReplicationMode::kAsync);
  EXPECT_EQ(c.min_acks, 1u);
  EXPECT_EQ(c.on_ack_timeout, AckTimeoutAction::kDegrade);
  EXPECT_EQ(c.wal_sync.mode, wal::SyncMode::kAlways);
  EXPECT_EQ(c.wal_retention_bytes, 256ull << 20);
  EXPECT_EQ(c.max_query_results, 100000u);
  EXPECT_EQ(c.max_body_bytes, 1u << 20);
  EXPECT_FALSE(c.cluster_token.has_value());
  EXPECT_FALSE(c.config_file.has_value());
  EXPECT_TRUE(CheckSupported(c).ok());
}

TEST(ServeConfigTest, FlagsAreApplied) {
  ServeConfig c = MustLoad({"--data-dir", "/tmp/x", "--host", "0.0.0.0", "--port", "4000",
                            "--wal-sync", "interval:5", "--wal-retention", "1GiB",
                            "--max-query-results", "50", "--threads", "3",
                            "--max-body-bytes", "2MiB", "--cluster-token", "s3cret",
                            "--min-acks", "2", "--ack-timeout-ms", "250",
                            "--on-ack-timeout", "FAIL", "--log-level", "Debug"});
  EXPECT_EQ(c.data_dir, "/tmp/x");
  EXPECT_EQ(c.host, "0.0.0.0");
  EXPECT_EQ(c.port, 4000);
  EXPECT_EQ(c.wal_sync.mode, wal::SyncMode::kInterval);
  EXPECT_EQ(c.wal_sync.interval.count(), 5);
  EXPECT_EQ(c.wal_retention_bytes, 1ull << 30);
  EXPECT_EQ(c.max_query_results, 50u);
  EXPECT_EQ(c.threads, 3u);
  EXPECT_EQ(c.max_body_bytes, 2u << 20);
  EXPECT_EQ(c.cluster_token, "s3cret");
  EXPECT_EQ(c.min_acks, 2u);
  EXPECT_EQ(c.ack_timeout.count(), 250);
  EXPECT_EQ(c.on_ack_timeout, AckTimeoutAction::kFail);
  EXPECT_EQ(c.log_level, "debug");
}

TEST(ServeConfigTest, EqualsSyntaxWorks) {
  ServeConfig c = MustLoad({"--port=4100", "--wal-sync=never"});
  EXPECT_EQ(c.port, 4100);
  EXPECT_EQ(c.wal_sync.mode, wal::SyncMode::kNever);
}

TEST(ServeConfigTest, PrecedenceFlagsOverEnvOverFileOverDefaults) {
  TempFile file("port = 4001\nhost = \"10.0.0.1\"\ndata_dir = \"/from/file\"\n"
                "max_query_results = 7\n");
  EnvMap env = {{"ALLSOURCE_PORT", "4002"}, {"ALLSOURCE_HOST", "10.0.0.2"}};

  // file only
  ServeConfig c = MustLoad({"--config", file.path()});
  EXPECT_EQ(c.port, 4001);
  EXPECT_EQ(c.host, "10.0.0.1");
  EXPECT_EQ(c.data_dir, "/from/file");
  EXPECT_EQ(c.config_file, file.path());

  // env beats file; untouched keys keep the file's value
  c = MustLoad({"--config", file.path()}, env);
  EXPECT_EQ(c.port, 4002);
  EXPECT_EQ(c.host, "10.0.0.2");
  EXPECT_EQ(c.data_dir, "/from/file");
  EXPECT_EQ(c.max_query_results, 7u);

  // flags beat env and file
  c = MustLoad({"--config", file.path(), "--port", "4003"}, env);
  EXPECT_EQ(c.port, 4003);
  EXPECT_EQ(c.host, "10.0.0.2");
  EXPECT_EQ(c.data_dir, "/from/file");
}

TEST(ServeConfigTest, ConfigFileFromEnv) {
  TempFile file("port = 4011\n");
  ServeConfig c = MustLoad({}, {{"ANNAL_CONFIG", file.path()}});
  EXPECT_EQ(c.port, 4011);
  // --config beats ANNAL_CONFIG
  TempFile other("port = 4012\n");
  c = MustLoad({"--config", other.path()}, {{"ANNAL_CONFIG", file.path()}});
  EXPECT_EQ(c.port, 4012);
}

TEST(ServeConfigTest, AllSourceEnvAliases) {
  ServeConfig c = MustLoad({}, {{"ALLSOURCE_DATA_DIR", "/env/data"},
                                {"ALLSOURCE_HOST", "0.0.0.0"},
                                {"ALLSOURCE_PORT", "5000"},
                                {"ALLSOURCE_ROLE", "leader"},
                                {"ALLSOURCE_REPLICATION_MODE", "semi_sync"},
                                {"ALLSOURCE_REPLICATION_ACK_TIMEOUT_MS", "1234"}});
  EXPECT_EQ(c.data_dir, "/env/data");
  EXPECT_EQ(c.host, "0.0.0.0");
  EXPECT_EQ(c.port, 5000);
  EXPECT_EQ(c.role, Role::kLeader);
  EXPECT_EQ(c.replication_mode, ReplicationMode::kSemiSync);
  EXPECT_EQ(c.ack_timeout.count(), 1234);

  c = MustLoad({}, {{"ALLSOURCE_ROLE", "follower"},
                    {"ALLSOURCE_LEADER_URL", "10.1.2.3:3910"},
                    {"ALLSOURCE_REPLICATION_PORT", "3999"},
                    {"ALLSOURCE_REPLICATION_ENABLED", "true"}});
  EXPECT_EQ(c.role, Role::kFollower);
  EXPECT_EQ(c.leader, "10.1.2.3:3910");
  EXPECT_EQ(c.replication_port, 3999);
  EXPECT_TRUE(c.replication_enabled);
}

TEST(ServeConfigTest, PortAliasesInOrder) {
  EXPECT_EQ(MustLoad({}, {{"PORT", "6001"}}).port, 6001);
  EXPECT_EQ(MustLoad({}, {{"PORT", "6001"}, {"ALLSOURCE_PORT", "6002"}}).port, 6002);
  EXPECT_EQ(MustLoad({}, {{"PORT", "6001"}, {"ALLSOURCE_PORT", "6002"}, {"ANNAL_PORT", "6003"}})
                .port,
            6003);
  // an empty variable counts as unset
  EXPECT_EQ(MustLoad({}, {{"ALLSOURCE_PORT", ""}, {"PORT", "6001"}}).port, 6001);
}

TEST(ServeConfigTest, LeaderUrlForms) {
  EXPECT_EQ(MustLoad({"--leader", "leader.local:3910"}).leader, "leader.local:3910");
  EXPECT_EQ(MustLoad({}, {{"ALLSOURCE_LEADER_URL", "tcp://10.0.0.1:3910/"}}).leader,
            "10.0.0.1:3910");
  EXPECT_EQ(MustLoad({"--leader", "[::1]:3910"}).leader, "[::1]:3910");
  EXPECT_NE(LoadError({"--leader", "nohost"}).find("--leader"), std::string::npos);
  EXPECT_NE(LoadError({"--leader", "h:0"}).find("--leader"), std::string::npos);
  EXPECT_NE(LoadError({"--leader", ":3910"}).find("--leader"), std::string::npos);
}

TEST(ServeConfigTest, ReplicationModeSpellings) {
  struct Case { const char* text; ReplicationMode mode; };
  for (Case k : {Case{"async", ReplicationMode::kAsync}, Case{"ASYNC", ReplicationMode::kAsync},
                 Case{"semi-sync", ReplicationMode::kSemiSync},
                 Case{"semi_sync", ReplicationMode::kSemiSync},
                 Case{"semisync", ReplicationMode::kSemiSync},
                 Case{"Semi-Sync", ReplicationMode::kSemiSync},
                 Case{"SEMISYNC", ReplicationMode::kSemiSync}, Case{"sync", ReplicationMode::kSync},
                 Case{"Sync", ReplicationMode::kSync}}) {
    EXPECT_EQ(MustLoad({"--replication-mode", k.text}).replication_mode, k.mode) << k.text;
    EXPECT_EQ(MustLoad({}, {{"ALLSOURCE_REPLICATION_MODE", k.text}}).replication_mode, k.mode)
        << k.text;
  }
  EXPECT_EQ(ReplicationModeName(ReplicationMode::kSemiSync), "semi_sync");
}

TEST(ServeConfigTest, UnknownReplicationModeIsAnError) {
  // AllSource silently falls back to async; Annal refuses to start.
  for (const char* bad : {"semi", "quorum", "", "a sync", "synchronous"}) {
    std::string err = LoadError({"--replication-mode", bad});
    EXPECT_NE(err.find("--replication-mode"), std::string::npos) << err;
  }
  std::string err = LoadError({}, {{"ALLSOURCE_REPLICATION_MODE", "eventually"}});
  EXPECT_NE(err.find("ALLSOURCE_REPLICATION_MODE"), std::string::npos) << err;
  EXPECT_NE(err.find("eventually"), std::string::npos) << err;
}

TEST(ServeConfigTest, BadFlagValuesNameTheFlag) {
  struct Case { std::vector<std::string> args; const char* flag; };
  for (const Case& k : std::vector<Case>{
           {{"--port", "abc"}, "--port"},
           {{"--port", "70000"}, "--port"},
           {{"--port", "-1"}, "--port"},
           {{"--role", "boss"}, "--role"},
           {{"--min-acks", "0"}, "--min-acks"},
           {{"--ack-timeout-ms", "soon"}, "--ack-timeout-ms"},
           {{"--on-ack-timeout", "retry"}, "--on-ack-timeout"},
           {{"--wal-sync", "sometimes"}, "--wal-sync"},
           {{"--wal-sync", "interval:"}, "--wal-sync"},
           {{"--wal-retention", "lots"}, "--wal-retention"},
           {{"--wal-retention", "12XB"}, "--wal-retention"},
           {{"--max-query-results", "0"}, "--max-query-results"},
           {{"--max-query-results", "1e5"}, "--max-query-results"},
           {{"--max-body-bytes", "1"}, "--max-body-bytes"},
           {{"--threads", "many"}, "--threads"},
           {{"--data-dir", ""}, "--data-dir"},
           {{"--host", "a b"}, "--host"},
           {{"--log-level", "loud"}, "--log-level"},
       }) {
    std::string err = LoadError(k.args);
    EXPECT_EQ(err.rfind(k.flag, 0), 0u) << "args " << k.args[0] << " " << k.args[1] << ": " << err;
  }
}

TEST(ServeConfigTest, BadEnvValuesNameTheVariable) {
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"ALLSOURCE_PORT", "http"},
           {"PORT", "99999"},
           {"ALLSOURCE_ROLE", "primary"},
           {"ALLSOURCE_REPLICATION_ENABLED", "maybe"},
           {"ALLSOURCE_REPLICATION_PORT", "x"},
           {"ALLSOURCE_REPLICATION_ACK_TIMEOUT_MS", "-5"},
           {"ALLSOURCE_LEADER_URL", "not a url"}}) {
    std::string err = LoadError({}, {{name, value}});
    EXPECT_NE(err.find("environment variable " + name), std::string::npos) << err;
  }
}

TEST(ServeConfigTest, FlagOverridesBadEnvIsStillAnError) {
  // Every source is validated, so a typo in the environment never hides behind a flag.
  std::string err = LoadError({"--port", "4000"}, {{"ALLSOURCE_PORT", "oops"}});
  EXPECT_NE(err.find("ALLSOURCE_PORT"), std::string::npos) << err;
}

TEST(ServeConfigTest, FileErrors) {
  {
    TempFile f("port = \"abc\"\n");
    std::string err = LoadError({"--config", f.path()});
    EXPECT_NE(err.find("key 'port'"), std::string::npos) << err;
  }
  {
    TempFile f("prot = 4000\n");  // typo: unknown keys are errors, not silently ignored
    std::string err = LoadError({"--config", f.path()});
    EXPECT_NE(err.find("key 'prot'"), std::string::npos) << err;
    EXPECT_NE(err.find("unknown setting"), std::string::npos) << err;
  }
  {
    TempFile f("port = [1, 2]\n");
    EXPECT_NE(LoadError({"--config", f.path()}).find("key 'port'"), std::string::npos);
  }
  {
    TempFile f("port = 4000\nthis is not toml\n");
    std::string err = LoadError({"--config", f.path()});
    EXPECT_NE(err.find(f.path() + ":2"), std::string::npos) << err;
  }
  std::string err = LoadError({"--config", "/nonexistent/annal.toml"});
  EXPECT_NE(err.find("/nonexistent/annal.toml"), std::string::npos) << err;
}

TEST(ServeConfigTest, FileValueTypesAndSpellings) {
  TempFile f("data-dir = \"/d\"\nreplication_mode = \"semi-sync\"\nwal_sync = \"interval:10\"\n"
             "wal_retention = \"64MiB\"\nmax_body_bytes = 2097152\nreplication_enabled = false\n"
             "on_ack_timeout = \"fail\"\n");
  ServeConfig c = MustLoad({"--config", f.path()});
  EXPECT_EQ(c.data_dir, "/d");
  EXPECT_EQ(c.replication_mode, ReplicationMode::kSemiSync);
  EXPECT_EQ(c.wal_sync.mode, wal::SyncMode::kInterval);
  EXPECT_EQ(c.wal_retention_bytes, 64ull << 20);
  EXPECT_EQ(c.max_body_bytes, 2u << 20);
  EXPECT_FALSE(c.replication_enabled);
  EXPECT_EQ(c.on_ack_timeout, AckTimeoutAction::kFail);
  EXPECT_TRUE(CheckSupported(c).ok());
}

TEST(ServeConfigTest, UnknownFlagIsAnError) {
  EXPECT_FALSE(LoadServeConfig(std::vector<std::string>{"--prot", "1"}, {}).ok());
  EXPECT_FALSE(LoadServeConfig(std::vector<std::string>{"--port"}, {}).ok());
}

TEST(ServeConfigTest, ReplicationSettingsMustFitTogether) {
  // A follower needs its leader; --leader without --role follower is a mistake.
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--role", "follower"}, {"--leader", "10.0.0.1:3910"}}) {
    Status s = CheckSupported(MustLoad(args));
    EXPECT_FALSE(s.ok()) << args[0];
  }
  EXPECT_TRUE(CheckSupported(MustLoad({"--role", "follower", "--leader", "10.0.0.1:3910"})).ok());
  ServeConfig f = MustLoad({}, {{"ALLSOURCE_ROLE", "follower"}, {"ALLSOURCE_LEADER_URL", "h:1"}});
  EXPECT_TRUE(CheckSupported(f).ok());
  EXPECT_TRUE(f.WantsReplication());
  ServeConfig c = MustLoad({"--replication-mode", "sync", "--min-acks", "2"},
                           {{"ALLSOURCE_REPLICATION_ENABLED", "true"}});
  EXPECT_TRUE(CheckSupported(c).ok());
  EXPECT_TRUE(c.WantsReplication());
  EXPECT_EQ(c.effective_replication_port(), 3910);
}

TEST(ConfigValuesTest, Sizes) {
  auto size = [](const char* t) {
    auto r = ParseSize(t, 0, ~0ull);
    EXPECT_TRUE(r.ok()) << t << ": " << r.status().ToString();
    return r.ok() ? *r : 0;
  };
  EXPECT_EQ(size("0"), 0u);
  EXPECT_EQ(size("1048576"), 1048576u);
  EXPECT_EQ(size("512B"), 512u);
  EXPECT_EQ(size("1k"), 1024u);
  EXPECT_EQ(size("1KiB"), 1024u);
  EXPECT_EQ(size("256MiB"), 256ull << 20);
  EXPECT_EQ(size("256mib"), 256ull << 20);
  EXPECT_EQ(size("256 MiB"), 256ull << 20);
  EXPECT_EQ(size("2G"), 2ull << 30);
  EXPECT_EQ(size("1.5GiB"), 3ull << 29);
  EXPECT_EQ(size("1TiB"), 1ull << 40);
  EXPECT_EQ(size("10MB"), 10'000'000u);
  EXPECT_EQ(size("1GB"), 1'000'000'000u);
  for (const char* bad : {"", "MiB", "1.2.3MiB", ".5MiB", "5.MiB", "-1", "1 XB", "1.1B", "abc",
                          "99999999999999999999999"})
    EXPECT_FALSE(ParseSize(bad, 0, ~0ull).ok()) << bad;
  EXPECT_FALSE(ParseSize("2MiB", 0, 1 << 20).ok());
  EXPECT_FALSE(ParseSize("1", 2, 100).ok());
  EXPECT_EQ(FormatSize(256ull << 20), "256 MiB");
  EXPECT_EQ(FormatSize(1000), "1000 B");
}

TEST(ConfigValuesTest, Bools) {
  for (const char* t : {"true", "TRUE", "1", "yes", "on"}) EXPECT_TRUE(*ParseBool(t)) << t;
  for (const char* t : {"false", "False", "0", "no", "off"}) EXPECT_FALSE(*ParseBool(t)) << t;
  EXPECT_FALSE(ParseBool("y").ok());
  EXPECT_FALSE(ParseBool("").ok());
}

TEST(ConfigValuesTest, Uints) {
  EXPECT_EQ(*ParseUint("42", 0, 100), 42u);
  EXPECT_FALSE(ParseUint("101", 0, 100).ok());
  EXPECT_FALSE(ParseUint("4 2", 0, 100).ok());
  EXPECT_FALSE(ParseUint("+4", 0, 100).ok());
  EXPECT_FALSE(ParseUint("18446744073709551616", 0, ~0ull).ok());
  EXPECT_EQ(*ParseUint("18446744073709551615", 0, ~0ull), ~0ull);
}

TEST(ServeConfigTest, StorageSettingsDefaults) {
  ServeConfig c = MustLoad({});
  EXPECT_EQ(c.checkpoint_interval, std::chrono::seconds(60));
  EXPECT_EQ(c.parquet_compression, storage::Compression::kZstd);
  EXPECT_EQ(c.compaction_target_bytes, 64ull << 20);
  EXPECT_EQ(c.wal_segment_bytes, 64ull << 20);
  std::string d = DescribeConfig(c);
  EXPECT_NE(d.find("checkpoint_interval=1m"), std::string::npos) << d;
  EXPECT_NE(d.find("parquet_compression=zstd"), std::string::npos) << d;
}

TEST(ServeConfigTest, StorageSettingsFromFlagsEnvAndFile) {
  ServeConfig c = MustLoad({"--checkpoint-interval", "200ms", "--parquet-compression", "Snappy",
                            "--compaction-target", "32MiB", "--wal-segment-bytes", "64KiB",
                            "--wal-retention", "0"});
  EXPECT_EQ(c.checkpoint_interval, std::chrono::milliseconds(200));
  EXPECT_EQ(c.parquet_compression, storage::Compression::kSnappy);
  EXPECT_EQ(c.compaction_target_bytes, 32ull << 20);
  EXPECT_EQ(c.wal_segment_bytes, 64ull << 10);
  EXPECT_EQ(c.wal_retention_bytes, 0u);

  EXPECT_EQ(MustLoad({"--checkpoint-interval", "0"}).checkpoint_interval.count(), 0);
  c = MustLoad({}, {{"ANNAL_CHECKPOINT_INTERVAL", "5m"}, {"ANNAL_PARQUET_COMPRESSION", "none"},
                    {"ANNAL_COMPACTION_TARGET", "1GiB"}});
  EXPECT_EQ(c.checkpoint_interval, std::chrono::minutes(5));
  EXPECT_EQ(c.parquet_compression, storage::Compression::kNone);
  EXPECT_EQ(c.compaction_target_bytes, 1ull << 30);

  TempFile f("checkpoint_interval = \"1.5s\"\nparquet-compression = \"zstd\"\n"
             "compaction_target = \"256MiB\"\n");
  c = MustLoad({"--config", f.path()});
  EXPECT_EQ(c.checkpoint_interval, std::chrono::milliseconds(1500));
  EXPECT_EQ(c.parquet_compression, storage::Compression::kZstd);
  EXPECT_EQ(c.compaction_target_bytes, 256ull << 20);
  // flag beats env beats file
  c = MustLoad({"--config", f.path(), "--checkpoint-interval", "2s"},
               {{"ANNAL_CHECKPOINT_INTERVAL", "3s"}});
  EXPECT_EQ(c.checkpoint_interval, std::chrono::seconds(2));
  c = MustLoad({"--config", f.path()}, {{"ANNAL_CHECKPOINT_INTERVAL", "3s"}});
  EXPECT_EQ(c.checkpoint_interval, std::chrono::seconds(3));
}

TEST(ServeConfigTest, BadStorageValuesNameTheSource) {
  struct Case { std::vector<std::string> args; const char* flag; };
  for (const Case& k : std::vector<Case>{
           {{"--checkpoint-interval", "60"}, "--checkpoint-interval"},  // no unit
           {{"--checkpoint-interval", "soon"}, "--checkpoint-interval"},
           {{"--checkpoint-interval", "-1s"}, "--checkpoint-interval"},
           {{"--checkpoint-interval", "1.0001s"}, "--checkpoint-interval"},
           {{"--checkpoint-interval", "30d"}, "--checkpoint-interval"},
           {{"--parquet-compression", "lz4"}, "--parquet-compression"},
           {{"--parquet-compression", ""}, "--parquet-compression"},
           {{"--compaction-target", "1KiB"}, "--compaction-target"},
           {{"--compaction-target", "big"}, "--compaction-target"},
           {{"--wal-segment-bytes", "10"}, "--wal-segment-bytes"},
       }) {
    std::string err = LoadError(k.args);
    EXPECT_EQ(err.rfind(k.flag, 0), 0u) << "args " << k.args[0] << " " << k.args[1] << ": " << err;
  }
  std::string err = LoadError({"--checkpoint-interval", "60"});
  EXPECT_NE(err.find("needs a unit"), std::string::npos) << err;
  err = LoadError({}, {{"ANNAL_PARQUET_COMPRESSION", "gzip"}});
  EXPECT_NE(err.find("environment variable ANNAL_PARQUET_COMPRESSION"), std::string::npos) << err;
  EXPECT_NE(err.find("zstd, snappy or none"), std::string::npos) << err;
  TempFile f("checkpoint_interval = 30\n");  // a TOML integer has no unit either
  err = LoadError({"--config", f.path()});
  EXPECT_NE(err.find("key 'checkpoint_interval'"), std::string::npos) << err;
}

TEST(ConfigValuesTest, Durations) {
  using std::chrono::milliseconds;
  auto dur = [](const char* t) {
    auto r = ParseDuration(t, milliseconds(0), milliseconds(1ll << 40));
    EXPECT_TRUE(r.ok()) << t << ": " << r.status().ToString();
    return r.ok() ? r->count() : -1;
  };
  EXPECT_EQ(dur("0"), 0);
  EXPECT_EQ(dur("0s"), 0);
  EXPECT_EQ(dur("500ms"), 500);
  EXPECT_EQ(dur("500 MS"), 500);
  EXPECT_EQ(dur("30s"), 30000);
  EXPECT_EQ(dur("1.5s"), 1500);
  EXPECT_EQ(dur("0.25s"), 250);
  EXPECT_EQ(dur("5m"), 300000);
  EXPECT_EQ(dur("2min"), 120000);
  EXPECT_EQ(dur("1h"), 3600000);
  for (const char* bad : {"", "s", "10", "1.5ms", ".5s", "5.s", "1..5s", "-1s", "1e3ms", "1 d",
                          "99999999999999999999h"})
    EXPECT_FALSE(ParseDuration(bad, milliseconds(0), milliseconds(1ll << 40)).ok()) << bad;
  EXPECT_FALSE(ParseDuration("2s", milliseconds(0), milliseconds(1000)).ok());
  EXPECT_EQ(FormatDuration(milliseconds(60000)), "1m");
  EXPECT_EQ(FormatDuration(milliseconds(1500)), "1500ms");
  EXPECT_EQ(FormatDuration(milliseconds(0)), "0");
}

TEST(ConfigValuesTest, ParquetCompression) {
  EXPECT_EQ(*ParseParquetCompression("ZSTD"), storage::Compression::kZstd);
  EXPECT_EQ(*ParseParquetCompression("snappy"), storage::Compression::kSnappy);
  EXPECT_EQ(*ParseParquetCompression("none"), storage::Compression::kNone);
  EXPECT_FALSE(ParseParquetCompression("gzip").ok());
  EXPECT_EQ(ParquetCompressionName(storage::Compression::kSnappy), "snappy");
}

TEST(DataDirLockTest, SecondLockFailsAndNamesTheHolder) {
  TempFile tmp("");
  std::filesystem::path dir = tmp.dir() / "data" / "nested";
  auto first = DataDirLock::Acquire(dir);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(std::filesystem::exists(dir / "LOCK"));
  auto second = DataDirLock::Acquire(dir);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("in use by another annal process"), std::string::npos);
  EXPECT_NE(second.status().message().find(std::to_string(getpid())), std::string::npos)
      << second.status().message();
  first->reset();
  EXPECT_TRUE(DataDirLock::Acquire(dir).ok());  // released with the holder
}

TEST(DataDirLockTest, UnusableDirectoryIsAnError) {
  TempFile tmp("");
  std::filesystem::path file = tmp.dir() / "annal.toml";  // a file, not a directory
  auto lock = DataDirLock::Acquire(file / "data");
  ASSERT_FALSE(lock.ok());
  EXPECT_NE(lock.status().message().find(file.string()), std::string::npos)
      << lock.status().message();
}

}  // namespace
}  // namespace annal::app
