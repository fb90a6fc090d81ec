// ZeroedTable<T>: a fixed-size array of T whose bytes start as zero, for the flat hash tables
// of the indexes (an all-zero slot is their "empty").
//
// Tables of 2 MiB and more get their own anonymous mapping, marked for transparent huge pages:
// a table of millions of ids is probed at random, so with 4 KiB pages nearly every probe is
// also a TLB miss and a page-table walk, and with 2 MiB pages the whole table fits in the
// TLB. A fresh mapping is zero already, so growing a table needs no separate fill pass.
// Smaller tables come from calloc.
#pragma once

#include <cstddef>
#include <type_traits>
#include <utility>

namespace annal::store {

// Touches every page of [p, p + bytes) by writing a zero byte to it, so later first writes do
// not page-fault. Only for memory that holds no objects yet or is zero already.
void FaultInPages(void* p, size_t bytes);

namespace zeroed_table_internal {
void* Allocate(size_t bytes);
void Free(void* p, size_t bytes);
}  // namespace zeroed_table_internal

template <class T>
class ZeroedTable {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);

 public:
  ZeroedTable() = default;
  explicit ZeroedTable(size_t n)
      : data_(static_cast<T*>(zeroed_table_internal::Allocate(n * sizeof(T)))), size_(n) {}
  ZeroedTable(ZeroedTable&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}
  ZeroedTable& operator=(ZeroedTable&& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    return *this;
  }
  ~ZeroedTable() { zeroed_table_internal::Free(data_, size_ * sizeof(T)); }

  size_t size() const { return size_; }
  // Touches every page, so the first writes to the table do not page-fault (the bytes stay
  // zero). For callers that can fault a table in ahead, outside their locks.
  void FaultIn() { FaultInPages(data_, size_ * sizeof(T)); }
  bool empty() const { return size_ == 0; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  T* begin() { return data_; }
  T* end() { return data_ + size_; }
  const T* begin() const { return data_; }
  const T* end() const { return data_ + size_; }

 private:
  T* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace annal::store
