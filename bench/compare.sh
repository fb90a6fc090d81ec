#!/usr/bin/env bash
# Annal vs PostgreSQL vs Redis on this machine, in one run, with equal durability
# (docs/benchmarks.md, "Annal vs PostgreSQL vs Redis"). Every system gets the same workload from
# one driver, bench/loadgen (annal-loadgen).
#
#   bench/compare.sh                          the full matrix, RUNS=3, medians (about 1.5 hours)
#   QUICK=1 bench/compare.sh                  smoke test: 1 run x 3 s of a small matrix (< 2 min)
#   CLIENTS="16 64" BATCHES=1 bench/compare.sh   a slice of the matrix
#   DOC=/tmp/b.md IMG_DIR=/tmp/img QUICK=1 bench/compare.sh   leave docs/ alone (QUICK=1 also
#                                             writes the report, marked as a smoke run)
#
# Knobs (environment), full-run defaults first, QUICK=1's in brackets:
#   RUNS=3 [1]  DURATION=10 [3]  WARMUP=2 [0.5]   seconds per measurement
#   CLIENTS="1 4 16 64" [4 16]   BATCHES="1 100 1000" [1 100]   PAYLOADS="100 1024" [100]
#   READERS="0 4" [0 2]          concurrent 100-event stream readers next to the writers
#   ENTITIES=1000  SYSTEMS="annal postgres redis"  LOADGEN_THREADS=1  JOBS=2 (build)
#   BENCH_DIR=build/bench        data dirs: on the repository's file system, not tmpfs
#   DOC=docs/benchmarks.md IMG_DIR=docs/img   where the report goes (bench/compare_report.sh)
#
# Per run, per workload, per system: start the system on a fresh data dir and a free loopback
# port, run annal-loadgen (warm-up + measured window), then check the driver against the store:
# the events the system holds must equal the events the driver saw acknowledged (Annal's
# /api/v1/stats, count(*) in PostgreSQL, the sum of XLEN in Redis); then stop it by PID. Runs are
# the outer loop, so the medians are over runs spread across the whole session. Raw results stay
# in build/bench/compare-last/results.jsonl. Exits 1 if any request failed or any count did not
# match (after writing the report, which says so).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

QUICK=${QUICK:-0}
if [[ $QUICK == 1 ]]; then
  RUNS=${RUNS:-1} DURATION=${DURATION:-3} WARMUP=${WARMUP:-0.5}
  CLIENTS=${CLIENTS:-"4 16"} BATCHES=${BATCHES:-"1 100"} PAYLOADS=${PAYLOADS:-100}
  READERS=${READERS:-"0 2"}
fi
RUNS=${RUNS:-3}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CLIENTS=${CLIENTS:-"1 4 16 64"}
BATCHES=${BATCHES:-"1 100 1000"}
PAYLOADS=${PAYLOADS:-"100 1024"}
READERS=${READERS:-"0 4"}
ENTITIES=${ENTITIES:-1000}
SYSTEMS=${SYSTEMS:-"annal postgres redis"}
LOADGEN_THREADS=${LOADGEN_THREADS:-1}
JOBS=${JOBS:-2}
export DOC=${DOC:-docs/benchmarks.md} IMG_DIR=${IMG_DIR:-docs/img}

bash scripts/install-deps.sh --bench
cmake --preset release -DANNAL_BUILD_BENCH=ON >/dev/null
cmake --build build -j "$JOBS" --target annal annal-loadgen
loadgen=$ROOT/build/bench/loadgen/annal-loadgen

# /tmp may be tmpfs, where fdatasync is free: keep the data dirs on the repository's file system.
BENCH_DIR=${BENCH_DIR:-$ROOT/build/bench}
mkdir -p "$BENCH_DIR"
work=$(mktemp -d "$BENCH_DIR/compare.XXXXXX")
chmod 755 "$work"  # PostgreSQL runs as the postgres user when we are root
out=$BENCH_DIR/compare-last
rm -rf "$out" && mkdir -p "$out"

source "$ROOT/bench/compare_peers.sh"
cleanup_on_exit "$work"

