// The `annal` command line: `annal serve` (DESIGN.md §7), `annal --version`.
// Room for `annal inspect` and `annal export` as further subcommands.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <exception>

#include "app/config.h"
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
  } catch (const std::exception& e) {
    std::fprintf(stderr, "annal: fatal: %s\n", e.what());
    return annal::app::kExitFailure;
  }
  return annal::app::kExitUsage;
}
