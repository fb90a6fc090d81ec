// The `annal` command line: `annal serve` (DESIGN.md §7), `annal inspect`, `annal export`,
// `annal --version` (docs/operations.md).
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <exception>

#include "app/config.h"
#include "app/config_values.h"
#include "app/export_events.h"
#include "app/inspect.h"
#include "app/serve.h"
#include "app/signals.h"

extern char** environ;

int main(int argc, char** argv) {
  // Before any thread exists, so that every thread inherits the mask (see signals.h).
  annal::app::BlockTerminationSignals();

  CLI::App app("Annal: an event store with an AllSource-compatible HTTP API", "annal");
  app.set_version_flag("--version", std::string("annal ") + ANNAL_VERSION);
  app.require_subcommand(1);

  annal::app::ServeFlags serve_flags;
  CLI::App* serve = app.add_subcommand("serve", "run the server until SIGTERM/SIGINT");
  annal::app::RegisterServeFlags(*serve, serve_flags);

  annal::app::InspectOptions inspect_options;
  CLI::App* inspect = app.add_subcommand(
      "inspect", "check a data dir's WAL segments and Parquet files and summarize them (read-only)");
  inspect->add_option("data-dir", inspect_options.data_dir, "the data directory")
      ->required()
      ->type_name("DIR");
  inspect->add_flag("--json", inspect_options.json, "print the report as one JSON object");

  annal::app::ExportOptions export_options;
  export_options.data_dir = "./annal-data";
  std::string export_format = "ndjson", export_compression = "zstd";
  CLI::App* exp = app.add_subcommand(
      "export", "write every event of a stopped server's data dir, in sequence order, to a file");
  exp->add_option("--data-dir", export_options.data_dir, "the data directory (default ./annal-data)")
      ->type_name("DIR");
  exp->add_option("--format", export_format, "ndjson | parquet (default ndjson)")->type_name("FORMAT");
  exp->add_option("--out", export_options.out, "output file; - = stdout (ndjson only)")
      ->required()
      ->type_name("PATH");
  exp->add_option("--compression", export_compression,
                  "parquet: zstd | snappy | none (default zstd)")
      ->type_name("CODEC");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);  // prints help/version to stdout, errors to stderr
    return code == 0 ? 0 : annal::app::kExitUsage;
  }

  try {
    if (serve->parsed()) {
      auto config = annal::app::LoadServeConfig(serve_flags, annal::app::EnvFromEnviron(environ));
      if (!config.ok()) {
        std::fprintf(stderr, "annal serve: %s\n", config.status().message().c_str());
        return annal::app::kExitUsage;
      }
      annal::app::ConfigureLogging(config->log_level);
      return annal::app::RunServe(*config);
    }
    if (inspect->parsed()) return annal::app::RunInspect(inspect_options);
    if (exp->parsed()) {
      if (export_format == "ndjson") {
        export_options.format = annal::app::ExportFormat::kNdjson;
      } else if (export_format == "parquet") {
        export_options.format = annal::app::ExportFormat::kParquet;
      } else {
        std::fprintf(stderr, "annal export: --format: '%s' is not ndjson or parquet\n",
                     export_format.c_str());
        return annal::app::kExitUsage;
      }
      auto codec = annal::app::ParseParquetCompression(export_compression);
      if (!codec.ok()) {
        std::fprintf(stderr, "annal export: --compression: %s\n", codec.status().message().c_str());
        return annal::app::kExitUsage;
      }
      export_options.compression = *codec;
      return annal::app::RunExport(export_options);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "annal: fatal: %s\n", e.what());
    return annal::app::kExitFailure;
  }
  return annal::app::kExitUsage;
}
