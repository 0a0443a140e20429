#!/usr/bin/env bash
# examples/07_publisher_subscriber/check_graph.sh — CTest example.07_publisher_subscriber_graph.
#   check_graph.sh <example_07_publisher> <example_07_subscriber>
#
# Checks that each process runs what its DOT sketch shows, and that the stream arrives exactly once:
#   - the actors a process reports in its telemetry (/snapshot.json: structure.actors[].name) are the DOT's nodes
#     (node IDs in snake_case, without the `__` documentation nodes), read with Graphviz's gvpr;
#   - its channels (structure.channels[].name) are the DOT's edges' `name::` tokens;
#   - the subscriber received every event the publisher published exactly once, in order, and both exited 0.
# Order of events, so that every snapshot is read from a live process without racing the stream: start the
# subscriber, read its snapshot, pause it (SIGSTOP: the publisher cannot deliver, so it cannot finish), start the
# publisher with --count, read its snapshot, resume the subscriber, and let the stream run to its end.
# Every wait is bounded; the short sleeps are the pauses of polling loops that watch for a line in a log or a
# process gone.
set -euo pipefail

pub_exe=${1:?usage: check_graph.sh <example_07_publisher> <example_07_subscriber>}
sub_exe=${2:?usage: check_graph.sh <example_07_publisher> <example_07_subscriber>}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
for tool in gvpr curl jq; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is not installed (scripts/setup installs it)" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/steady_example07_check.XXXXXX")
pub_pid=""
sub_pid=""
cleanup() {
  local p
  for p in "$pub_pid" "$sub_pid"; do
    if [[ -n $p ]] && kill -0 "$p" 2>/dev/null; then kill -KILL "$p" 2>/dev/null || true; fi
  done
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for f in "$work"/*.log; do
    [[ -f $f ]] || continue
    echo "---- $(basename "$f") ----" >&2
    cat "$f" >&2
  done
  exit 1
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }
wait_for_line() {  # LOG REGEX PID WHO
  local deadline=$(($(now_ms) + 15000))
  until grep -q "$2" "$1"; do
    kill -0 "$3" 2>/dev/null || fail "$4 exited before printing '$2'"
    (($(now_ms) < deadline)) || fail "$4 printed no '$2' within 15 s"
    sleep 0.05
  done
}
exit_status=0
wait_exit() {  # PID WHO: waits for the process to exit and sets exit_status
  local deadline=$(($(now_ms) + 60000))
  while kill -0 "$1" 2>/dev/null; do
    (($(now_ms) < deadline)) || fail "$2 still running after 60 s"
    sleep 0.05
  done
  exit_status=0
  wait "$1" || exit_status=$?
}

# What a DOT file declares: actor names (node IDs in snake_case) and channel names (edges' name:: tokens).
dot_actors() {
  gvpr 'N[substr($.name, 0, 2) != "__"] { print($.name); }' "$1" | sed -E 's/([a-z0-9])([A-Z])/\1_\2/g' |
    tr '[:upper:]' '[:lower:]' | sort
}
dot_channels() {
  gvpr 'E { print($.label); }' "$1" | grep -o 'name::[A-Za-z0-9_]*' | sed 's/^name:://' | sort -u
}
# What a live process reports.
snapshot() { curl -sf --max-time 10 "$1/snapshot.json" || fail "cannot read $1/snapshot.json"; }

compare() {  # WHAT DOT_FILE EXPECTED_LIST ACTUAL_LIST
  if [[ "$3" != "$4" ]]; then
    fail "$1 of $(basename "$2") differ from what the process runs:
  DOT:     $(echo $3)
  process: $(echo $4)"
  fi
  [[ -n "$3" ]] || fail "no $1 found in $(basename "$2")"
  echo "ok: $1 of $(basename "$2") match the process: $(echo $3)"
}
check_process() {  # WHO URL DOT_FILE
  local json
  json=$(snapshot "$2")
  compare "actors" "$3" "$(dot_actors "$3")" "$(jq -r '.structure.actors[].name' <<<"$json" | sort)"
  compare "channels" "$3" "$(dot_channels "$3")" "$(jq -r '.structure.channels[].name' <<<"$json" | sort -u)"
}

# ---- the subscriber
"$sub_exe" --telemetry-port 0 >"$work/subscriber.log" 2>&1 &
sub_pid=$!
wait_for_line "$work/subscriber.log" '^listening: ' "$sub_pid" "the subscriber"
data=$(sed -n 's/^listening: data=\([^ ]*\) acks=.*/\1/p' "$work/subscriber.log")
acks=$(sed -n 's/^listening: data=[^ ]* acks=\([^ ]*\).*/\1/p' "$work/subscriber.log")
sub_url=$(sed -n 's/^telemetry: \(http[^ ]*\).*/\1/p' "$work/subscriber.log")
[[ -n $sub_url ]] || fail "the subscriber printed no telemetry URL"
check_process subscriber "$sub_url" "$here/subscriber.dot"
kill -STOP "$sub_pid"

# ---- the publisher (it cannot finish while the subscriber is paused)
"$pub_exe" --data "$data" --acks "$acks" --count 20000 --rate 50000 --telemetry-port 0 >"$work/publisher.log" 2>&1 &
pub_pid=$!
wait_for_line "$work/publisher.log" '^telemetry: ' "$pub_pid" "the publisher"
pub_url=$(sed -n 's/^telemetry: \(http[^ ]*\).*/\1/p' "$work/publisher.log")
[[ -n $pub_url ]] || fail "the publisher printed no telemetry URL"
check_process publisher "$pub_url" "$here/publisher.dot"
kill -CONT "$sub_pid"

# ---- the stream runs to its end; both stop by themselves
wait_exit "$pub_pid" "the publisher"
pub_rc=$exit_status
pub_pid=""
wait_exit "$sub_pid" "the subscriber"
sub_rc=$exit_status
sub_pid=""
((pub_rc == 0)) || fail "the publisher exited with $pub_rc"
((sub_rc == 0)) || fail "the subscriber exited with $sub_rc"
pub_summary=$(grep '^summary ' "$work/publisher.log") || fail "no summary line from the publisher"
sub_summary=$(grep '^summary ' "$work/subscriber.log") || fail "no summary line from the subscriber"
published=$(sed -n 's/.* published=\([0-9]*\).*/\1/p' <<<"$pub_summary")
((published > 0)) || fail "nothing was published"
want="received=$published distinct=$published duplicates=0 missing=0 in_order=1 first=1 last=$published malformed=0"
[[ $sub_summary == "summary $want" ]] || fail "the subscriber's summary is '$sub_summary', expected 'summary $want'"
echo "ok: $published events published, each received exactly once, in order; both processes exited 0"
echo "PASS"
