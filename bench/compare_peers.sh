# Sourced by bench/compare.sh: start, count and stop the systems under test — a release Annal,
# PostgreSQL 15 and Redis 7 from Debian's packages — each on loopback, on a fresh data dir, with
# the same durability: nothing is acknowledged before it is fdatasync'ed.
#   annal:    --wal-sync always
#   postgres: fsync=on, synchronous_commit=on, wal_sync_method=fdatasync, full_page_writes=on
#   redis:    appendonly yes, appendfsync always (RDB snapshots off: the AOF is the durability)
#
# start_<system> DIR LOG  sets $port and $peer_pid (start_annal runs $ANNAL_BIN, by default
# build/annal); count_<system> prints the events stored;
# stop_peer stops $peer_pid. Every PID started is remembered in $started_pids, and
# stop_started_peers (run by the EXIT trap that cleanup_on_exit sets) stops whatever is still
# running: only those PIDs, never processes by name, since other people's servers may run on
# the same machine.

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
declare -A started_pids=()  # pid -> the signal that shuts it down cleanly
peer_pid=""
port=""

peer_log() { echo "compare: $*" >&2; }

# A TCP port nothing listens on now (a later bind may still lose a race; start_* then fails).
free_port() {
  local p
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
  done
  peer_log "no free port found"
  return 1
}

# launch SIGNAL LOG CMD... : runs CMD in the background (exec'ing, so $! is the server itself).
launch() {
  local signal=$1 log=$2
  shift 2
  "$@" >"$log" 2>&1 &
  peer_pid=$!
  started_pids[$peer_pid]=$signal
}

# stop_pid PID: the clean-shutdown signal, up to 60 s, then SIGKILL; reaps it.
stop_pid() {
  local pid=$1 signal=${started_pids[$1]:-TERM}
  if kill -0 "$pid" 2>/dev/null; then
    kill "-$signal" "$pid" 2>/dev/null || true
    for _ in $(seq 1 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      peer_log "pid $pid ignored SIG$signal for 60 s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  wait "$pid" 2>/dev/null || true
  unset "started_pids[$pid]"
}

stop_peer() {
  if [[ -n $peer_pid ]]; then stop_pid "$peer_pid"; fi
  peer_pid=""
}

stop_started_peers() {
  local pid
  for pid in "${!started_pids[@]}"; do stop_pid "$pid"; done
}

# cleanup_on_exit DIR: when the script ends (or is interrupted), stop every peer it started and
# remove DIR, its scratch directory.
cleanup_on_exit() {
  peers_scratch=$1
  trap 'stop_started_peers; rm -rf "$peers_scratch"' EXIT
  trap 'exit 130' INT TERM
}

# wait_until LOG WHAT CMD...: polls CMD for up to 30 s while $peer_pid lives.
wait_until() {
  local log=$1 what=$2
  shift 2
  for _ in $(seq 1 300); do
    "$@" >/dev/null 2>&1 && return 0
    if ! kill -0 "$peer_pid" 2>/dev/null; then
      tail -n 20 "$log" >&2
      peer_log "$what exited during start-up"
      return 1
    fi
    sleep 0.1
  done
  tail -n 20 "$log" >&2
  peer_log "$what did not become ready within 30 s"
  return 1
}

# --- Annal -------------------------------------------------------------------------------------

start_annal() {
  local dir=$1 log=$2
  launch TERM "$log" "${ANNAL_BIN:-$ROOT/build/annal}" serve --data-dir "$dir" --host 127.0.0.1 --port 0 \
    --wal-sync always --log-level info
  annal_port() {
    port=$(sed -n 's/.*listening on http:\/\/[^ ]*:\([0-9]\+\).*/\1/p' "$log" | head -n1)
    [[ -n $port ]] && curl -fsS -o /dev/null "http://127.0.0.1:$port/health"
  }
  wait_until "$log" annal annal_port
}

count_annal() { curl -fsS "http://127.0.0.1:$port/api/v1/stats" | jq -e .total_events; }

# --- PostgreSQL --------------------------------------------------------------------------------
# initdb and postgres refuse to run as root: as root, they run as the Debian package's postgres
# user (setpriv execs, so the PID is the postmaster's).

as_postgres=()
if [[ $(id -u) == 0 ]]; then
  as_postgres=(setpriv --reuid=postgres --regid=postgres --init-groups --)
fi

pg_psql() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres "$@"; }

# make_pg_template DIR LOG: an initialised cluster with the events table, copied for every
# measurement (initdb once, not per run).
make_pg_template() {
  local dir=$1 log=$2
  mkdir -p "$dir"
  if [[ $(id -u) == 0 ]]; then chown postgres:postgres "$dir"; fi
  chmod 700 "$dir"
  "${as_postgres[@]}" "$PG_BIN/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 --locale=C >"$log" 2>&1 ||
    { cat "$log" >&2; peer_log "initdb failed"; return 1; }
  start_postgres_in "$dir" "$log.start"
  pg_psql <<'SQL'
CREATE TABLE events (
  sequence bigserial PRIMARY KEY,
  event_id uuid UNIQUE NOT NULL,
  tenant_id text,
  event_type text,
  entity_id text NOT NULL,
  payload jsonb,
  metadata jsonb,
  timestamp timestamptz DEFAULT now(),
  entity_version bigint
);
CREATE INDEX events_entity_sequence ON events (entity_id, sequence);
SQL
  stop_peer
}

start_postgres_in() {
  local dir=$1 log=$2
  port=$(free_port)
  # Equal durability with Annal's --wal-sync always: every commit is fdatasync'ed before the
  # answer. The rest is ordinary tuning for a 24 GiB machine, so PostgreSQL is not handicapped by
  # 128 MB of shared buffers or a checkpoint every 1 GB of WAL during a run.
  launch INT "$log" "${as_postgres[@]}" "$PG_BIN/postgres" -D "$dir" -p "$port" \
    -c listen_addresses=127.0.0.1 -c unix_socket_directories="$dir" \
    -c fsync=on -c synchronous_commit=on -c wal_sync_method=fdatasync -c full_page_writes=on \
    -c shared_buffers=1GB -c max_wal_size=8GB -c max_connections=300 \
    -c logging_collector=off -c log_min_messages=warning
  wait_until "$log" postgres "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port"
}

# start_postgres DIR LOG: a copy of the template in DIR, started.
start_postgres() {
  local dir=$1 log=$2
  cp -a "$pg_template" "$dir"
  start_postgres_in "$dir" "$log"
}

count_postgres() { pg_psql -At -c 'SELECT count(*) FROM events'; }

# --- Redis -------------------------------------------------------------------------------------

start_redis() {
  local dir=$1 log=$2
  mkdir -p "$dir"
  port=$(free_port)
  launch TERM "$log" redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" \
    --appendonly yes --appendfsync always --save "" --daemonize no --protected-mode yes
  wait_until "$log" redis bash -c "[[ \$(redis-cli -p $port ping) == PONG ]]"
}

# The sum of XLEN over every events:<entity> stream.
count_redis() {
  redis-cli -p "$port" --scan --pattern 'events:*' | sed 's/^/XLEN /' | redis-cli -p "$port" |
    awk '{ s += $1 } END { print s + 0 }'
}
