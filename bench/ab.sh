#!/usr/bin/env bash
# A/B of two Annal binaries under one workload: interleaved runs, each on a fresh data dir, for
# a change's effect as a ratio (docs/benchmarks.md, "issue 5 change log"). Keep a copy of the
# binary before the change, rebuild, then compare:
#
#   cp build/annal /tmp/annal.before   # ...change, rebuild...
#   bench/ab.sh /tmp/annal.before build/annal
#   PAIRS=6 CLIENTS=64 BATCH=1 bench/ab.sh A B       single appends instead of batches
#
# Knobs (environment): PAIRS=4  CLIENTS=16  BATCH=1000  READERS=0  PAYLOAD=100  ENTITIES=1000
#   DURATION=8  WARMUP=1  BENCH_DIR=build/bench (data dirs: not on tmpfs, where fsync is free)
#
# Each pair runs A, then B (`annal serve --wal-sync always` on a free loopback port, then
# annal-loadgen), and checks that the server holds exactly the events the driver saw
# acknowledged. Prints per run: events/s, write p99, reads/s and read p99 / p99.9 (with
# READERS), the server's CPU per event, the slowest and fastest second's events; per pair:
# B ÷ A (of events/s); at the end the median ratio. On this VM single runs move by ±15%, so
# only ratios from pairs, and several of them, say anything. Every server is stopped by its
# PID. Release binaries only: benchmark nothing else.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

if [[ $# -ne 2 ]]; then
  sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
A=$(realpath "$1") B=$(realpath "$2")
for bin in "$A" "$B"; do [[ -x $bin ]] || { echo "ab: $bin is not an executable" >&2; exit 2; }; done
PAIRS=${PAIRS:-4} CLIENTS=${CLIENTS:-16} BATCH=${BATCH:-1000} READERS=${READERS:-0}
PAYLOAD=${PAYLOAD:-100} ENTITIES=${ENTITIES:-1000} DURATION=${DURATION:-8} WARMUP=${WARMUP:-1}

loadgen=$ROOT/build/bench/loadgen/annal-loadgen
if [[ ! -x $loadgen ]]; then
  cmake --preset release -DANNAL_BUILD_BENCH=ON >/dev/null
  cmake --build build -j "${JOBS:-2}" --target annal-loadgen
fi
BENCH_DIR=${BENCH_DIR:-$ROOT/build/bench}
mkdir -p "$BENCH_DIR"
work=$(mktemp -d "$BENCH_DIR/ab.XXXXXX")

source "$ROOT/bench/compare_peers.sh"
cleanup_on_exit "$work"

ticks=$(getconf CLK_TCK)
# run BINARY LABEL: one measurement; prints a line and sets $rate.
run() {
  local bin=$1 label=$2 json stored acked cpu_ticks
  ANNAL_BIN=$bin start_annal "$work/data" "$work/annal.log"
  json=$("$loadgen" --target annal --port "$port" --clients "$CLIENTS" --batch "$BATCH" \
    --readers "$READERS" --payload-bytes "$PAYLOAD" --entities "$ENTITIES" \
    --duration "$DURATION" --warmup "$WARMUP")
  stored=$(count_annal)
  cpu_ticks=$(awk '{ print $14 + $15 }' "/proc/$peer_pid/stat")
  stop_peer
  rm -rf "$work/data"
  acked=$(jq -r .acked_events_total <<<"$json")
  if [[ $stored != "$acked" || $(jq -r .errors.total <<<"$json") != 0 ]]; then
    echo "ab: $label: stored $stored, acked $acked, errors $(jq -c .errors <<<"$json")" >&2
    exit 1
  fi
  rate=$(jq -r .events_per_s <<<"$json")
  printf '%s  %12.0f events/s  write p99 %8.2f ms' "$label" "$rate" "$(jq -r .write.latency_ms.p99 <<<"$json")"
  if ((READERS > 0)); then
    printf '  reads %6.0f/s  read p99 %6.2f ms  p99.9 %6.2f ms' "$(jq -r .read.requests_per_s <<<"$json")" \
      "$(jq -r .read.latency_ms.p99 <<<"$json")" "$(jq -r .read.latency_ms.p99_9 <<<"$json")"
  fi
  # The server's CPU over its whole life (warm-up included) per event it stored.
  printf '  server %.2f µs/event' "$(bc -l <<<"$cpu_ticks / $ticks * 1000000 / $stored")"
  # The slowest and fastest whole second of the window: a rate that sags late in a run shows
  # here and not in the mean (the last second is left out when the duration is fractional).
  printf '  per second %s\n' "$(jq -r --argjson d "$DURATION" '.write.events_by_second
    | .[0:($d | floor)] | if length == 0 then "-" else "\(min)-\(max)" end' <<<"$json")"
}

echo "ab: A = $A"
echo "ab: B = $B"
echo "ab: $PAIRS pairs; $CLIENTS clients, batch $BATCH, $READERS readers, ${PAYLOAD} B payloads, ${DURATION} s (+${WARMUP} s warm-up)"
ratios=()
for i in $(seq 1 "$PAIRS"); do
  run "$A" "pair $i A"
  a=$rate
  run "$B" "pair $i B"
  ratios+=("$(bc -l <<<"$rate / $a")")
  printf 'pair %d: B / A = %.3f\n' "$i" "${ratios[-1]}"
done
printf '%s\n' "${ratios[@]}" | sort -g | awk '{ r[NR] = $1 } END {
  m = NR % 2 ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2
  printf "ab: B / A per pair %.3f to %.3f, median %.3f\n", r[1], r[NR], m }'
