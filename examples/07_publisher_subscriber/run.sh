#!/usr/bin/env bash
# examples/07_publisher_subscriber/run.sh — watch example 07: a subscriber and a publisher on this machine, joined
# by the ZeroMQ bridge over tcp on 127.0.0.1.
#
#   run.sh [--count N] [--rate R] [--bin DIR] [-- flags for both programs, e.g. --telemetry-port 0]
#
#   1. starts example_07_subscriber, which binds two free ports on 127.0.0.1 and prints them;
#   2. starts example_07_publisher, connected to those two endpoints;
#   3. says where each process serves its telemetry (and starts steady-hub, when it is built, for one view of both
#      with the bridged link between them), then shows both outputs as they come ([sub] / [pub]);
#   4. on Ctrl-C (or once --count readings were sampled) stops them in order: SIGTERM to the publisher, which
#      delivers everything it holds and ends the stream; the subscriber then stops by itself;
#   5. prints a summary and checks it: exit 0 only when both stopped cleanly and the subscriber received every
#      event the publisher published exactly once, in order.
#
# --count N   the publisher samples N readings, then ends the stream (default: until Ctrl-C)
# --rate R    readings per second (default: the publisher's, 2000)
# --bin DIR   where the two programs are (default: build/examples of this checkout, else $PATH)
#
# The two programs run in sessions of their own (setsid), so Ctrl-C reaches this script only and the stop happens
# in the order above: were both interrupted at once, the publisher would keep (and refuse to drop) what was in
# flight to a subscriber that has gone. Every wait is bounded; the short sleeps are the pauses of polling loops that
# watch for a condition (a line in a log, a process gone).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
count=0
rate=""
bin=""
extra=()
while (($#)); do
  case "$1" in
    --count) count=${2:?--count needs a number}; shift ;;
    --rate) rate=${2:?--rate needs a number}; shift ;;
    --bin) bin=${2:?--bin needs a directory}; shift ;;
    --) shift; extra=("$@"); break ;;
    -h | --help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

find_program() {  # find_program NAME -> path
  local name=$1 dir
  for dir in "$bin" "$here/../../build/examples"; do
    [[ -n $dir && -x "$dir/$name" ]] && { echo "$dir/$name"; return 0; }
  done
  command -v "$name" && return 0
  echo "run.sh: cannot find $name: build the examples (scripts/build) or pass --bin DIR" >&2
  return 1
}
pub_exe=$(find_program example_07_publisher)
sub_exe=$(find_program example_07_subscriber)

