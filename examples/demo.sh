#!/bin/sh
# The main job on the bundled example: installs what is missing, builds
# revlab, then imports examples/reviews.tsv into a fresh store and runs
# every stage that exists, printing what each did.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. .ci/deps
[ -d build ] || meson setup build >/dev/null
meson compile -C build >/dev/null
db=build/example.db
rm -f "$db" "$db-wal" "$db-shm"
./build/revlab init "$db"
./build/revlab import "$db" examples/reviews.tsv
./build/revlab run "$db"
