// Termination signals without async signal handlers: SIGTERM and SIGINT are blocked in every
// thread (the mask is inherited, so BlockTerminationSignals() must run before any thread is
// started) and the main thread collects them synchronously with sigwait().
#pragma once

namespace annal::app {

// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread and ignores SIGPIPE (a peer closing a
// socket must not kill the server). Call first thing in main().
void BlockTerminationSignals();

// Waits for SIGTERM or SIGINT and returns its number. SIGHUP is consumed and ignored.
int WaitForTerminationSignal();

// Starts a detached thread that waits for another SIGTERM/SIGINT and then exits the process
// immediately with status 1: a second Ctrl-C gets the operator out of a stuck shutdown.
void ExitOnSecondSignal();

}  // namespace annal::app
