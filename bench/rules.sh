#!/bin/sh
# Rule iteration speed (issue 4): 50 rules over 100,000 reviews made of
# real sentences (gen_corpus.py). Prints the time to load and apply all
# 50 rules, to change one rule (only its pattern is matched again), and
# to compute `rules stats`. Target: change-one under 1 s.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
REVLAB_NO_OPTIONAL=1 . .ci/deps
[ -d build ] || meson setup build >/dev/null
meson compile -C build >/dev/null
n=${1:-100000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 bench/gen_corpus.py "$n" "$tmp/r.tsv"
db=$tmp/r.db
./build/revlab init "$db" >/dev/null
./build/revlab import -q "$db" "$tmp/r.tsv"
./build/revlab labels "$db" --add a b c d e
# 50 rules: pairs of common review words, 10 per label.
python3 - "$tmp/rules.txt" <<'PY'
import sys
words = """good great bad love hate boring funny best worst money
price cheap quality book read movie film story plot actor sound
battery music kitchen coffee buy bought return broke works easy
recommend waste time characters ending dvd scene watch season
series author writing pages camera phone player screen price
excellent terrible awesome awful""".split()
assert len(words) >= 50
with open(sys.argv[1], "w") as f:
    for i in range(50):
        a, b = words[i], words[(i * 7 + 3) % len(words)]
        f.write("%s\t\\b(%s|%s)\\b\n" % ("abcde"[i % 5], a, b))
PY
t() {
	s=$(date +%s%N)
	"$@" >/dev/null
	e=$(date +%s%N)
	ms=$(((e - s) / 1000000))
	printf '%d.%03d' $((ms / 1000)) $((ms % 1000))
}
echo "corpus: $n reviews, $(du -m "$tmp/r.tsv" | cut -f1) MB; 50 rules"
echo "load + apply all 50 rules: $(t ./build/revlab rules "$db" "$tmp/rules.txt") s"
sed -i '1s/.*/a\t\\b(excellent|superb)\\b/' "$tmp/rules.txt"
echo "change one rule:           $(t ./build/revlab rules "$db" "$tmp/rules.txt") s"
echo "rules stats:               $(t ./build/revlab rules stats "$db") s"
./build/revlab rules stats "$db" | grep 'rules cover'
