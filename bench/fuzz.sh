#!/bin/sh
# Fuzzes every parser of outside input (fuzz/: CSV, TSV and JSONL import,
# rules and seeds files, the tokenizer, model files, the stored evaluation
# the report reads) with libFuzzer, one target at a time, SECONDS each
# (600 unless given; issue #19 asks for 10 minutes each), and prints per
# target the time run, executions per second, coverage and findings.
#
#   bench/fuzz.sh [SECONDS [TARGET...]]
#   bench/fuzz.sh 0        # smoke: build, run every seed once (CI-sized)
#
# Builds build-fuzz/ (CC=clang, -Dfuzz=true). Each target starts from its
# checked-in seeds (fuzz/corpus/TARGET, never written to) and from what
# earlier runs found (build-fuzz/corpus/TARGET, where new inputs go).
# A crash, leak, timeout (-timeout, 30 s an input) or sanitizer report is
# written to build-fuzz/findings/ and counted; the script then fails. To
# keep a fixed finding as a regression seed, copy it into fuzz/corpus/TARGET:
# `meson test -C build-fuzz --suite fuzz` replays every seed.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
REVLAB_NO_OPTIONAL=1 REVLAB_EXTRA_PACKAGES="clang libclang-rt-dev" . .ci/deps
seconds=${1:-600}
[ $# -gt 0 ] && shift
all="import_csv import_tsv import_jsonl rules seeds tokenize model report"
targets=${*:-$all}
dir=build-fuzz
[ -d "$dir" ] || CC=clang meson setup "$dir" -Dfuzz=true >/dev/null
meson compile -C "$dir" fuzz >/dev/null
if [ "$seconds" -eq 0 ]; then
	exec meson test -C "$dir" --suite fuzz --print-errorlogs
fi

# The targets' temporary files go to a folder of our own, removed after
# (a target killed by a finding cannot clean up behind itself).
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export TMPDIR="$tmp"
export ASAN_OPTIONS=detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1
mkdir -p "$dir/findings" "$dir/logs"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-13s %7s %10s %8s %6s %7s %8s\n' target seconds execs execs/s \
	cov ft findings
status=0
for t in $targets; do
	exe=$dir/fuzz/fuzz_$t
	[ -x "$exe" ] || { echo "no target $t" >&2; exit 2; }
	mkdir -p "$dir/corpus/$t"
	log=$dir/logs/$t.log
	t0=$(date +%s)
	set +e
	"$exe" "$dir/corpus/$t" "fuzz/corpus/$t" -max_total_time="$seconds" \
		-timeout=30 -print_final_stats=1 \
		-artifact_prefix="$dir/findings/$t-" >"$log" 2>&1
	rc=$?
	set -e
	t1=$(date +%s)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
	ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
	found=$(grep -c 'Test unit written to' "$log" || true)
	[ "$rc" -ne 0 ] && [ "$found" -eq 0 ] && found="exit $rc"
	printf '%-13s %7s %10s %8s %6s %7s %8s\n' "$t" $((t1 - t0)) \
		"${execs:--}" "${rate:--}" "${cov:--}" "${ft:--}" "$found"
	if [ "$found" != 0 ]; then
		status=1
		grep -E 'SUMMARY|ERROR:|Test unit written to|fuzz:' "$log" |
			sed 's/^/    /' | head -n 8
	fi
done
echo "logs: $dir/logs/; findings: $dir/findings/"
exit $status
