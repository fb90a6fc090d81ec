#!/usr/bin/env bash
# Replication benchmarks (issue 4), release build, durable (--wal-sync always) on every node:
#   (a) batch ingest on a leader with one follower: semi-sync as a ratio of async (goal >= 0.7)
#   (b) WAL catch-up: a follower that starts after CATCHUP_EVENTS were written -> events/s
#   (c) snapshot transfer: a follower beyond the WAL range -> MB/s of Parquet installed
#   (d) replication lag at a fixed write rate: leader ack -> event readable on the follower,
#       p50/p99 (bench/replication_lag.mjs)
#
#   bench/replication.sh                    RUNS=3, medians printed
#   RUNS=1 DURATION=5 bench/replication.sh  quick
# Every process it starts is stopped by PID. Needs wrk (scripts/install-deps.sh --bench), node.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

RUNS=${RUNS:-3}
DURATION=${DURATION:-10}
BATCH_CONNS=${BATCH_CONNS:-4}
CATCHUP_EVENTS=${CATCHUP_EVENTS:-1000000}
SNAPSHOT_EVENTS=${SNAPSHOT_EVENTS:-1000000}
LAG_RATE=${LAG_RATE:-500}        # writes/s for the lag probe
LAG_SECONDS=${LAG_SECONDS:-10}
JOBS=${JOBS:-2}

bash scripts/install-deps.sh --bench
cmake --preset release >/dev/null
cmake --build build -j "$JOBS" --target annal
BENCH_DIR=${BENCH_DIR:-$ROOT/build/bench}  # not /tmp: tmpfs would make fdatasync free
mkdir -p "$BENCH_DIR"
work=$(mktemp -d "$BENCH_DIR/repl.XXXXXX")
pids=()

