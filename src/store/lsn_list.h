// LsnList: an append-only list of ascending LSNs that never moves what it holds.
//
// The entity and event-type indexes append one LSN per event under the store's locks. With a
// std::vector, every doubling copied the whole list into fresh memory there: at 8M events of
// one type that one push_back took ~40 ms, and every appender and reader waited for it. Here
// the list grows by adding a block twice the size of the last one, and nothing is copied.
//
// Entry i lives in block b = bit_width(i + 2) - 2, at offset i + 2 - 2^(b+1); block b holds
// 2^(b+1) entries (2, 4, 8, ...), so a list of n entries has about log2(n) blocks and wastes at
// most as much as a vector would. Blocks are left uninitialized: zeroing a fresh 32 MiB block
// (8192 page faults) took ~20 ms under the locks; untouched, its pages are faulted in one at a
// time as entries arrive.
//
// The list also keeps where its next entry goes and where the last block ends, so push_back
// touches the list itself and the slot it writes, not the array of block pointers: with a
// thousand entity lists filled in turn by ingest threads on both cores, that array's line was
// the cache miss that push_back waited for (change 31 in docs/benchmarks.md).
//
// Not synchronized; guarded like the indexes that own it (see indexes.h).
#pragma once

#include <bit>
#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/types.h"

namespace annal::store {

class LsnList {
 public:
  LsnList() = default;
  // Moves leave `o` empty (its blocks now belong to this list). Not defaulted: a defaulted move
  // would leave o.next_ pointing into blocks it no longer owns.
  LsnList(LsnList&& o) noexcept
      : blocks_(std::exchange(o.blocks_, {})),
        size_(std::exchange(o.size_, 0)),
        next_(std::exchange(o.next_, nullptr)),
        block_end_(std::exchange(o.block_end_, nullptr)) {}
  LsnList& operator=(LsnList&& o) noexcept {
    if (this != &o) {
      blocks_ = std::exchange(o.blocks_, {});
      size_ = std::exchange(o.size_, 0);
      next_ = std::exchange(o.next_, nullptr);
      block_end_ = std::exchange(o.block_end_, nullptr);
    }
    return *this;
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // REQUIRES: i < size().
  Lsn operator[](size_t i) const {
    const Position p = Locate(i);
    return blocks_[p.block].get()[p.offset];
  }
  Lsn front() const { return (*this)[0]; }
  Lsn back() const { return (*this)[size_ - 1]; }

  // REQUIRES: lsn is greater than back() (the list stays ascending).
  void push_back(Lsn lsn) {
    if (next_ == block_end_) AddBlock();
    new (next_++) Lsn(lsn);
    ++size_;
  }

  // Starts loading the slot the next push_back writes, if it exists already.
  void PrefetchNextSlot() const {
    if (next_ != block_end_) __builtin_prefetch(next_, 1);
  }

  // The first index whose LSN is >= lsn (LowerBound) / > lsn (UpperBound), or size().
  size_t LowerBound(Lsn lsn) const { return PartitionPoint([&](Lsn x) { return x < lsn; }); }
  size_t UpperBound(Lsn lsn) const { return PartitionPoint([&](Lsn x) { return x <= lsn; }); }

 private:
  struct Position {
    size_t block;
    size_t offset;
  };
  static Position Locate(size_t i) {
    const size_t j = i + 2;
    const size_t b = static_cast<size_t>(std::bit_width(j)) - 2;
    return {b, j - (size_t{2} << b)};
  }
  static size_t BlockSize(size_t block) { return size_t{2} << block; }

  // The next block, twice the size of the last; next_ and block_end_ move to it.
  void AddBlock() {
    const size_t n = BlockSize(blocks_.size());
    // Owned before the vector grows: a throwing push_back then frees it.
    std::unique_ptr<Lsn, FreeBlock> block(static_cast<Lsn*>(::operator new(n * sizeof(Lsn))));
    blocks_.push_back(std::move(block));
    next_ = blocks_.back().get();
    block_end_ = next_ + n;
  }

  // The first index where `before` is false; `before` holds for a prefix of the list.
  template <typename Pred>
  size_t PartitionPoint(Pred before) const {
    size_t lo = 0, hi = size_;
    while (lo < hi) {
      const size_t mid = lo + (hi - lo) / 2;
      if (before((*this)[mid])) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  struct FreeBlock {
    void operator()(Lsn* block) const { ::operator delete(block); }
  };
  static_assert(std::is_trivially_destructible_v<Lsn>);

  std::vector<std::unique_ptr<Lsn, FreeBlock>> blocks_;  // raw storage; the first size_ are set
  size_t size_ = 0;
  Lsn* next_ = nullptr;       // where entry size_ goes: in the last block, or == block_end_
  Lsn* block_end_ = nullptr;  // one past the last block (null while there is none)
};

// Number of leading entries of an ascending LSN list that are <= visible. Scans from the back
// because only the (short) pending tail is ever beyond the watermark.
inline size_t VisibleEnd(const LsnList& lsns, Lsn visible) {
  size_t n = lsns.size();
  while (n > 0 && lsns[n - 1] > visible) --n;
  return n;
}

}  // namespace annal::store
