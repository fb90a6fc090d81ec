#!/usr/bin/env bash
# Installs everything Annal needs to build and test on Debian 12 (bookworm).
# Idempotent: packages already present are skipped, so a warm machine pays nothing.
#   scripts/install-deps.sh          build + test dependencies
#   scripts/install-deps.sh --bench  also the benchmark tools (wrk)
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
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev    # libFuzzer targets
  curl ca-certificates
)
[[ " $* " == *" --bench "* ]] && packages+=(wrk)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
