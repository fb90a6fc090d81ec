// Names the calling thread for top -H, ps -L, perf and gdb ("annal-wal", "annal-http", ...).
// Linux keeps at most 15 bytes; longer names are cut. Failure only loses the name.
#pragma once

namespace annal {

void NameThisThread(const char* name);

}  // namespace annal
