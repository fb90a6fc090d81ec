#!/usr/bin/env bash
# The report of bench/compare.sh, from its raw results: medians per workload and system, a
# Markdown section in $DOC between the marker comments below (a rerun replaces it; the rest of
# the file is left alone) and PNG charts in $IMG_DIR made with gnuplot.
#
#   bench/compare_report.sh build/bench/compare-last     (compare.sh runs it at the end)
#
# The directory holds results.jsonl (one annal-loadgen report per line, plus system, run and
# stored_events) and environment.txt (key=value lines: date, commit, versions, machine).
set -euo pipefail
cd "$(dirname "$0")/.."
in=${1:?usage: bench/compare_report.sh RESULTS_DIR}
DOC=${DOC:-docs/benchmarks.md}
IMG_DIR=${IMG_DIR:-docs/img}
begin_marker='<!-- BEGIN bench/compare.sh output: generated; a rerun replaces everything down to the END marker -->'
end_marker='<!-- END bench/compare.sh output -->'

env_value() { sed -n "s/^$1=//p" "$in/environment.txt"; }
quick=$(env_value quick)

# --- medians ------------------------------------------------------------------------------------
# summary.tsv: system clients batch payload readers runs | medians of: events/s requests/s
# write p50 p99 p99.9 max, reads/s, read p50 p99 p99.9 | errors (sum) | driver CPU % (max) |
# count mismatches (sum)
jq -r '[.system, .clients, .batch, .payload_bytes, .readers, .events_per_s, .requests_per_s,
        .write.latency_ms.p50, .write.latency_ms.p99, .write.latency_ms.p99_9, .write.latency_ms.max,
        .read.requests_per_s, .read.latency_ms.p50, .read.latency_ms.p99, .read.latency_ms.p99_9,
        .errors.total, .driver.cpu_pct_of_one_core,
        (if .stored_events == .acked_events_total then 0 else 1 end)] | @tsv' "$in/results.jsonl" |
  awk -F'\t' -v OFS='\t' '
    function median(key, col,   n, i, j, t, a) {
      n = runs[key]
      for (i = 1; i <= n; i++) a[i] = v[key, col, i]
      for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
      return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    {
      key = $1 OFS $2 OFS $3 OFS $4 OFS $5
      if (!(key in runs)) order[++keys] = key
      r = ++runs[key]
      for (c = 6; c <= 15; c++) v[key, c, r] = $c
      errors[key] += $16
      if ($17 > cpu[key]) cpu[key] = $17
      mismatches[key] += $18
    }
    END {
      for (k = 1; k <= keys; k++) {
        key = order[k]
        line = key OFS runs[key]
        for (c = 6; c <= 15; c++) line = line OFS median(key, c)
        print line, errors[key], cpu[key], mismatches[key]
      }
    }' | sort -t$'\t' -k4,4n -k3,3n -k5,5n -k2,2n -k1,1 >"$in/summary.tsv"

# --- charts -------------------------------------------------------------------------------------
mkdir -p "$IMG_DIR" "$in/plot"
systems=$(cut -f1 "$in/summary.tsv" | awk '!seen[$0]++')
batches=$(cut -f3 "$in/summary.tsv" | sort -n -u)
payloads=$(cut -f4 "$in/summary.tsv" | sort -n -u)
clients=$(cut -f2 "$in/summary.tsv" | sort -n -u)
min_readers=$(cut -f5 "$in/summary.tsv" | sort -n | head -n1)
max_readers=$(cut -f5 "$in/summary.tsv" | sort -n | tail -n1)
first_payload=$(head -n1 <<<"$payloads")
n_batches=$(wc -w <<<"$batches")
n_payloads=$(wc -w <<<"$payloads")
label() { case $1 in annal) echo Annal ;; postgres) echo PostgreSQL ;; redis) echo Redis ;; *) echo "$1" ;; esac; }
colour() { case $1 in annal) echo '#1f77b4' ;; postgres) echo '#2ca02c' ;; redis) echo '#d62728' ;; *) echo '#7f7f7f' ;; esac; }
xtics=$(awk 'BEGIN { ORS = "" } { printf "%s\"%s\" %s", (NR > 1 ? ", " : ""), $1, $1 }' <<<"$clients")
# series SYSTEM BATCH PAYLOAD READERS COLUMNS -> a data file of "clients <columns>" rows
series() {
  local f="$in/plot/$1-b$2-p$3-r$4-c${5// /_}.dat"
  awk -F'\t' -v s="$1" -v b="$2" -v p="$3" -v r="$4" -v cols="$5" '
    $1 == s && $3 == b && $4 == p && $5 == r {
      n = split(cols, c, " "); line = $2
      for (i = 1; i <= n; i++) line = line " " $(c[i])
      print line
    }' "$in/summary.tsv" >"$f"
  echo "$f"
}
tag=""
if [[ $quick == 1 ]]; then tag=" — QUICK smoke run, not a measurement"; fi
xrange=$(awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "[%g:%g]", lo / 1.4, hi * 1.4 }' <<<"$clients")
common="set logscale x 2; set xrange $xrange; set xtics ($xtics); set logscale y; set grid xtics ytics mytics;
set key top left font ',9'; set xlabel 'writer clients'; set format y '%.0s%c';"
# percentile_panels PNG READERS "COL_P50 COL_P99 COL_P999" PANEL_TITLE TITLE: one panel per batch
# size, latency percentiles vs clients, a colour per system, a dash type per percentile.
percentile_panels() {
  local png=$1 readers=$2 cols=$3 panel=$4 title=$5 b s f plot
  echo "set output '$png'"
  echo "set multiplot layout 1,$n_batches title \"$title\""
  echo "$common set ylabel 'ms'; set format y '%g'"
  for b in $batches; do
    echo "set title '$panel $b'"
    plot="plot"
    for s in $systems; do
      f=$(series "$s" "$b" "$first_payload" "$readers" "$cols")
      plot+=" '$f' using 1:2 with linespoints lw 2 pt 7 dt 1 lc rgb '$(colour "$s")' title '$(label "$s")',"
      plot+=" '$f' using 1:3 with linespoints lw 2 pt 7 dt 2 lc rgb '$(colour "$s")' notitle,"
      plot+=" '$f' using 1:4 with linespoints lw 1 pt 7 dt 3 lc rgb '$(colour "$s")' notitle,"
    done
    echo "${plot%,}"
  done
  echo "unset multiplot"
}

