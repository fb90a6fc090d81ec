// Compactor: merges runs of small adjacent Parquet files into one (DESIGN §4), so a store
// that checkpoints often does not end up with thousands of tiny files.
//
// A merge of files F1..Fn (adjacent LSN ranges) is:
//   1. write events-<F1.first>-<Fn.last>.parquet.tmp and fsync it; rename; fsync the directory;
//   2. commit a manifest that lists the merged file instead of F1..Fn (the commit point);
//   3. delete F1..Fn, except pinned ones, which go when their last pin is dropped.
// Before 2 the merged file is an orphan and F1..Fn are live; after 2 the merged file is live
// and F1..Fn are orphans (if a crash kept them). The checkpoint LSN never changes, so the WAL
// is not involved. docs/format/storage.md.
//
// REQUIRES: one compaction or checkpoint of a catalog at a time (see checkpointer.h).
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "core/status.h"
#include "storage/catalog.h"
#include "storage/crash_points.h"
#include "storage/event_source.h"
#include "storage/manifest.h"
#include "storage/parquet/event_file.h"

namespace annal::storage {

struct CompactionOptions {
  bool enabled = true;
  // Files smaller than this are merged with their small neighbours, as long as the merged
  // file stays within it (sum of input sizes, a good estimate with the same codec).
  uint64_t target_bytes = 64ull << 20;
  // Caps the rows of a merged file (the writer holds pointers to all of them).
  uint64_t max_rows = 4'000'000;
  // Merges fewer files than this are not worth a rewrite.
  size_t min_files = 2;
};

struct CompactionResult {
  size_t merges = 0;
  size_t files_in = 0;
  uint64_t rows = 0;
};

class Compactor {
 public:
  Compactor(Catalog* catalog, CompactionOptions options, ParquetWriteOptions parquet)
      : catalog_(catalog), options_(options), parquet_(parquet) {}

  // The runs [begin, end) of manifest.files that a compaction would merge, in LSN order.
  static std::vector<std::pair<size_t, size_t>> PlanMerges(const Manifest& manifest,
                                                           const CompactionOptions& options);

  // Merges every planned run (one manifest commit per merge). A no-op when disabled.
  Result<CompactionResult> Run(const EventSource& source, const CrashHook& hook = {});

 private:
  Catalog* const catalog_;
  const CompactionOptions options_;
  const ParquetWriteOptions parquet_;
};

}  // namespace annal::storage
