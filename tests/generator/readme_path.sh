#!/usr/bin/env bash
# generator.readme_path: runs the README's "From a DOT sketch to a running service with telemetry" block word for
# word, as a reader would: from the repository's root, with a HOME of its own (so ~/.local and ~/sketches are fresh
# and nothing of the real home is touched). It passes when every command succeeds, the service printed its telemetry
# address, and it stopped cleanly after its --duration.
#   readme_path.sh <steady_state source dir> <work dir>
# The block builds into build-install/ at the repository's root, exactly as the README says.
set -euo pipefail

src=$1
work=$2
readme="$src/README.md"

block=$(awk '/<!-- readme-path:begin/ { on = 1; next } /<!-- readme-path:end/ { on = 0 } on' "$readme" |
  sed -e '/^```/d')
[[ -n "$block" ]] || {
  echo "readme_path: no block between the readme-path markers in $readme" >&2
  exit 1
}

rm -rf "$work"
mkdir -p "$work/home"
# The compiler cache stays the real one (it lives under the real HOME by default), so the library build is mostly hits.
CCACHE_DIR="${CCACHE_DIR:-$(ccache --get-config cache_dir 2>/dev/null || echo "$HOME/.cache/ccache")}"
export CCACHE_DIR CCACHE_NOHASHDIR=true
export HOME="$work/home"

log="$work/output.txt"
echo "readme_path: running the README block in $src with HOME=$HOME"
status=0
(cd "$src" && bash -euo pipefail -c "$block") >"$log" 2>&1 || status=$?
tail -n 40 "$log"
if ((status != 0)); then
  echo "readme_path: the README block failed with exit status $status (whole output: $log)" >&2
  exit 1
fi
grep -q "my_service: telemetry at http://127.0.0.1:" "$log" || {
  echo "readme_path: the service did not print its telemetry address" >&2
  exit 1
}
grep -q "my_service: clean stop" "$log" || {
  echo "readme_path: no clean stop reported" >&2
  exit 1
}
echo "readme_path: OK"
