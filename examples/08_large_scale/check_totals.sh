#!/usr/bin/env bash
# examples/08_large_scale/check_totals.sh BINARY [ARGS...] — the CTest check of the large-scale example.
# Runs BINARY ARGS (e.g. --duration 2 --fault-every 100 --telemetry-port 0) and passes only when it exited 0 and its
# last line, "large_scale totals: in=.. out=.. restarts=.. ...", shows out == in, in > 0 and restarts > 0 (the
# injected faults were restarted and no message was lost or repeated).
set -uo pipefail
bin=$1
shift
out=$("$bin" "$@" 2>/dev/null)
rc=$?
printf '%s\n' "$out"
line=$(printf '%s\n' "$out" | grep '^large_scale totals:' | tail -n 1)
if [[ -z "$line" ]]; then
  echo "check_totals: no 'large_scale totals:' line (exit code $rc)" >&2
  exit 1
fi
field() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$line"; }
in=$(field in) out_n=$(field out) restarts=$(field restarts)
if ((rc != 0)); then echo "check_totals: exit code $rc, want 0 (a clean stop)" >&2; exit 1; fi
if ((in == 0)); then echo "check_totals: in=0: nothing was generated" >&2; exit 1; fi
if ((out_n != in)); then echo "check_totals: out=$out_n != in=$in" >&2; exit 1; fi
if ((restarts == 0)); then echo "check_totals: restarts=0: no fault was injected and restarted" >&2; exit 1; fi
echo "check_totals: ok (in=$in out=$out_n restarts=$restarts)"
