#!/bin/sh
# Word-list rules at scale (issue 17): a list of 50,000 words and phrases
# (gen_wordlist.py) against 100,000 reviews (gen_corpus.py). Prints the
# matcher alone (bench_wordlist: load, reviews/s, peak memory) beside
# PCRE2 with the same entries as one alternation (at the largest size it
# compiles), the Python peers (wordlist_peer.py: a dictionary scan and
# `re`), and the whole `revlab rules` load of a word-list rule into a
# store (time and peak memory by /usr/bin/time).
# usage: bench/wordlist.sh [REVIEWS] [ENTRIES] [DATA_DIR]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
[ -d build ] || meson setup build >/dev/null
meson compile -C build >/dev/null
n=${1:-100000}
k=${2:-50000}
data=${3:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 bench/gen_corpus.py "$n" "$tmp/r.tsv" ${data:+--data "$data"}
python3 bench/gen_wordlist.py "$k" "$tmp/r.tsv" "$tmp/words.txt"
echo "== the matcher alone"
./build/bench/bench_wordlist "$tmp/words.txt" "$tmp/r.tsv"
echo "== Python peers"
python3 bench/wordlist_peer.py "$tmp/words.txt" "$tmp/r.tsv" 2000
echo "== revlab rules, one word-list rule, into a store"
db=$tmp/r.db
./build/revlab init "$db" >/dev/null
./build/revlab import -q "$db" "$tmp/r.tsv"
./build/revlab labels "$db" --add a >/dev/null
printf 'a\t? @words.txt\n' >"$tmp/rules.txt"
/usr/bin/time -f 'revlab rules: %e s wall, %U s user, peak memory %M KB' \
	./build/revlab rules "$db" "$tmp/rules.txt"
