// A reader/writer lock that prefers writers.
//
// Why not std::shared_mutex: libstdc++ builds it on a default pthread rwlock, which prefers
// readers, so a steady stream of queries can starve appenders indefinitely. Appends hold this
// lock exclusively only for a few microseconds per batch, so letting them jump the queue costs
// readers little and bounds append latency.
//
// Satisfies the SharedMutex requirements (works with std::unique_lock / std::shared_lock).
// NOT recursive: a thread holding a shared lock must not take it again (a waiting writer would
// deadlock it).
#pragma once

#include <pthread.h>

#include "core/status.h"

namespace annal::store {

class WriterPreferringSharedMutex {
 public:
  WriterPreferringSharedMutex() {
    pthread_rwlockattr_t attr;
    ANNAL_CHECK(pthread_rwlockattr_init(&attr) == 0);
    ANNAL_CHECK(pthread_rwlockattr_setkind_np(
                    &attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP) == 0);
    ANNAL_CHECK(pthread_rwlock_init(&rw_, &attr) == 0);
    pthread_rwlockattr_destroy(&attr);
  }
  ~WriterPreferringSharedMutex() { pthread_rwlock_destroy(&rw_); }
  WriterPreferringSharedMutex(const WriterPreferringSharedMutex&) = delete;
  WriterPreferringSharedMutex& operator=(const WriterPreferringSharedMutex&) = delete;

  void lock() { ANNAL_CHECK(pthread_rwlock_wrlock(&rw_) == 0); }
  bool try_lock() { return pthread_rwlock_trywrlock(&rw_) == 0; }
  void unlock() { ANNAL_CHECK(pthread_rwlock_unlock(&rw_) == 0); }
  void lock_shared() { ANNAL_CHECK(pthread_rwlock_rdlock(&rw_) == 0); }
  bool try_lock_shared() { return pthread_rwlock_tryrdlock(&rw_) == 0; }
  void unlock_shared() { ANNAL_CHECK(pthread_rwlock_unlock(&rw_) == 0); }

 private:
  pthread_rwlock_t rw_;
};

}  // namespace annal::store
