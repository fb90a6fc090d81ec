#include "app/serve.h"

#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstring>
#include <memory>

#include "app/cluster_node.h"
#include "app/data_dir_lock.h"
#include "app/signals.h"
#include "http/server.h"
#include "metrics/metrics.h"
#include "store/event_store.h"

#ifndef ANNAL_VERSION
#define ANNAL_VERSION "0.0.0"
#endif

namespace annal::app {

void ConfigureLogging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("annal");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %^%-5l%$ %v", spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::trace);  // few lines; an operator must see them at once
  spdlog::set_default_logger(std::move(logger));
}

int RunServe(const ServeConfig& config) {
  if (Status s = CheckSupported(config); !s.ok()) {
    spdlog::error("{}", s.message());
    return kExitUsage;
  }
  spdlog::debug("configuration: {}", DescribeConfig(config));

  auto lock = DataDirLock::Acquire(config.data_dir);
  if (!lock.ok()) {
    spdlog::error("cannot start: {}", lock.status().message());
    return kExitFailure;
  }
  std::error_code ec;
  std::filesystem::path data_dir = std::filesystem::absolute(config.data_dir, ec);
  if (ec) data_dir = config.data_dir;

  // Declared before the store and the server: both report into it and must not outlive it.
  metrics::Metrics metrics;

  store::StoreOptions store_options;
  store_options.data_dir = data_dir;
  store_options.wal_sync = config.wal_sync;
  store_options.wal_segment_bytes = config.wal_segment_bytes;
  store_options.wal_preallocate = config.wal_preallocate;
  store_options.wal_retention_bytes = config.wal_retention_bytes;
  store_options.checkpoint_interval = config.checkpoint_interval;
  store_options.parquet.compression = config.parquet_compression;
  store_options.compaction.target_bytes = config.compaction_target_bytes;
  store_options.max_query_results = config.max_query_results;
  store_options.on_group_commit = [&metrics](double fsync_seconds, size_t group_records) {
    metrics.WalGroupCommit(fsync_seconds, group_records);
  };
  auto node = ClusterNode::Start(config, std::move(store_options));
  if (!node.ok()) {
    spdlog::error("cannot start in {}: {}", data_dir.string(), node.status().ToString());
    return kExitFailure;
  }
  std::shared_ptr<store::EventStore> store = (*node)->store();
  metrics.StorageEvents(store->GetStats().total_events);
  {
    store::StorageStats st = store->storage_stats();
    spdlog::info("storage: checkpoint LSN {}, {} Parquet files ({} bytes); checkpoints every {}",
                 st.checkpoint_lsn.value(), st.files, st.bytes,
                 config.checkpoint_interval.count() == 0
                     ? std::string("(off: only at shutdown)")
                     : FormatDuration(config.checkpoint_interval));
  }

  http::ServerOptions server_options;
  server_options.host = config.host;
  server_options.port = config.port;
  server_options.threads = config.threads;
  server_options.max_event_bytes = config.max_body_bytes;
  server_options.max_batch_bytes = config.max_batch_bytes;
  server_options.max_query_results = config.max_query_results;
  server_options.version = ANNAL_VERSION;
  auto server = http::Server::Start(server_options, **node, metrics);
  if (!server.ok()) {
    spdlog::error("cannot serve HTTP on {}:{}: {}", config.host, config.port,
                  server.status().message());
    if (Status s = (*node)->Stop(); !s.ok()) spdlog::error("closing the store: {}", s.ToString());
    return kExitFailure;
  }

  if (config.wal_sync.mode == wal::SyncMode::kNever) {
    spdlog::warn("!!! --wal-sync never: writes are acknowledged BEFORE they are on disk. A crash "
                 "or power loss WILL LOSE acknowledged events. Use only for benchmarks. !!!");
  } else if (config.wal_sync.mode == wal::SyncMode::kInterval) {
    spdlog::warn("--wal-sync {}: writes are acknowledged before fdatasync; a power loss can lose "
                 "up to one interval of acknowledged events",
                 config.wal_sync.ToString());
  }
  // Tests and scripts parse this line for the bound port (with --port 0).
  spdlog::info("annal {} listening on http://{}:{} data_dir={} wal_sync={} role={} pid={}",
               ANNAL_VERSION, config.host, (*server)->port(), data_dir.string(),
               config.wal_sync.ToString(), RoleName(config.role), ::getpid());
  if (uint16_t rp = (*node)->replication_port(); rp != 0) {
    // Tests and scripts parse this line for the bound replication port.
    spdlog::info("replication listening on {}:{}", config.host, rp);
  }

  int sig = WaitForTerminationSignal();
  ExitOnSecondSignal();
  spdlog::info("received {}, shutting down: finishing in-flight requests", ::strsignal(sig));

  (*server)->Stop();
  store::Stats stats = (*node)->store()->GetStats();
  Status closed = (*node)->Stop();
  if (!closed.ok()) {
    spdlog::error("closing the event store failed: {}", closed.ToString());
    return kExitFailure;
  }
  spdlog::info("stopped cleanly: {} events stored, {} ingested by this process", stats.total_events,
               stats.total_ingested);
  return kExitOk;
}

}  // namespace annal::app
