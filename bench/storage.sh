#!/usr/bin/env bash
# Storage benchmark (docs/benchmarks.md, "Storage benchmark"): checkpoint throughput, Parquet
# size vs raw event JSON, restart time and memory after restart, on the embedded store
# (bench/storage_bench.cc).
#
#   bench/storage.sh                        1M and 5M events, zstd and snappy, 3 runs, medians
#   SIZES="1000000" RUNS=1 bench/storage.sh quick look
#   BENCH_DIR=/mnt/disk/tmp bench/storage.sh   data dirs elsewhere
#
# Per run and size, on a fresh data dir: `storage_bench load` appends the events (1000-event
# batches, --wal-sync never, no periodic checkpoint) and times one Checkpoint() that writes them
# all; then `storage_bench open` times EventStore::Open in a new process and reads VmRSS before
# and after. Only the load is repeated per codec; restart is measured on the zstd data dir.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

RUNS=${RUNS:-3}
SIZES=${SIZES:-"1000000 5000000"}
CODECS=${CODECS:-"zstd snappy"}
JOBS=${JOBS:-2}

bash scripts/install-deps.sh
cmake --preset release -DANNAL_BUILD_BENCH=ON >/dev/null
cmake --build build -j "$JOBS" --target storage_bench
bin=$ROOT/build/bench/storage_bench

# /tmp may be tmpfs; keep the data on the repository's file system like bench/run.sh.
BENCH_DIR=${BENCH_DIR:-$ROOT/build/bench}
mkdir -p "$BENCH_DIR"
work=$(mktemp -d "$BENCH_DIR/storage.XXXXXX")
trap 'rm -rf "$work"' EXIT

# median of the numbers on stdin
median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
# field NAME from key=value lines on stdin
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }

echo "bench: annal $(git describe --always --dirty 2>/dev/null || echo '?'), $(nproc) CPUs, data in $BENCH_DIR, $RUNS runs"
results=$work/results.txt
: >"$results"
for size in $SIZES; do
  for run in $(seq 1 "$RUNS"); do
    for codec in $CODECS; do
      dir=$work/d-$size-$codec
      rm -rf "$dir"
      line=$("$bin" load "$dir" "$size" "$codec" 2>>"$work/log" | grep "^mode=")
      echo "run $run: $line"
      echo "$line" >>"$results"
      if [[ $codec == zstd ]]; then
        line=$("$bin" open "$dir" 2>>"$work/log" | grep "^mode=")
        echo "run $run: $line"
        echo "$line" >>"$results"
      fi
      rm -rf "$dir"
    done
  done
done

echo
echo "medians of $RUNS runs:"
printf '%-10s %-7s %14s %16s %14s %16s %8s\n' events codec checkpoint_s events/s json_MB/s parquet_MB ratio
for size in $SIZES; do
  for codec in $CODECS; do
    sel() { grep "mode=load events=$size codec=$codec " "$results" | sed 's/^/ /' | field "$1" | median; }
    pb=$(sel parquet_bytes)
    printf '%-10s %-7s %14s %16s %14s %16.1f %8s\n' "$size" "$codec" "$(sel checkpoint_s)" \
      "$(sel checkpoint_events_per_s)" "$(sel checkpoint_json_mb_per_s)" "$(echo "$pb" | awk '{print $1/1e6}')" \
      "$(sel ratio)"
  done
done
echo
printf '%-10s %10s %20s\n' events open_s rss_MiB_per_million
for size in $SIZES; do
  sel() { grep "mode=open events=$size " "$results" | sed 's/^/ /' | field "$1" | median; }
  printf '%-10s %10s %20s\n' "$size" "$(sel open_s)" "$(sel rss_mb_per_million)"
done