{
  echo "set terminal pngcairo size $((n_batches * 440)),$((n_payloads * 330 + 50)) font 'sans,10'"
  echo "set output '$IMG_DIR/compare-throughput.png'"
  echo "set multiplot layout $n_payloads,$n_batches title 'Durable write throughput, events/s (readers: $min_readers)$tag'"
  echo "$common set ylabel 'events/s'"
  for p in $payloads; do
    for b in $batches; do
      echo "set title 'batch $b, payload $p B'"
      plot="plot"
      for s in $systems; do
        plot+=" '$(series "$s" "$b" "$p" "$min_readers" 7)' using 1:2 with linespoints lw 2 pt 7 lc rgb '$(colour "$s")' title '$(label "$s")',"
      done
      echo "${plot%,}"
    done
  done
  echo "unset multiplot"

  echo "set terminal pngcairo size $((n_batches * 440)),400 font 'sans,10'"
  percentile_panels "$IMG_DIR/compare-latency.png" "$min_readers" "9 10 11" 'batch' \
    "Write latency, ms: p50 solid, p99 dashed, p99.9 dotted\\npayload $first_payload B, readers: $min_readers$tag"
  if ((max_readers > 0)); then
    percentile_panels "$IMG_DIR/compare-read-latency.png" "$max_readers" "14 15 16" 'writes in batches of' \
      "100-event entity stream read latency under write load, ms: p50 solid, p99 dashed, p99.9 dotted\\n$max_readers readers, payload $first_payload B$tag"
  fi
} >"$in/plot/charts.gp"
gnuplot "$in/plot/charts.gp"

# --- Markdown -----------------------------------------------------------------------------------
section=$in/section.md
# 1234567 -> 1,234,567 (mawk has no %'d)
awk_commas='function commas(x,   s, r) { s = sprintf("%.0f", x); r = ""
  while (length(s) > 3) { r = "," substr(s, length(s) - 2) r; s = substr(s, 1, length(s) - 3) }
  return s r }
