#!/usr/bin/env bash
# examples/demo/sigint_test.sh — Ctrl-C test of the demo service (CTest: example.demo_sigint).
#   sigint_test.sh <path to steady_demo> [more demo flags, e.g. --telemetry-port 0]
# Starts the demo, waits for its first summary line, sends SIGINT, and checks that it exits with 0 within 2 s
# and says "clean stop". Every wait is bounded; the only sleeps are the pauses of polling loops that watch for an
# observable condition (a line in the output, the process gone).
set -euo pipefail

demo=${1:?usage: sigint_test.sh <path to steady_demo> [demo flags...]}
shift
out=$(mktemp "${TMPDIR:-/tmp}/steady_demo_sigint.XXXXXX")
pid=""
cleanup() {
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$out"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  echo "---- demo output ----" >&2
  cat "$out" >&2
  exit 1
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# `timeout` is the backstop if everything else fails. --foreground makes it pass our SIGINT to the demo only:
# without it, timeout also signals its whole process group, so the demo sees a second SIGINT and exits at
# once with 130 (steady's "second signal" rule).
timeout --foreground --kill-after=5 60 "$demo" --log-level info "$@" >"$out" 2>&1 &
pid=$!

# Wait (at most 15 s) for the first summary line, which the demo prints after about one second.
deadline=$(($(now_ms) + 15000))
until grep -q '^summary ' "$out"; do
  kill -0 "$pid" 2>/dev/null || fail "the demo exited before its first summary line"
  (($(now_ms) < deadline)) || fail "no summary line within 15 s"
  sleep 0.05
done

kill -INT "$pid"
sent=$(now_ms)
# The process must be gone within 2 s of the signal.
while kill -0 "$pid" 2>/dev/null; do
  (($(now_ms) - sent <= 2000)) || fail "still running 2 s after SIGINT"
  sleep 0.02
done
took=$(($(now_ms) - sent))
rc=0
wait "$pid" || rc=$?
pid=""

((rc == 0)) || fail "exit code $rc after SIGINT, expected 0"
grep -q 'clean stop' "$out" || fail "no 'clean stop' in the output"
grep -q '^final: ' "$out" || fail "no final summary line"
echo "PASS: exit 0 ${took} ms after SIGINT, clean stop"
grep -E '^(summary|final|stop report)' "$out"