work=$(mktemp -d "${TMPDIR:-/tmp}/steady_example07.XXXXXX")
sub_log=$work/subscriber.log
pub_log=$work/publisher.log
pub_pid=""
sub_pid=""
hub_pid=""
alive() { [[ -n $1 ]] && kill -0 "$1" 2>/dev/null; }
cleanup() {
  local p
  for p in "$pub_pid" "$sub_pid" "$hub_pid"; do alive "$p" && kill -KILL "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
stop_requested=0
trap 'stop_requested=1' INT TERM

now_ms() { echo $(($(date +%s%N) / 1000000)); }
fail() {
  echo "run.sh: $*" >&2
  pump
  exit 1
}

# Print the lines each log gained since the last call (complete lines only), prefixed with their process.
sub_shown=0
pub_shown=0
pump() {
  local n
  n=$(wc -l <"$sub_log")
  ((n > sub_shown)) && sed -n "$((sub_shown + 1)),${n}p" "$sub_log" | sed 's/^/[sub] /'
  sub_shown=$n
  if [[ -f $pub_log ]]; then
    n=$(wc -l <"$pub_log")
    ((n > pub_shown)) && sed -n "$((pub_shown + 1)),${n}p" "$pub_log" | sed 's/^/[pub] /'
    pub_shown=$n
  fi
  return 0
}

# wait_for_line LOG REGEX PID WHO SECONDS: until LOG has a line matching REGEX; fails if WHO exits first.
wait_for_line() {
  local deadline=$(($(now_ms) + $5 * 1000))
  until grep -q "$2" "$1"; do
    alive "$3" || fail "$4 exited before printing '$2'"
    (($(now_ms) < deadline)) || fail "$4 printed no '$2' within $5 s"
    ((stop_requested)) && fail "interrupted"
    sleep 0.05 || true
  done
}

# wait_gone PID SECONDS: true once the process has exited.
wait_gone() {
  local deadline=$(($(now_ms) + $2 * 1000))
  while alive "$1"; do
    (($(now_ms) < deadline)) || return 1
    sleep 0.05 || true
  done
}

# ---- 1. the subscriber: binds, prints its endpoints
setsid "$sub_exe" "${extra[@]}" >"$sub_log" 2>&1 &
sub_pid=$!
wait_for_line "$sub_log" '^listening: ' "$sub_pid" "the subscriber" 15
data=$(sed -n 's/^listening: data=\([^ ]*\) acks=.*/\1/p' "$sub_log")
acks=$(sed -n 's/^listening: data=[^ ]* acks=\([^ ]*\).*/\1/p' "$sub_log")

# ---- 2. the publisher: connects to them
pub_args=(--data "$data" --acks "$acks")
((count > 0)) && pub_args+=(--count "$count")
[[ -n $rate ]] && pub_args+=(--rate "$rate")
setsid "$pub_exe" "${pub_args[@]}" "${extra[@]}" >"$pub_log" 2>&1 &
pub_pid=$!
wait_for_line "$pub_log" '^telemetry: ' "$pub_pid" "the publisher" 15

# ---- 3. where to look
sub_telemetry=$(sed -n 's/^telemetry: //p' "$sub_log" | head -n 1)
pub_telemetry=$(sed -n 's/^telemetry: //p' "$pub_log" | head -n 1)
cat <<EOF
==> example 07: a publisher and a subscriber over ZeroMQ (tcp on 127.0.0.1)
    publisher  (pid $pub_pid)  telemetry: $pub_telemetry
                 sensors -> enricher -> uplink, sending to data=$data acks=$acks
    subscriber (pid $sub_pid)  telemetry: $sub_telemetry
                 downlink -> aggregator -> reporter, listening on data=$data acks=$acks
    Open a telemetry URL in a browser; /snapshot.json and /metrics are there too.
EOF

# ---- steady-hub: one telemetry view of both processes, with the bridged link drawn between them
hub_exe=""
for dir in "${bin:+$bin/../tools/steady-hub}" "$here/../../build/tools/steady-hub"; do
  [[ -n $dir && -x "$dir/steady-hub" ]] && { hub_exe="$dir/steady-hub"; break; }
done
[[ -z $hub_exe ]] && hub_exe=$(command -v steady-hub || true)
if [[ -n $hub_exe && -n $pub_telemetry && -n $sub_telemetry ]]; then
  hub_log=$work/hub.log
  setsid "$hub_exe" --peer "$pub_telemetry" --peer "$sub_telemetry" --port 0 --title "example 07" >"$hub_log" 2>&1 &
  hub_pid=$!
  wait_for_line "$hub_log" '^steady-hub: http' "$hub_pid" "steady-hub" 15
  echo "    both in one view (steady-hub, pid $hub_pid): $(sed -n 's/^steady-hub: \([^ ]*\).*/\1/p' "$hub_log")"
else
  echo "    (steady-hub not found: build it with the project to see both processes in one view)"
fi

if ((count > 0)); then
  echo "    streaming until $count readings are sampled (Ctrl-C stops both earlier)"
else
  echo "    streaming; Ctrl-C stops both cleanly"
fi
echo

# ---- 4. stream until Ctrl-C, the end of --count, or a process that exits by itself
while ((!stop_requested)) && alive "$pub_pid" && alive "$sub_pid"; do
  pump
  sleep 0.1 || true
done
pump
if ((stop_requested)); then echo "==> stopping: SIGTERM to the publisher; the subscriber stops at the end of the stream"; fi

# The publisher first: it delivers what it holds, ends the stream and exits (its own bound: 10 s after the stop
# request, then an unclean stop whose report names what was not acknowledged).
alive "$pub_pid" && kill -TERM "$pub_pid" 2>/dev/null
wait_gone "$pub_pid" 20 || { kill -KILL "$pub_pid" 2>/dev/null; echo "run.sh: the publisher did not exit within 20 s of SIGTERM; killed" >&2; }
pub_rc=0
wait "$pub_pid" || pub_rc=$?
pub_pid=""
# The subscriber stops by itself at the end of the stream; if the stream did not end (the publisher failed), ask it.
if ! wait_gone "$sub_pid" 10; then
  echo "run.sh: the subscriber did not stop at the end of the stream within 10 s; sending SIGTERM" >&2
  kill -TERM "$sub_pid" 2>/dev/null || true
  wait_gone "$sub_pid" 10 || { kill -KILL "$sub_pid" 2>/dev/null; echo "run.sh: the subscriber did not exit within 10 s of SIGTERM; killed" >&2; }
fi
sub_rc=0
wait "$sub_pid" || sub_rc=$?
sub_pid=""
if alive "$hub_pid"; then  # the hub last: it showed both until they stopped
  kill -TERM "$hub_pid" 2>/dev/null
  wait_gone "$hub_pid" 10 || kill -KILL "$hub_pid" 2>/dev/null
  wait "$hub_pid" 2>/dev/null || true
  hub_pid=""
fi
pump

# ---- 5. the summary, checked
field() { sed -n "s/^summary .*\<$2=\([^ ]*\).*/\1/p" "$1" | tail -n 1; }
published=$(field "$pub_log" published)
dropped=$(field "$pub_log" dropped)
acknowledged=$(field "$pub_log" acknowledged)
received=$(field "$sub_log" received)
distinct=$(field "$sub_log" distinct)
in_order=$(field "$sub_log" in_order)
first=$(field "$sub_log" first)
last=$(field "$sub_log" last)
echo
echo "==> summary"
echo "    publisher:  exit $pub_rc; published ${published:-?} events (${dropped:-?} sensor dropouts filtered out), ${acknowledged:-?} acknowledged"
echo "    subscriber: exit $sub_rc; received ${received:-?}, distinct ${distinct:-?}, first ${first:-?}, last ${last:-?}, in order: ${in_order:-?}"
problems=()
((pub_rc == 0)) || problems+=("the publisher exited with $pub_rc (see its stop report above)")
((sub_rc == 0)) || problems+=("the subscriber exited with $sub_rc (see its stop report above)")
if [[ -z $published || -z $received ]]; then
  problems+=("a summary line is missing")
else
  ((published > 0)) || problems+=("nothing was published")
  [[ $received == "$published" ]] || problems+=("received $received of $published events")
  [[ $distinct == "$published" ]] || problems+=("$distinct distinct events of $published")
  [[ $in_order == 1 ]] || problems+=("events arrived out of order")
  [[ $first == 1 && $last == "$published" ]] || problems+=("the subscriber saw events $first..$last, not 1..$published")
fi
if ((${#problems[@]} == 0)); then
  echo "OK: all $published events arrived exactly once, in order; both processes stopped cleanly"
  exit 0
fi
printf 'FAILED: %s\n' "${problems[@]}" >&2
exit 1
