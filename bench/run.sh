#!/usr/bin/env bash
# Reproducible load benchmark of `annal serve` with durable writes (--wal-sync always).
#
#   bench/run.sh                      3 runs of every measurement, medians printed
#   RUNS=5 DURATION=20 bench/run.sh   more/longer runs
#   BENCH_DIR=/mnt/disk/tmp bench/run.sh   put the data dir (and the fsync probe) elsewhere
#
# Per run, on a fresh data dir:
#   (a) batch ingest: POST /api/v1/events/batch, 1000 events of ~150 B each (distinct entity
#       ids), BATCH_CONNS connections                                        -> events/s
#   (b) single appends: POST /api/v1/events, 64 connections                   -> appends/s, p50, p99
#   (c) the disk's raw write+fdatasync rate on the same filesystem (bench/fsync_probe.cc)
# and the group-commit ratio = single appends/s / fdatasyncs/s (how many appends share a sync).
# Every process it starts is stopped by PID. Needs wrk (scripts/install-deps.sh --bench).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

RUNS=${RUNS:-3}
DURATION=${DURATION:-10}          # seconds per wrk measurement
WARMUP=${WARMUP:-2}               # seconds of unmeasured load before each measurement
THREADS=${THREADS:-2}             # wrk threads
SINGLE_CONNS=${SINGLE_CONNS:-64}
BATCH_CONNS=${BATCH_CONNS:-4}
FSYNC_COUNT=${FSYNC_COUNT:-1000}
JOBS=${JOBS:-2}

bash scripts/install-deps.sh --bench
cmake --preset release >/dev/null
cmake --build build -j "$JOBS" --target annal
mkdir -p build/bench
probe=build/bench/fsync_probe
if [[ ! -x $probe || bench/fsync_probe.cc -nt $probe ]]; then
  g++ -std=c++20 -O2 -Wall -Wextra -o "$probe" bench/fsync_probe.cc
fi

# Default to a directory on the repository's filesystem: /tmp is often tmpfs, where fdatasync is
# free and the numbers would be meaningless.
BENCH_DIR=${BENCH_DIR:-$ROOT/build/bench}
work=$(mktemp -d "$BENCH_DIR/run.XXXXXX")
server_pid=""

stop_server() {
  [[ -n $server_pid ]] || return 0
  if kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 300); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$server_pid" 2>/dev/null; then
      echo "bench: annal (pid $server_pid) ignored SIGTERM for 30 s; killing it" >&2
      kill -KILL "$server_pid" 2>/dev/null || true
    fi
  fi
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}
cleanup() { stop_server; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts annal on a fresh data dir and an OS-chosen port; sets server_pid and port.
start_server() {
  local data=$1 log=$2
  ./build/annal serve --data-dir "$data" --host 127.0.0.1 --port 0 --wal-sync always \
    --log-level info >"$log" 2>&1 &
  server_pid=$!
  port=""
  for _ in $(seq 1 300); do
    port=$(sed -n 's/.*listening on http:\/\/[^ ]*:\([0-9]\+\).*/\1/p' "$log" | head -n1)
    if [[ -n $port ]] && curl -fsS -o /dev/null "http://127.0.0.1:$port/health"; then return 0; fi
    kill -0 "$server_pid" 2>/dev/null || { cat "$log" >&2; echo "bench: annal did not start" >&2; exit 1; }
    sleep 0.1
  done
  echo "bench: annal did not answer /health within 30 s" >&2
  exit 1
}

# wrk_run SCRIPT CONNS SECONDS -> the RESULT line
wrk_run() {
  wrk -t "$THREADS" -c "$2" -d "${3}s" --timeout 30s -s "$ROOT/bench/lua/$1" "http://127.0.0.1:$port" |
    grep '^RESULT'
}
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }
metric() {  # metric NAME -> value of an unlabelled sample (0 if absent)
  curl -fsS "http://127.0.0.1:$port/metrics" | awk -v n="$1" '$1 == n { print $2; found=1 } END { if (!found) print 0 }'
}
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

fs=$(df -T "$work" | awk 'NR == 2 { print $2 " on " $7 }')
echo "bench: annal $(./build/annal --version | awk '{print $2}'), $(nproc) CPUs, data on $fs, $RUNS runs x ${DURATION}s"

batch_eps=() single_rps=() single_p50=() single_p99=() fsyncs=() ratio=() group=()
for run in $(seq 1 "$RUNS"); do
  start_server "$work/data-$run" "$work/annal-$run.log"

  # (a) batch ingest
  wrk_run batch.lua "$BATCH_CONNS" "$WARMUP" >/dev/null
  r=$(wrk_run batch.lua "$BATCH_CONNS" "$DURATION")
  [[ $(field non2xx "$r") == 0 ]] || { echo "bench: batch run had errors: $r" >&2; exit 1; }
  batch_eps+=("$(awk -v x="$(field rps "$r")" 'BEGIN { printf "%.0f", x * 1000 }')")

  # (b) single appends, with the WAL's own count of fdatasyncs for the average group size
  wrk_run single.lua "$SINGLE_CONNS" "$WARMUP" >/dev/null
  syncs0=$(metric annal_wal_fsync_seconds_count)
  r=$(wrk_run single.lua "$SINGLE_CONNS" "$DURATION")
  syncs1=$(metric annal_wal_fsync_seconds_count)
  [[ $(field non2xx "$r") == 0 ]] || { echo "bench: single run had errors: $r" >&2; exit 1; }
  single_rps+=("$(field rps "$r")")
  single_p50+=("$(awk -v x="$(field p50_us "$r")" 'BEGIN { printf "%.2f", x / 1000 }')")
  single_p99+=("$(awk -v x="$(field p99_us "$r")" 'BEGIN { printf "%.2f", x / 1000 }')")
  group+=("$(awk -v n="$(field requests "$r")" -v s="$syncs1" -v s0="$syncs0" \
            'BEGIN { d = s - s0; if (d > 0) printf "%.1f", n / d; else print "n/a" }')")
  stop_server

  # (c) the disk, same filesystem, nothing else running
  p=$("$probe" "$work" "$FSYNC_COUNT")
  fsyncs+=("$(field per_sec "$p")")
  ratio+=("$(awk -v a="${single_rps[-1]}" -v f="${fsyncs[-1]}" 'BEGIN { printf "%.1f", a / f }')")

  echo "run $run: batch ${batch_eps[-1]} events/s | single ${single_rps[-1]} appends/s," \
       "p50 ${single_p50[-1]} ms, p99 ${single_p99[-1]} ms, ${group[-1]} appends/fsync |" \
       "disk ${fsyncs[-1]} fdatasync/s | ratio ${ratio[-1]}"
  rm -rf "$work/data-$run"
done

echo
echo "Medians of $RUNS runs (durable: --wal-sync always; data on $fs)"
printf '  %-46s %s\n' \
  "batch ingest (1000 x ~150 B, $BATCH_CONNS conns), events/s" "$(median "${batch_eps[@]}")" \
  "single appends ($SINGLE_CONNS conns), appends/s" "$(median "${single_rps[@]}")" \
  "single appends p50 latency, ms" "$(median "${single_p50[@]}")" \
  "single appends p99 latency, ms" "$(median "${single_p99[@]}")" \
  "disk write+fdatasync (4 KiB), per s" "$(median "${fsyncs[@]}")" \
  "group-commit ratio (appends/s / fdatasync/s)" "$(median "${ratio[@]}")"