stop_pid() {
  local pid=$1
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
stop_all() { for p in "${pids[@]}"; do stop_pid "$p"; done; pids=(); }
cleanup() { stop_all; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# start NAME ARGS... -> sets http_port (and repl_port when the node serves replication)
start() {
  local name=$1; shift
  local log="$work/$name.log"
  ./build/annal serve --data-dir "$work/$name" --host 127.0.0.1 --port 0 --wal-sync always \
    --log-level info "$@" >"$log" 2>&1 &
  pids+=($!)
  http_port="" repl_port=""
  for _ in $(seq 1 600); do
    http_port=$(sed -n 's/.*listening on http:\/\/[^ ]*:\([0-9]\+\).*/\1/p' "$log" | head -n1)
    if [[ -n $http_port ]] && curl -fsS -o /dev/null "http://127.0.0.1:$http_port/health"; then
      repl_port=$(sed -n 's/.*replication listening on [^ ]*:\([0-9]\+\).*/\1/p' "$log" | head -n1)
      return 0
    fi
    kill -0 "${pids[-1]}" 2>/dev/null || { cat "$log" >&2; echo "bench: $name did not start" >&2; exit 1; }
    sleep 0.1
  done
  echo "bench: $name did not answer /health" >&2; exit 1
}
wrk_batch() {  # wrk_batch PORT SECONDS -> RESULT line
  wrk -t 2 -c "$BATCH_CONNS" -d "${2}s" --timeout 30s -s "$ROOT/bench/lua/batch.lua" "http://127.0.0.1:$1" | grep '^RESULT'
}
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }
jfield() { curl -fsS "http://127.0.0.1:$1/health" | node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{const h=JSON.parse(s);console.log(eval('h.'+process.argv[1]))})" "$2"; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
now() { date +%s.%N; }
wait_replayed() {  # wait_replayed FOLLOWER_PORT LSN
  until [[ $(jfield "$1" replication.last_replayed_offset) -ge $2 ]]; do sleep 0.05; done
}
# fill PORT EVENTS: batch-ingests about EVENTS events (whole 1000-event batches)
fill() {
  local have=0
  while (( have < $2 )); do
    wrk -t 2 -c 4 -d 5s --timeout 30s -s "$ROOT/bench/lua/batch.lua" "http://127.0.0.1:$1" >/dev/null
    have=$(curl -fsS "http://127.0.0.1:$1/api/v1/stats" | sed -n 's/.*"total_events":\([0-9]*\).*/\1/p')
  done
  echo "$have"
}

echo "bench: annal $(./build/annal --version | awk '{print $2}'), $(nproc) CPUs, $RUNS runs"
ingest_async=() ingest_semi=() ratio=() catchup=() snap_mbs=() snap_total=() lag50=() lag99=()
for run in $(seq 1 "$RUNS"); do
  # (a) ingest with one follower, async then semi-sync
  for mode in async semi-sync; do
    start "leader-$mode-$run" --replication-port 0 --replication-mode "$mode"
    lp=$http_port rp=$repl_port
    start "follower-$mode-$run" --role follower --leader "127.0.0.1:$rp"
    wrk_batch "$lp" 2 >/dev/null
    r=$(wrk_batch "$lp" "$DURATION")
    [[ $(field non2xx "$r") == 0 ]] || { echo "bench: $mode ingest had errors: $r" >&2; exit 1; }
    eps=$(awk -v x="$(field rps "$r")" 'BEGIN { printf "%.0f", x * 1000 }')
    if [[ $mode == async ]]; then ingest_async+=("$eps"); else ingest_semi+=("$eps"); fi
    stop_all; rm -rf "$work"/*-"$mode"-"$run"
  done
  ratio+=("$(awk -v a="${ingest_async[-1]}" -v s="${ingest_semi[-1]}" 'BEGIN { printf "%.2f", s / a }')")

  # (b) WAL catch-up: CATCHUP_EVENTS written first (all inside the WAL retention)
  start "leader-c-$run" --replication-port 0 --wal-retention 64GiB
  lp=$http_port rp=$repl_port
  n=$(fill "$lp" "$CATCHUP_EVENTS")
  t0=$(now)
  start "follower-c-$run" --role follower --leader "127.0.0.1:$rp"
  wait_replayed "$http_port" "$n"
  catchup+=("$(awk -v n="$n" -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.0f", n / (b - a) }')")
  stop_all; rm -rf "$work"/*-c-"$run"

  # (c) snapshot: old segments deleted, everything checkpointed
  start "leader-s-$run" --replication-port 0 --wal-retention 0 --wal-segment-bytes 8MiB \
    --checkpoint-interval 1s
  lp=$http_port rp=$repl_port ldir="$work/leader-s-$run"
  n=$(fill "$lp" "$SNAPSHOT_EVENTS")
  until [[ $(ls "$ldir/wal" | head -n1) != wal-00000000000000000001.log ]]; do sleep 0.2; done
  bytes=$(du -cb "$ldir"/storage/*.parquet | tail -n1 | cut -f1)
  t0=$(now)
  start "follower-s-$run" --role follower --leader "127.0.0.1:$rp"
  until [[ $(jfield "$http_port" replication.snapshots_received) -ge 1 ]]; do sleep 0.05; done
  t1=$(now)
  # Transfer alone: from the follower's "receiving a snapshot" to its "snapshot: installed"
  # log lines (chunks on disk and verified, files renamed into place, manifest committed).
  flog="$work/follower-s-$run.log"
  ts() { grep -m1 "$1" "$flog" | awk '{ print $1 }' | sed 's/Z$//' | xargs -I{} date -d {} +%s.%N; }
  snap_mbs+=("$(awk -v b="$bytes" -v a="$(ts 'receiving a snapshot')" -v c="$(ts 'snapshot: installed')" 'BEGIN { printf "%.1f", b / 1e6 / (c - a) }')")
  snap_total+=("$(awk -v a="$t0" -v c="$t1" 'BEGIN { printf "%.2f", c - a }')")
  stop_all; rm -rf "$work"/*-s-"$run"

  # (d) lag at a fixed rate (async: the leader answers at its own durability)
  start "leader-l-$run" --replication-port 0
  lp=$http_port rp=$repl_port
  start "follower-l-$run" --role follower --leader "127.0.0.1:$rp"
  r=$(node bench/replication_lag.mjs "$lp" "$http_port" "$LAG_RATE" "$LAG_SECONDS")
  lag50+=("$(field p50_ms " $r")") lag99+=("$(field p99_ms " $r")")
  stop_all; rm -rf "$work"/*-l-"$run"

  echo "run $run: ingest async ${ingest_async[-1]} ev/s, semi-sync ${ingest_semi[-1]} ev/s (ratio ${ratio[-1]}) |" \
       "catch-up of $n events ${catchup[-1]} ev/s | snapshot ${snap_mbs[-1]} MB/s (${snap_total[-1]} s from start to serving) |" \
       "lag p50 ${lag50[-1]} ms p99 ${lag99[-1]} ms"
done

echo
echo "Medians of $RUNS runs (leader and follower on this machine, --wal-sync always)"
printf '  %-58s %s\n' \
  "batch ingest, async, 1 follower (events/s)" "$(median "${ingest_async[@]}")" \
  "batch ingest, semi-sync, 1 follower (events/s)" "$(median "${ingest_semi[@]}")" \
  "semi-sync / async (goal >= 0.7)" "$(median "${ratio[@]}")" \
  "WAL catch-up (events/s, goal >= 200000)" "$(median "${catchup[@]}")" \
  "snapshot transfer, chunks to installed files (MB/s of Parquet)" "$(median "${snap_mbs[@]}")" \
  "snapshot: follower start to serving (s)" "$(median "${snap_total[@]}")" \
  "lag at ${LAG_RATE} writes/s, p50 (ms)" "$(median "${lag50[@]}")" \
  "lag at ${LAG_RATE} writes/s, p99 (ms)" "$(median "${lag99[@]}")"