results=$out/results.jsonl
: >"$results"
{
  echo "date=$(date -u +%Y-%m-%dT%H:%MZ)"
  echo "commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo -dirty)"
  echo "quick=$QUICK"
  echo "runs=$RUNS"
  echo "duration=$DURATION"
  echo "warmup=$WARMUP"
  echo "entities=$ENTITIES"
  echo "cpus=$(nproc)"
  echo "mem=$(free -g | awk '/^Mem:/ { print $2 }') GiB"
  echo "load=$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "fs=$(df -T "$work" | awk 'NR == 2 { print $2 " on " $7 }')"
  echo "annal=$("$ROOT/build/annal" --version | awk '{ print $2 }')"
  echo "postgres=$("$PG_BIN/postgres" --version | awk '{ print $3 }') ($(dpkg-query -W -f='${Version}' postgresql-15))"
  echo "redis=$(redis-server --version | sed 's/.* v=\([^ ]*\).*/\1/') ($(dpkg-query -W -f='${Version}' redis-server))"
} >"$out/environment.txt"
cat "$out/environment.txt"

if [[ " $SYSTEMS " == *" postgres "* ]]; then
  pg_template=$work/pg-template
  make_pg_template "$pg_template" "$work/initdb.log"
fi

total=0
for _ in $(seq 1 "$RUNS"); do for _ in $PAYLOADS; do for _ in $BATCHES; do for _ in $CLIENTS; do
  for _ in $READERS; do for _ in $SYSTEMS; do total=$((total + 1)); done; done
done; done; done; done
echo "compare: $total measurements of ${DURATION}s (+${WARMUP}s warm-up)"

failures=0
done_count=0
# measure SYSTEM CLIENTS BATCH PAYLOAD READERS RUN: one measurement, one line in results.jsonl.
measure() {
  local system=$1 clients=$2 batch=$3 payload=$4 readers=$5 run=$6
  local dir=$work/$system-data log=$work/$system.log json rc=0 stored acked verdict
  # Write back what the previous measurement (and copying PostgreSQL's template) left dirty, so
  # no system pays for another's page cache in its fdatasyncs.
  sync -f "$work"
  "start_$system" "$dir" "$log"
  json=$("$loadgen" --target "$system" --port "$port" --clients "$clients" --readers "$readers" \
    --batch "$batch" --payload-bytes "$payload" --entities "$ENTITIES" --duration "$DURATION" \
    --warmup "$WARMUP" --threads "$LOADGEN_THREADS" --seed "$run" \
    --label "run $run" 2>>"$out/loadgen-stderr.log") || rc=$?
  if ((rc == 2)) || [[ -z $json ]]; then
    tail -n 20 "$log" >&2
    echo "compare: annal-loadgen could not run against $system (exit $rc); see $out/loadgen-stderr.log" >&2
    exit 1
  fi
  stored=$("count_$system") || stored=-1
  [[ $stored =~ ^[0-9]+$ ]] || stored=-1
  stop_peer
  cp "$log" "$out/last-$system.log"
  rm -rf "$dir"
  acked=$(jq -r .acked_events_total <<<"$json")
  verdict="stored $stored = acked"
  if [[ $stored != "$acked" ]]; then
    verdict="MISMATCH: stored $stored, acked $acked"
    failures=$((failures + 1))
  fi
  if [[ $(jq -r .errors.total <<<"$json") != 0 ]]; then
    verdict="$verdict; ERRORS $(jq -c .errors.by_kind <<<"$json")"
    failures=$((failures + 1))
  fi
  json=$(jq -c --arg system "$system" --argjson run "$run" --argjson stored "$stored" \
    '. + {system: $system, run: $run, stored_events: $stored}' <<<"$json")
  echo "$json" >>"$results"
  done_count=$((done_count + 1))
  jq -r --arg n "[$done_count/$total]" --arg v "$verdict" \
    '"\($n) \(.system) run \(.run) c=\(.clients) b=\(.batch) p=\(.payload_bytes) r=\(.readers): " +
     "\(.events_per_s | floor) events/s, write p50 \(.write.latency_ms.p50) p99 \(.write.latency_ms.p99) ms" +
     (if .readers > 0 then ", read p99 \(.read.latency_ms.p99) ms" else "" end) +
     ", driver \(.driver.cpu_pct_of_one_core | floor)% CPU | \($v)"' <<<"$json"
}

for run in $(seq 1 "$RUNS"); do
  for payload in $PAYLOADS; do
    for batch in $BATCHES; do
      for clients in $CLIENTS; do
        for readers in $READERS; do
          for system in $SYSTEMS; do measure "$system" "$clients" "$batch" "$payload" "$readers" "$run"; done
        done
      done
    done
  done
done

bash "$ROOT/bench/compare_report.sh" "$out"
if ((failures > 0)); then
  echo "compare: $failures measurement problems (errors or count mismatches); see above and $results" >&2
  exit 1
fi
echo "compare: every count matched, no request failed"
