#include "app/signals.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <thread>

namespace annal::app {
namespace {

sigset_t TerminationSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

void BlockTerminationSignals() {
  sigset_t set = TerminationSet();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

int WaitForTerminationSignal() {
  sigset_t set = TerminationSet();
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig == SIGHUP) continue;  // no config reload yet; do not die of a closed terminal
    return sig;
  }
}

void ExitOnSecondSignal() {
  std::thread([] {
    int sig = WaitForTerminationSignal();
    static const char kMsg[] = "annal: second termination signal, exiting without a clean shutdown\n";
    ssize_t ignored = ::write(STDERR_FILENO, kMsg, sizeof(kMsg) - 1);
    (void)ignored;
    (void)sig;
    _exit(1);
  }).detach();
}

}  // namespace annal::app
