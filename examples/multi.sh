#!/bin/sh
# The multi-label example: installs what is missing, builds revlab, then
# labels 202 short reviews of an online shop, each about one to three of
# price, quality, service, shipping and size, in a store made with
# --multi-label, from hand labels on 32 of them (multi/seeds.tsv, 44
# labels) and one keyword rule a label (multi/rules.txt). Prints the
# labelled table, the labels with their counts, the score against
# multi/gold.tsv (which revlab never sees; multi/score.py) and the labels
# of a few new reviews (multi/new.tsv). The reviews were written for this
# example; see multi/README.md.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
REVLAB_NO_OPTIONAL=1 . .ci/deps
[ -d build ] || meson setup build >/dev/null
meson compile -C build >/dev/null
db=build/multi.db
rm -f "$db" "$db-wal" "$db-shm"
revlab=./build/revlab
ex=examples/multi
$revlab init "$db" --multi-label
$revlab import "$db" $ex/reviews.tsv
$revlab seed "$db" $ex/seeds.tsv
$revlab rules "$db" $ex/rules.txt
$revlab run "$db"
echo
echo "== the labelled table: the first 12 reviews revlab labelled (the"
echo "== hand-labelled ones left out, the sources column too; revlab export"
echo "== for all)"
$revlab export "$db" --format tsv --text |
	awk -F '\t' 'NR == 1 || $4 !~ /seed/ {
		printf "%-5s %-21s %-20s %.60s\n", $1, $2, $3, $5 }' |
	head -n 13
echo
$revlab labels "$db"
echo
# Score against the gold labels the pipeline never saw (seeds excluded).
$revlab export "$db" --format tsv | python3 $ex/score.py "$db"
echo
echo "== new reviews: revlab predict $db $ex/new.tsv"
$revlab predict "$db" $ex/new.tsv
