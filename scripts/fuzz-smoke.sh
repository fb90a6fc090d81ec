#!/usr/bin/env bash
# Builds the fuzz preset and runs every libFuzzer target briefly: a smoke test that the targets
# build and survive FUZZ_SECONDS (default 30) of random input each. Targets that are not defined
# yet are skipped, so this can run before every part has its fuzzer.
#   FUZZ_SECONDS=30 JOBS=2 scripts/fuzz-smoke.sh
set -euo pipefail
cd "$(dirname "$0")/.."

targets=(wal_reader_fuzz request_parse_fuzz parquet_reader_fuzz protocol_fuzz)
seconds=${FUZZ_SECONDS:-30}
jobs=${JOBS:-$(nproc)}

if [[ ! -f fuzz/CMakeLists.txt ]]; then
  echo "fuzz-smoke: no fuzz/ directory yet, skipping"
  exit 0
fi
if ! command -v clang++ >/dev/null; then
  echo "fuzz-smoke: clang++ is missing (scripts/install-deps.sh installs it)" >&2
  exit 1
fi

cmake --preset fuzz >/dev/null
available=$(cmake --build build-fuzz --target help | sed -n 's/^\([A-Za-z0-9_]*\): .*/\1/p')

status=0
for t in "${targets[@]}"; do
  if ! grep -qx "$t" <<<"$available"; then
    echo "fuzz-smoke: $t is not defined yet, skipping"
    continue
  fi
  cmake --build build-fuzz -j "$jobs" --target "$t"
  bin=$(find build-fuzz -type f -name "$t" -perm -u+x | head -n1)
  [[ -n "$bin" ]] || { echo "fuzz-smoke: built $t but cannot find the binary" >&2; status=1; continue; }

  # New inputs go to a scratch corpus; checked-in seeds (fuzz/corpus/<target>[_fuzz]) are read
  # only.
  work="build-fuzz/smoke/$t"
  rm -rf "$work" && mkdir -p "$work/corpus" "$work/artifacts"
  seeds=()
  for d in "fuzz/corpus/$t" "fuzz/corpus/${t%_fuzz}"; do
    [[ -d $d ]] && seeds+=("$d")
  done
  echo "fuzz-smoke: running $t for ${seconds}s"
  if ! "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$work/artifacts/" "$work/corpus" "${seeds[@]}" >"$work/log" 2>&1; then
    echo "fuzz-smoke: $t FAILED; last lines of $work/log (crash inputs in $work/artifacts):" >&2
    tail -n 40 "$work/log" >&2
    status=1
  else
    grep -E '^stat::number_of_executed_units' "$work/log" | sed "s/^/fuzz-smoke: $t /" || true
  fi
done
exit $status
