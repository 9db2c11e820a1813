#!/usr/bin/env bash
# Peer comparison: generates deterministic exports, builds the baselines in
# the same run, and times copernica-import batch against them (and xsv and
# Miller where installed). Medians of RUNS runs; MB/s of input; peak RSS.
#
#   benches/compare.sh [SIZE_MB ...]      default: 1000
#   RUNS=3 WORK=target/compare benches/compare.sh 100 1000
#   RSS_MB=4000 benches/compare.sh 1000   # also: one batch of a 4 GB CSV, peak RSS
#   MLR_MAX_MB=200 (default): Miller runs at 7-14 MB/s, so only up to this size
#   OUT=/dev/shm/ci-out: where outputs go (default WORK/out); memory separates
#   our work from the disk's writeback
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("${@:-1000}")
runs=${RUNS:-3}
work=${WORK:-target/compare}
mkdir -p "$work"
out=${OUT:-$work/out}

cargo build --release -q --bin copernica-import --example gen_exports --example baseline_csv --example baseline_ndjson --example naive_batch
bin=target/release
ci="$bin/copernica-import"

# median of the numbers on stdin
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# once SECS_VAR RSS_VAR command...: one timed run, appended to the two arrays
once() {
  local -n secs_=$1 rss_=$2; shift 2
  rm -rf "$out"
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/err" || { echo "$* failed:"; cat "$work/err"; return 1; }
  local s m
  read -r s m < "$work/time"
  secs_+=("$s"); rss_+=("$m")
}

# row NAME BASELINE_SECONDS SECS_VAR RSS_VAR: prints a table row, sets LAST_SECS
row() {
  local name=$1 base=$2
  local -n secs_=$3 rss_=$4
  LAST_SECS=$(printf '%s\n' "${secs_[@]}" | median)
  local kb; kb=$(printf '%s\n' "${rss_[@]}" | sort -n | tail -1)
  local mbs; mbs=$(awk -v b="$bytes" -v s="$LAST_SECS" 'BEGIN {printf "%.0f", b / 1e6 / s}')
  local ratio="-"
  [ "$base" != "-" ] && ratio=$(awk -v a="$base" -v s="$LAST_SECS" 'BEGIN {printf "%.2fx", a / s}')
  printf '| %-44s | %8s s | %7s MB/s | %7s | %8.1f MiB |\n' "$name" "$LAST_SECS" "$mbs" "$ratio" "$(awk -v k="$kb" 'BEGIN {print k / 1024}')"
}

# run NAME BASELINE_SECONDS -- command...: prints a table row, sets LAST_SECS
run() {
  local name=$1 base=$2; shift 3
  local secs=() rss=()
  for _ in $(seq "$runs"); do once secs rss "$@" || return 1; done
  row "$name" "$base" secs rss
}

# pair NAME_A NAME_B BASELINE_SECONDS: runs the commands in the arrays
# pair_a and pair_b in turn, RUNS times each, so that a slow spell of a
# shared machine lands on both; prints A's row (against the baseline) and
# B's (against A). Sets PAIR_A and LAST_SECS (B's).
pair() {
  local sa=() ra=() sb=() rb=()
  for _ in $(seq "$runs"); do
    once sa ra "${pair_a[@]}" || return 1
    once sb rb "${pair_b[@]}" || return 1
  done
  row "$1" "$3" sa ra
  PAIR_A=$LAST_SECS
  row "$2" "$PAIR_A" sb rb
}

