// `annal serve`: open the store, serve HTTP until SIGTERM/SIGINT, shut down cleanly.
#pragma once

#include "app/config.h"

namespace annal::app {

// Process exit codes (docs/operations.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // start-up or shutdown failed: port taken, data dir
                                        // unusable or locked, corrupt data, I/O error
inline constexpr int kExitUsage = 2;           // invalid configuration or command line

// Runs the server in the calling (main) thread and returns the process exit code.
// REQUIRES: BlockTerminationSignals() was called before any thread was started.
int RunServe(const ServeConfig& config);

// Points spdlog's default logger at stderr with UTC timestamps at `level`.
void ConfigureLogging(const std::string& level);

}  // namespace annal::app