'
img=$(realpath -m --relative-to="$(dirname "$DOC")" "$IMG_DIR")
{
  echo "$begin_marker"
  echo
  echo "### $(env_value date | cut -c1-10): \`bench/compare.sh\` at commit \`$(env_value commit)\`"
  echo
  if [[ $quick == 1 ]]; then
    echo "> **Example output of a \`QUICK=1\` smoke run, not a result.** One run of 3 s per"
    echo "> measurement on a 2-core machine that other people were using at the same time; it"
    echo "> shows what the report looks like and that the harness works. Measured numbers come"
    echo "> from a full run (\`bench/compare.sh\`, medians of 3) on a quiet machine and replace this."
    echo
  fi
  echo "- $(env_value cpus) CPUs, $(env_value mem) RAM, data on $(env_value fs); load average at start $(env_value load)"
  echo "- Annal $(env_value annal) (release build, \`--wal-sync always\`), PostgreSQL $(env_value postgres), Redis $(env_value redis); Debian packages"
  echo "- $(env_value runs) run(s) of $(env_value duration) s measured after $(env_value warmup) s of warm-up per workload and system, $(env_value entities) entities; each number is the median over the runs; each run starts every system on a fresh data dir"
  awk -F'\t' '{ e += $17; m += $19; if ($18 > c) c = $18 } END {
    printf "- correctness: %s; errors: %s; the load driver used at most %.0f%% of one core\n",
      (m ? m " workloads where the stored count differed from the acknowledged count" : "every system held exactly the events the driver saw acknowledged"),
      (e ? e " failed requests (see results.jsonl)" : "none"), c }' "$in/summary.tsv"
  echo
  echo "![Durable write throughput vs clients]($img/compare-throughput.png)"
  echo "![Write latency percentiles vs clients]($img/compare-latency.png)"
  if ((max_readers > 0)); then
    echo "![Stream read latency under write load]($img/compare-read-latency.png)"
  fi
  echo
  echo "Durable write throughput (events/s), medians; the ratio is Annal's events/s over the peer's:"
  echo
  awk -F'\t' "$awk_commas"'
    function ratio(a, b) { return (a != "" && b != "" && b > 0) ? sprintf("%.2f×", a / b) : "—" }
    {
      w = $4 "\t" $3 "\t" $2 "\t" $5
      if (!(w in seen)) { seen[w] = 1; order[++n] = w }
      eps[w, $1] = $7
    }
    END {
      print "| payload B | batch | clients | readers | Annal | PostgreSQL | Redis | Annal ÷ PostgreSQL | Annal ÷ Redis |"
      print "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
      for (i = 1; i <= n; i++) {
        w = order[i]; split(w, f, "\t")
        a = eps[w, "annal"]; p = eps[w, "postgres"]; r = eps[w, "redis"]
        printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", f[1], f[2], f[3], f[4],
          (a != "" ? commas(a) : "—"), (p != "" ? commas(p) : "—"), (r != "" ? commas(r) : "—"),
          ratio(a, p), ratio(a, r)
      }
    }' "$in/summary.tsv"
  echo
  echo "Every measurement, medians (latency in ms; reads are 100-event entity stream reads by the"
  echo "concurrent readers; \"count\" is the stored-vs-acknowledged check; CPU is the load driver's):"
  echo
  awk -F'\t' "$awk_commas"'
    function ms(x) { return x < 1 ? sprintf("%.3f", x) : x < 10 ? sprintf("%.2f", x) : sprintf("%.1f", x) }
    function name(s) { return s == "annal" ? "Annal" : s == "postgres" ? "PostgreSQL" : s == "redis" ? "Redis" : s }
    BEGIN {
      print "| payload B | batch | clients | readers | system | events/s | write p50 | p99 | p99.9 | max | reads/s | read p50 | p99 | p99.9 | errors | count | driver CPU |"
      print "|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|"
    }
    {
      reads = $5 > 0
      printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %.0f%% |\n",
        $4, $3, $2, $5, name($1), commas($7), ms($9), ms($10), ms($11), ms($12),
        (reads ? commas($13) : "—"), (reads ? ms($14) : "—"), (reads ? ms($15) : "—"), (reads ? ms($16) : "—"),
        $17, ($19 ? "**MISMATCH**" : "ok"), $18
    }' "$in/summary.tsv"
  echo
  echo "$end_marker"
} >"$section"

# Replace the old section (or append one with its heading on the first run; a $DOC that does
# not exist yet is created with the section alone).
mkdir -p "$(dirname "$DOC")"
[[ -e $DOC ]] || : >"$DOC"
if grep -qF "$begin_marker" "$DOC" && grep -qF "$end_marker" "$DOC"; then
  awk -v b="$begin_marker" -v e="$end_marker" -v f="$section" '
    $0 == b { while ((getline line < f) > 0) print line; skip = 1; next }
    $0 == e { skip = 0; next }
    !skip' "$DOC" >"$DOC.tmp"
else
  { cat "$DOC"; printf '\n## Annal vs PostgreSQL vs Redis\n\n'; cat "$section"; } >"$DOC.tmp"
fi
mv "$DOC.tmp" "$DOC"
echo "compare: report written to $DOC and $IMG_DIR/compare-*.png (medians in $in/summary.tsv)"