echo "# $(date -u +%Y-%m-%d), outputs to $out, on $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), runs: $runs (median)"
for mb in "${sizes[@]}"; do
  p="$work/export-${mb}MB"
  [ -f "$p.json" ] || "$bin/examples/gen_exports" "$p" "$mb"
  cat "$p".* > /dev/null   # page cache warm
  echo
  echo "## ${mb} MB input"
  echo
  echo "| program | median | input rate | vs baseline | peak RSS |"
  echo "|---|---:|---:|---:|---:|"
  bytes=$(stat -c %s "$p.csv")
  run "baseline: csv ByteRecord read (UTF-8 CSV)" - -- "$bin/examples/baseline_csv" "$p.csv"
  csv_base=$LAST_SECS
  pair_a=("$ci" batch "$p.csv" --database 1 --out-dir "$out")
  pair_b=("${pair_a[@]}" --map benches/map-export.toml)
  pair "batch UTF-8 CSV -> json bodies" "batch UTF-8 CSV, mapped (all renamed, 3 typed)" "$csv_base"
  csv_ours=$PAIR_A
  echo "  (the mapped row's ratio is against our unmapped run just above, run in turn with it: 1.00x is no cost)"
  run "straightforward batch, 1 thread (serde_json)" "$csv_base" -- "$bin/examples/naive_batch" "$p.csv" "$out"
  awk -v n="$LAST_SECS" -v o="$csv_ours" 'BEGIN {printf "  (the same job written the straightforward way: our batch is %.1fx as fast)\n", n / o}'
  run "batch UTF-8 CSV -> json bodies, 1 thread" "$csv_base" -- "$ci" batch "$p.csv" --database 1 --out-dir "$out" --threads 1
  run "batch UTF-8 CSV -> csv bodies" "$csv_base" -- "$ci" batch "$p.csv" --database 1 --out-dir "$out" --source-format csv
  csv_bodies=$LAST_SECS
  run "inspect UTF-8 CSV (read only)" "$csv_base" -- "$ci" inspect "$p.csv"
  bytes=$(stat -c %s "$p.cp1252.csv")
  pair_a=("$ci" batch "$p.cp1252.csv" --database 1 --out-dir "$out")
  pair_b=("${pair_a[@]}" --map benches/map-export-cp1252.toml)
  pair "batch windows-1252 CSV (;) -> json bodies" "batch windows-1252 CSV, mapped (dates, decimal commas rewritten)" "$csv_base"
  echo "  (against our unmapped windows-1252 run just above, run in turn with it)"
  bytes=$(stat -c %s "$p.csv")
  if command -v xsv >/dev/null; then
    run "xsv split -s 100000" "$csv_base" -- sh -c "mkdir -p $out && xsv split -s 100000 $out $p.csv"
    awk -v x="$LAST_SECS" -v o="$csv_bodies" 'BEGIN {printf "  (batch --source-format csv has %.2fx the throughput of xsv split)\n", x / o}'
  fi
  if command -v mlr >/dev/null && [ "$mb" -le "${MLR_MAX_MB:-200}" ]; then
    run "mlr --icsv --ojson cat" "$csv_base" -- sh -c "mlr --icsv --ojson cat $p.csv > /dev/null"
  fi
  bytes=$(stat -c %s "$p.ndjson")
  run "baseline: serde_json Value per NDJSON line" - -- "$bin/examples/baseline_ndjson" "$p.ndjson"
  nd_base=$LAST_SECS
  run "batch NDJSON (nested orders) -> json bodies" "$nd_base" -- "$ci" batch "$p.ndjson" --database 1 --out-dir "$out"
  nd_ours=$LAST_SECS
  bytes=$(stat -c %s "$p.json")
  run "batch JSON array -> json bodies" "$nd_ours" -- "$ci" batch "$p.json" --database 1 --out-dir "$out"
  echo "  (the JSON array row's ratio is against our NDJSON figure)"
  if command -v mlr >/dev/null && [ "$mb" -le "${MLR_MAX_MB:-200}" ]; then
    bytes=$(stat -c %s "$p.ndjson")
    run "mlr --ijsonl --ocsv cat" "$nd_base" -- sh -c "mlr --ijsonl --ocsv cat $p.ndjson > /dev/null"
  fi
done
rm -rf "$out"

if [ -n "${RSS_MB:-}" ]; then
  p="$work/export-${RSS_MB}MB-only"
  [ -f "$p.csv" ] || "$bin/examples/gen_exports" "$p" "$RSS_MB" csv
  echo
  echo "## ${RSS_MB} MB CSV: one run, for peak memory"
  echo
  echo "| program | median | input rate | vs baseline | peak RSS |"
  echo "|---|---:|---:|---:|---:|"
  bytes=$(stat -c %s "$p.csv")
  runs=1
  run "batch UTF-8 CSV -> json bodies" - -- "$ci" batch "$p.csv" --database 1 --out-dir "$out"
  rm -f "$p.csv"
fi
rm -rf "$out"
