#!/bin/sh
# Builds revlab and runs the whole test suite twice: a plain build, and one
# under AddressSanitizer + UndefinedBehaviorSanitizer. Installs missing
# packages first. Ends with one line of meson's totals: "N passed, N failed".
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. .ci/deps

passed=0
failed=0
suite() {
	dir=$1
	shift
	[ -d "$dir" ] || meson setup "$dir" "$@" >/dev/null
	meson compile -C "$dir" >/dev/null
	log=$(mktemp)
	set +e
	meson test -C "$dir" --print-errorlogs >"$log" 2>&1
	set -e
	cat "$log"
	ok=$(awk '/^Ok:/ {print $2}' "$log")
	bad=$(awk '/^(Fail|Timeout|Unexpected Pass):/ {s += $NF} END {print s+0}' "$log")
	rm -f "$log"
	passed=$((passed + ${ok:-0}))
	failed=$((failed + ${bad:-1}))
}

suite build
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
suite build-sanitize -Db_sanitize=address,undefined -Db_lundef=false

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
