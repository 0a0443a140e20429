#!/usr/bin/env bash
# Runs a generated service for a few seconds and checks it from the outside:
#   - with telemetry (REQUIRE_TELEMETRY=1): it serves on a free port, and its /snapshot.json shows traffic (taken > 0)
#     on every channel steady-gen expects traffic on (kBusyChannelNames in generated/graph.hpp), while it runs;
#   - in every case: it stops by itself after --duration and reports a clean stop (exit status 0).
#   run_service.sh <service binary> <generated/graph.hpp> <require telemetry: 0|1>
# The polls below wait for a condition with a deadline; no fixed sleep decides the outcome.
set -uo pipefail

bin=$1
graph_hpp=$2
require_telemetry=$3
duration=4

out=$(mktemp)
trap 'rm -f "$out"; [[ -n "${pid:-}" ]] && kill "$pid" 2>/dev/null' EXIT

"$bin" --duration "$duration" --log-level warn --telemetry-port 0 >"$out" 2>&1 &
pid=$!

fail() {
  echo "run_service: $*" >&2
  echo "---- service output ----" >&2
  cat "$out" >&2
  exit 1
}

url=""
if [[ "$require_telemetry" == 1 ]]; then
  # The service prints "<name>: telemetry at http://127.0.0.1:<port>/" before it starts the graph.
  for _ in $(seq 200); do
    url=$(sed -n 's/.*telemetry at \(http:[^ ]*\).*/\1/p' "$out" | head -n1)
    [[ -n "$url" ]] && break
    kill -0 "$pid" 2>/dev/null || fail "the service exited before it printed its telemetry address"
    sleep 0.02
  done
  [[ -n "$url" ]] || fail "no 'telemetry at <url>' line within 4 s"
  url=${url%/}

  # kBusyChannelNames: the channels with traffic of their own (not fed only by prebuilt actors that wait for a
  # file or an HTTP client); older projects have only kChannelNames.
  array=kBusyChannelNames
  grep -q "$array{" "$graph_hpp" || array=kChannelNames
  mapfile -t channels < <(sed -n "/$array{/,/};/p" "$graph_hpp" | grep -o '"[^"]*"' | tr -d '"')
  ((${#channels[@]} > 0)) || [[ $array == kBusyChannelNames ]] || fail "no channel names found in $graph_hpp"

  # Until every channel has taken a message (or the service stops), read the telemetry snapshot again:
  # /snapshot.json lists the channels in structure.channels and their figures, in the same order, in frame.channels.
  missing=("${channels[@]}")
  while ((${#missing[@]} > 0)) && kill -0 "$pid" 2>/dev/null; do
    busy=$(curl -sf --max-time 2 "$url/snapshot.json" |
      jq -r '[.structure.channels, .frame.channels] | transpose[] | select(.[1].taken > 0) | .[0].name' 2>/dev/null) ||
      busy=""
    still=()
    for ch in "${missing[@]}"; do
      grep -qxF -- "$ch" <<<"$busy" || still+=("$ch")
    done
    missing=("${still[@]}")
    ((${#missing[@]} > 0)) && sleep 0.1
  done
  ((${#missing[@]} == 0)) ||
    fail "no traffic seen in /snapshot.json on: ${missing[*]} (of ${#channels[@]} channels) before the service stopped"
  echo "run_service: /snapshot.json at $url shows traffic on all ${#channels[@]} channels"
fi

wait "$pid"
status=$?
pid=""
cat "$out"
((status == 0)) || fail "exit status $status after --duration $duration (0 means a clean stop)"
grep -q "clean stop" "$out" || fail "no 'clean stop' in the stop report"
