#!/bin/sh
# Builds revlab and runs the whole test suite three times: a plain build;
# one under AddressSanitizer + UndefinedBehaviorSanitizer (GCC); and one
# built by clang under its UBSan, which also stops at what GCC's lets
# pass (NULL + 0), with the fuzz targets (fuzz/), each replaying its
# seeds and fuzzing for a short while (-Dfuzz_smoke, 10 s each).
# Installs missing packages first, clang and libFuzzer included. Ends
# with one line of meson's totals: "N passed, N failed".
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
REVLAB_EXTRA_PACKAGES="clang libclang-rt-dev ${REVLAB_EXTRA_PACKAGES:-}"
. .ci/deps

passed=0
failed=0
# suite DIR [SETUP-ARGS...]: builds DIR (set up first if missing, by the
# compiler $cc when set) and runs its tests.
suite() {
	dir=$1
	shift
	[ -d "$dir" ] || env ${cc:+CC=$cc} meson setup "$dir" "$@" >/dev/null
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
# The Python package is left out here: its extension would need the
# UBSan runtime preloaded into Python; the builds above test it.
cc=clang suite build-clang -Db_sanitize=undefined -Db_lundef=false \
	-Dc_args=-fno-sanitize-recover=undefined -Dfuzz=true \
	-Dpython_binding=disabled

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
