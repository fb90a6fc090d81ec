#!/usr/bin/env bash
# Installs everything Annal needs to build and test on Debian 12 (bookworm).
# Idempotent: packages already present are skipped, so a warm machine pays nothing.
#   scripts/install-deps.sh          build dependencies
#   scripts/install-deps.sh --test   also what the tests use: promtool, Node.js + npm
#   scripts/install-deps.sh --bench  also the benchmark tools: wrk, and for bench/compare.sh the
#                                    peers (PostgreSQL 15, Redis 7), their client libraries
#                                    (libpq, hiredis) for bench/loadgen, and gnuplot for charts
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libboost1.81-dev            # Asio + Beast (header-only use); never mix with 1.74 headers
  libsimdjson-dev             # JSON parsing
  prometheus-cpp-dev          # metrics model + text serializer
  libspdlog-dev libfmt-dev    # logging
  libcli11-dev                # command line
  libtomlplusplus-dev         # config file
  libzstd-dev libsnappy-dev   # Parquet page compression
  libjemalloc-dev             # the server's allocator (docs/benchmarks.md: +16% single appends)
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev    # libFuzzer targets
  curl ca-certificates
)
# Optional: wanted, but the tests skip what needs them when they cannot be installed.
optional=()
if [[ " $* " == *" --test "* ]]; then
  optional+=(prometheus)       # promtool, for `promtool check metrics` on /metrics
  # Node.js 20+ runs the integration tests; keep a newer node that is already installed.
  command -v node >/dev/null || packages+=(nodejs)
  command -v npm >/dev/null || packages+=(npm)
fi
if [[ " $* " == *" --bench "* ]]; then
  packages+=(wrk
    postgresql-15 libpq-dev     # compare.sh peer (initdb/postgres run by the script, never the service)
    redis-server libhiredis-dev # compare.sh peer (Debian 12 ships Redis 7.0) + the loadgen's RESP codec
    gnuplot-nox jq)             # PNG charts in docs/img/; jq reads the loadgen's JSON
fi

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

missing=() missing_optional=()
for p in "${packages[@]}"; do installed "$p" || missing+=("$p"); done
for p in ${optional[@]+"${optional[@]}"}; do
  [[ $p == prometheus ]] && command -v promtool >/dev/null && continue  # promtool from elsewhere
  installed "$p" || missing_optional+=("$p")
done

if ((${#missing[@]} + ${#missing_optional[@]})); then
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  apt_install() {
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@"
  }
  # We want promtool, not a Prometheus server: a policy-rc.d that answers 101 keeps the package's
  # service from being started. Docker images already have one; otherwise add it for the install.
  policy=/usr/sbin/policy-rc.d
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
    $SUDO chmod +x "$policy"
    trap '$SUDO rm -f "$policy"' EXIT
  fi
  $SUDO apt-get update -qq
  if ((${#missing[@]})); then
    echo "install-deps: installing ${missing[*]}"
    apt_install "${missing[@]}"
  fi
  if ((${#missing_optional[@]})); then
    echo "install-deps: installing ${missing_optional[*]} (optional)"
    apt_install "${missing_optional[@]}" ||
      echo "install-deps: WARNING: could not install ${missing_optional[*]}; tests that need it are skipped" >&2
  fi
fi

if [[ " $* " == *" --test "* ]]; then
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if ((major < 20)); then
    echo "install-deps: Node.js >= 20 is required for the integration tests (found $(node --version 2>/dev/null || echo none))" >&2
    exit 1
  fi
fi
