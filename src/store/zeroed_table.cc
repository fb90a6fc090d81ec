#include "store/zeroed_table.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>

namespace annal::store::zeroed_table_internal {
namespace {

constexpr size_t kMapAtLeast = size_t{2} << 20;

}  // namespace

void* Allocate(size_t bytes) {
  if (bytes == 0) return nullptr;
  if (bytes < kMapAtLeast) {
    void* p = std::calloc(1, bytes);
    if (p == nullptr) throw std::bad_alloc();
    return p;
  }
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  // Only a preference: without THP (or with it off) the table is simply made of small pages.
  (void)::madvise(p, bytes, MADV_HUGEPAGE);
  return p;
}

void Free(void* p, size_t bytes) {
  if (p == nullptr) return;
  if (bytes < kMapAtLeast) {
    std::free(p);
  } else {
    ::munmap(p, bytes);
  }
}

}  // namespace annal::store::zeroed_table_internal

namespace annal::store {

void FaultInPages(void* p, size_t bytes) {
  auto* b = static_cast<volatile unsigned char*>(p);
  for (size_t off = 0; off < bytes; off += 4096) b[off] = 0;
}

}  // namespace annal::store
