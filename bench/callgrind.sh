#!/usr/bin/env bash
# bench/callgrind.sh — marginal instructions per item under valgrind --tool=callgrind, steady_state vs the raw ring.
#
#   bench/callgrind.sh [--quick] [--n N] [--bin DIR] [--extra]
#
# Each implementation runs twice, with n and 2n items (`bench_wX --callgrind --impl I --batch B --n N`), and
#   instructions/item = (I(2n) − I(n)) / n
# which cancels start-up, thread creation and teardown. Only the one-thread variants are used (raw ring stages taking
# turns on one thread; steady_state actors in one troupe): they are deterministic, so the figure repeats to a few
# instructions per million. Multi-threaded variants would count spin loops and are not measured here.
#
# Options:
#   --n N      items for the first run (default 1000000; --quick 200000)
#   --bin DIR  where bench_w1/bench_w2 are (default build-bench/bench, built by scripts/bench)
#   --extra    also measure the investigation variants steady_troupe_two (relay awaits two waits, not wait_all) and
#              steady_troupe_nolat (channel latency sampling off)
# Output: one `CALLGRIND ...` line per figure, then a markdown table. Targets (PERFORMANCE.md): W1 ≤ 1.3× the raw
# ring's instructions per item, W2 troupe batch 64/1024 ≤ 1.25×.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin="$root/build-bench/bench"
n=1000000
extra=0
while (($#)); do
  case "$1" in
    --quick) n=200000 ;;
    --n) n=$2; shift ;;
    --bin) bin=$2; shift ;;
    --extra) extra=1 ;;
    -h | --help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "callgrind.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done
command -v valgrind >/dev/null || { echo "callgrind.sh: valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }
for p in bench_w1 bench_w2; do
  [[ -x "$bin/$p" ]] || { echo "callgrind.sh: $bin/$p not found; run scripts/bench --build-only first" >&2; exit 1; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# total_ir <program> <impl> <batch> <n>: total instructions (Ir) of one run, all threads.
total_ir() {
  local out="$tmp/cg.out"
  if ! valgrind --tool=callgrind --callgrind-out-file="$out" "$bin/$1" --callgrind --impl "$2" --batch "$3" \
      --n "$4" >"$tmp/stdout" 2>"$tmp/stderr"; then
    echo "callgrind.sh: $1 --impl $2 --batch $3 --n $4 failed:" >&2
    cat "$tmp/stdout" "$tmp/stderr" >&2
    exit 1
  fi
  grep -q 'ok=1' "$tmp/stdout" || { echo "callgrind.sh: checksum failed: $(cat "$tmp/stdout")" >&2; exit 1; }
  # With several threads callgrind writes one file per thread (cg.out-01, ...) unless told otherwise; sum them all.
  cat "$out"* | awk '/^summary:/ { s += $2 } END { printf "%d\n", s }'
  rm -f "$out"*
}

# per_item <program> <impl> <batch>: marginal instructions per item, 2 decimals.
per_item() {
  local a b
  a=$(total_ir "$1" "$2" "$3" "$n")
  b=$(total_ir "$1" "$2" "$3" $((2 * n)))
  awk -v a="$a" -v b="$b" -v n="$n" 'BEGIN { printf "%.2f\n", (b - a) / n }'
}

declare -a rows
# figure <workload> <program> <batch> <ours> <ref> <target or 0>
figure() {
  local w=$1 prog=$2 batch=$3 ours=$4 ref=$5 target=$6
  local io ir ratio status
  io=$(per_item "$prog" "$ours" "$batch")
  ir=$(per_item "$prog" "$ref" "$batch")
  ratio=$(awk -v a="$io" -v b="$ir" 'BEGIN { printf "%.3f\n", (b > 0 ? a / b : 0) }')
  if [[ "$target" == 0 ]]; then
    status=info
  else
    status=$(awk -v r="$ratio" -v t="$target" 'BEGIN { print (r <= t ? "met" : "MISSED") }')
  fi
  echo "CALLGRIND $w batch=$batch impl=$ours instr_per_item=$io ref=$ref ref_instr_per_item=$ir ratio=$ratio" \
    "target=$target status=$status"
  local ttext=""
  [[ "$target" != 0 ]] && ttext="≤ ${target}×"
  rows+=("| $w | $batch | $ours | $io | $ref | $ir | $ratio | $ttext | $status |")
}

echo "# callgrind: marginal instructions per item, n=$n and 2n, one-thread variants"
for b in 1 64 1024; do
  figure w1 bench_w1 "$b" steady_troupe raw_1t 1.3
  figure w1 bench_w1 "$b" boost_1t raw_1t 0
  if [[ $b != 1 ]]; then figure w1 bench_w1 "$b" steady_troupe_zc raw_1t_zc 1.3; fi
done
for b in 1 64 1024; do
  if [[ $b == 1 ]]; then t=0; else t=1.25; fi
  figure w2 bench_w2 "$b" steady_troupe raw_1t "$t"
  if [[ $b != 1 ]]; then figure w2 bench_w2 "$b" steady_troupe_zc raw_1t_zc "$t"; fi
  if ((extra)); then
    figure w2 bench_w2 "$b" steady_troupe_two raw_1t 0
    figure w2 bench_w2 "$b" steady_troupe_nolat raw_1t 0
    if [[ $b != 1 ]]; then
      figure w2 bench_w2 "$b" steady_troupe_two_zc raw_1t_zc 0
      figure w2 bench_w2 "$b" steady_troupe_nolat_zc raw_1t_zc 0
    fi
  fi
done

echo
echo "| workload | batch | impl | instructions/item | reference | ref instructions/item | ratio | target | status |"
echo "|---|---:|---|---:|---|---:|---:|---|---|"
printf '%s\n' "${rows[@]}"
