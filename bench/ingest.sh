#!/bin/sh
# Import + tokenize throughput and peak memory on the IMDB reviews
# (../shared/data/imdb/reviews.tsv.xz: 50,000 reviews, ~65 MB), then on a
# file four times as large (the same reviews under new ids), to show that
# peak memory does not grow with the file. Targets (issue 2): at least
# 20 MB/s on one core, peak memory under 200 MB.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
REVLAB_NO_OPTIONAL=1 . .ci/deps
data=${REVLAB_DATA:-$top/../shared/data}
[ -d build ] || meson setup build >/dev/null
meson compile -C build >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
xz -dc "$data/imdb/reviews.tsv.xz" >"$tmp/imdb.tsv"
{
	head -n 1 "$tmp/imdb.tsv"
	for k in 1 2 3 4; do
		tail -n +2 "$tmp/imdb.tsv" | sed "s/^/x$k:/"
	done
} >"$tmp/imdb4.tsv"
echo "machine: $(nproc) cores, $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
for f in imdb imdb4; do
	echo "== $f.tsv: $(($(wc -l <"$tmp/$f.tsv") - 1)) reviews, $(du -m "$tmp/$f.tsv" | cut -f1) MB"
	./build/bench/bench_ingest "$tmp/$f.db" "$tmp/$f.tsv"
done
