// Bulk work that gives way to latency-sensitive work on a busy machine.
//
// Batch appends run on their own threads at a lower CPU priority (http/server.cc), so that a
// stream read does not wait behind them. A lower priority alone is not enough: when both cores
// run bulk work, a woken thread with a read to answer waits until the running thread's slice
// ends, and the kernel only notices that at its next tick (4 ms here, CONFIG_HZ=250). So bulk
// code calls GiveWay() every few dozen microseconds of work. On a thread marked with
// SetGivesWay(true), that is a sched_yield(): a thread that is waiting for this CPU runs now
// (the scheduler still decides who runs, by priority and by what each has used), and with
// nothing waiting it returns at once. On any other thread GiveWay() does nothing, so shared
// code (the parser, the store) can call it without knowing who runs it.
#pragma once

#include <cstddef>

namespace annal {

// How many events of bulk work (parsing, checking, indexing, encoding: 0.2-0.5 us each) go
// between two GiveWay() calls: a waiting read then waits some 25-60 us of it.
inline constexpr size_t kGiveWayEvents = 128;

inline thread_local bool gives_way = false;

// Marks (or unmarks) the calling thread as one that gives way.
inline void SetGivesWay(bool on) { gives_way = on; }

void YieldThisThread();

inline void GiveWay() {
  if (gives_way) YieldThisThread();
}

}  // namespace annal
