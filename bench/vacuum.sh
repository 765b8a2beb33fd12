#!/bin/sh
# vacuum.sh - the store's size per review after run, after vacuum and
# after vacuum --derived, and the time of the run that follows; checks
# that run labels every review as before.
# usage: bench/vacuum.sh REVLAB DATA_DIR N WORKDIR
# (DATA_DIR as for gen_corpus.py --data)
set -eu
R=$1 DATA=$2 N=$3 W=$4
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$W"
cd "$W"
python3 "$HERE/gen_corpus.py" "$N" lab.tsv --labelled 0.2 --seed 1 \
	--data "$DATA"
# id, text for import; 500 hand labels from the training part
awk -F '\t' 'NR == 1 { print "id\ttext"; next } { print $1 "\t" $4 }' \
	lab.tsv > rev.tsv
awk -F '\t' 'NR > 1 && $3 == "train" && n < 500 { print $1 "\t" $2; n++ }' \
	lab.tsv > seeds.tsv
printf 'books\t\\bnovel\\b\nkitchen\t\\bblender\\b\n' > rules.txt
rm -f s.db s.db-wal s.db-shm
"$R" init s.db >/dev/null
"$R" import -q s.db rev.tsv
"$R" seed s.db seeds.tsv >/dev/null
"$R" rules s.db rules.txt >/dev/null 2>&1 ||
	"$R" rules s.db rules.txt --create-labels >/dev/null
size() {
	"$R" stats s.db --json | python3 -c 'import json, sys
d = json.load(sys.stdin); s = d["size"]
print("%-22s %10d bytes  %6.0f bytes/review" % (sys.argv[1], s["bytes"],
      s["bytes_per_review"]))
for t in d["tables"][:6]:
    print("    %-16s %10d%s" % (t["name"], t["bytes"],
          "  derived" if t["derived"] else ""))' "$1"
}
t0=$(date +%s.%N); "$R" run -q s.db >/dev/null; t1=$(date +%s.%N)
echo "first run $(echo "$t1 - $t0" | bc) s"
sqlite3 s.db "SELECT review_id, label_id, confidence, margin, source, \
evidence FROM assignments ORDER BY 1, 2" | md5sum > before.md5
size "after run"
"$R" vacuum s.db >/dev/null
size "after vacuum"
"$R" vacuum s.db --derived >/dev/null
size "after vacuum --derived"
t0=$(date +%s.%N); "$R" run -q s.db >/dev/null; t1=$(date +%s.%N)
echo "run after --derived $(echo "$t1 - $t0" | bc) s"
size "after that run"
sqlite3 s.db "SELECT review_id, label_id, confidence, margin, source, \
evidence FROM assignments ORDER BY 1, 2" | md5sum > after.md5
cmp -s before.md5 after.md5 && echo "assignments: the same" ||
	echo "assignments: DIFFERENT"
echo "load $(cut -d ' ' -f 1-3 /proc/loadavg)"
