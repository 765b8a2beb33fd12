#!/usr/bin/env python3
"""Benchmark of issue 18's incremental requirement: adding M new reviews
to a store `bench/multi_scale.py --keep DIR` labelled, and running again,
takes at most a tenth of the first job and labels the new reviews as a
full run would.

usage: scale_add.py DIR [M] [--only single|multi] [--seed S]
                    [--threads T] [--data DIR] [-p NAME=VALUE]...
DIR is multi_scale.py's --keep directory: its reviews.tsv, its stores
(single.db, multi.db) labelled by the first job, and its results.json
(the first job's times). M (default 100000) new reviews come from the
same generator with another seed S (default 7), their ids renamed from
g<i> to s<S>-<i> so that none is an old id; they are written once to
DIR/add_M_sS.tsv (adds of other seeds can follow each other). For each
store: import, then `revlab run -p threads=T` (default 2, as
multi_scale.py; and any -p given here), each timed by wall and CPU
clock with its peak memory, as multi_scale.py times them. Then
the labels: of the new reviews, and of every 100th old review (as the
first run left them, before the add), against the generator's gold: in
a single-label store the share whose label is the review's first (main)
label, in a multi-label store the mean Jaccard index of its labels and
the gold ones. Prints the add's times, their share of the first job's
wall time (the requirement: at most a tenth) and the two agreements.
The store is changed: run it on a copy if the first job's store is
still wanted as it was."""
import argparse, json, os, sqlite3, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import multi_scale  # noqa: E402  (its run() times a command)

STAGES = ("init", "import", "seed", "rules", "run")


def gold(path, keep):
    """{id: [labels]} of the reviews of the TSV at path that keep(line
    number, id) takes."""
    out = {}
    with open(path, encoding="utf-8") as f:
        f.readline()
        for j, line in enumerate(f):
            i, labels, _ = line.split("\t", 2)
            if keep(j, i):
                out[i] = labels.split("|")
    return out


def assigned(db, ids):
    """{id: set of labels} the store assigns to the given ids (a review
    with no assignment abstained: the empty set)."""
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        con.execute("CREATE TEMP TABLE want (ext_id TEXT PRIMARY KEY)")
        con.executemany("INSERT INTO want VALUES (?)", ((i,) for i in ids))
        out = {i: set() for i in ids}
        for i, name in con.execute(
                "SELECT r.ext_id, l.name FROM want w JOIN reviews r ON "
                "r.ext_id = w.ext_id JOIN assignments a ON a.review_id = "
                "r.id JOIN labels l ON l.id = a.label_id"):
            out[i].add(name)
        return out
    finally:
        con.close()


def agreement(g, got, mode):
    """Single-label: the share whose label is the gold main label;
    multi-label: the mean Jaccard index of the label sets."""
    if not g:
        return float("nan")
    if mode == "single":
        return sum(got[i] == {v[0]} for i, v in g.items()) / len(g)
    return sum(len(got[i] & set(v)) / len(got[i] | set(v))
               for i, v in g.items()) / len(g)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("m", type=int, nargs="?", default=100000)
    ap.add_argument("--only", choices=("single", "multi"))
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--data", default=os.path.join(HERE, "..", "..",
                                                    "shared", "data"))
    ap.add_argument("-p", dest="params", action="append", default=[],
                    metavar="NAME=VALUE")
    a = ap.parse_args()
    with open(os.path.join(a.dir, "results.json")) as f:
        first = json.load(f)
    tsv = os.path.join(a.dir, "reviews.tsv")
    add = os.path.join(a.dir, "add_%d_s%d.tsv" % (a.m, a.seed))
    if not os.path.exists(add):
        # The generator writes ids g0, g1, ...: renamed s7-0, s7-1, ...
        # for seed 7, so that no new id is an old one (nor one of an
        # earlier add's of another seed). The labels are the first
        # job's, a rule each.
        with open(os.path.join(a.dir, "rules.txt")) as f:
            n_labels = sum(1 for line in f if not line.startswith("#"))
        subprocess.run([sys.executable, os.path.join(HERE, "gen_corpus.py"),
                        str(a.m), add + ".part", "--multi", str(n_labels),
                        "--seed", str(a.seed), "--data", a.data],
                       check=True)
        with open(add + ".part", encoding="utf-8") as f, \
                open(add + ".ren", "w", encoding="utf-8") as o:
            o.write(f.readline())
            for line in f:
                o.write("s%d-%s" % (a.seed, line[1:]))
        os.remove(add + ".part")
        os.rename(add + ".ren", add)
    new_gold = gold(add, lambda j, i: True)
    old_gold = gold(tsv, lambda j, i: j % 100 == 0)
    print("adding %d reviews (%s) to %s" % (a.m, add, a.dir))
    for mode in ("single", "multi"):
        if (a.only and a.only != mode) or mode not in first:
            continue
        db = os.path.join(a.dir, mode + ".db")
        old_before = agreement(old_gold, assigned(db, list(old_gold)), mode)
        log = os.path.join(a.dir, "%s_add.log" % mode)
        if os.path.exists(log):
            os.remove(log)
        p = ["-p", "threads=%d" % a.threads]
        for kv in a.params:
            p += ["-p", kv]
        r = {}
        for name, cmd in (("import", ["import", "-q", db, add]),
                          ("run", ["run", db] + p)):
            r[name] = multi_scale.run([multi_scale.REVLAB] + cmd, log)
            print("%-6s %-7s %8.1f s wall %8.1f s cpu  peak %6.0f MB  "
                  "load %.2f" % (mode, name, r[name]["wall"], r[name]["cpu"],
                                 r[name]["peak"], r[name]["load"]))
            sys.stdout.flush()
        if r["run"]["failed"]:
            sys.exit("%s: run FAILED: %s" % (mode, r["run"]["failed"]))
        f = first[mode]
        job = sum(f[c]["wall"] for c in STAGES)
        wall = r["import"]["wall"] + r["run"]["wall"]
        new = agreement(new_gold, assigned(db, list(new_gold)), mode)
        print("%s: the add took %.1f s (import and run), %.1f%% of the first "
              "job's %.1f s (%s a tenth); peak %.0f MB" % (
                  mode, wall, 100 * wall / job, job,
                  "within" if wall <= job / 10 else "NOT within",
                  max(r[c]["peak"] for c in r)))
        print("%s: %s against the generator's gold: the %d new reviews "
              "%.4f, every 100th old review (%d, as the first job left "
              "them) %.4f" % (
                  mode, "right" if mode == "single" else "mean Jaccard",
                  len(new_gold), new, len(old_gold), old_before))
        first[mode]["add"] = dict(r, m=a.m, share=wall / job,
                                  new=new, old=old_before)
    with open(os.path.join(a.dir, "results_add.json"), "w") as f:
        json.dump(first, f, indent=1)


if __name__ == "__main__":
    main()
