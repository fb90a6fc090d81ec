// Names the calling thread for top -H, ps -L, perf and gdb ("annal-wal", "annal-http", ...).
// Linux keeps at most 15 bytes; longer names are cut. Failure only loses the name.
#pragma once

#include <thread>
#include <utility>

namespace annal {

void NameThisThread(const char* name);

// A std::thread that names itself, then runs `f`.
template <class F>
std::thread NamedThread(const char* name, F&& f) {
  return std::thread([name, f = std::forward<F>(f)]() mutable {
    NameThisThread(name);
    f();
  });
}

}  // namespace annal
