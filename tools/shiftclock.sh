#!/usr/bin/env bash
# shiftclock.sh SECONDS prints the path of a `go build -overlay` file that
# moves the wall clock of every program it builds SECONDS ahead (or behind,
# when negative): time.Now and everything built on it, while the monotonic
# clock is unchanged. `make test` runs the suite a second time through it,
# so that a test depending on the date or the hour it runs at fails on the
# day it is written, not months later.
set -euo pipefail
shift_s=${1:?usage: shiftclock.sh SECONDS}
[[ $shift_s =~ ^-?[0-9]+$ ]] || { echo "shiftclock.sh: SECONDS must be a whole number, not $shift_s" >&2; exit 2; }
goroot=$(go env GOROOT)
src=$goroot/src/time/time.go
dir=${TMPDIR:-/tmp}/parley-shiftclock-$(go env GOVERSION)-$shift_s
mkdir -p "$dir"
# time.Now reads the wall clock once, from runtimeNow; shift what it read.
pattern=$'^\tsec, nsec, mono := runtimeNow()$'
if [ "$(grep -c "$pattern" "$src")" != 1 ]; then
  echo "shiftclock.sh: $src has no single 'sec, nsec, mono := runtimeNow()' line to shift; update this script for $(go env GOVERSION)" >&2
  exit 1
fi
awk -v s="$shift_s" '{ print } /^\tsec, nsec, mono := runtimeNow\(\)$/ { print "\tsec += " s }' "$src" >"$dir/time.go"
printf '{"Replace":{"%s":"%s"}}\n' "$src" "$dir/time.go" >"$dir/overlay.json"
echo "$dir/overlay.json"
