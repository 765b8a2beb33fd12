#!/usr/bin/env python3
"""Which vectors give the better neighbours? For each labelled dataset in
../shared/data, builds the exact k-nearest-neighbour graph on TF-IDF and on
LSA vectors and prints label agreement: the share of (review, neighbour)
pairs whose gold labels agree, for k = 10 (and the majority-vote accuracy
of the 10 neighbours, the number label propagation lives on).

usage: neighbours.py [--k 10] [-p name=value ...]"""
import argparse, os, sqlite3, subprocess, sys, tempfile
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
REVLAB = os.path.join(os.path.dirname(HERE), "build", "revlab")
DATA = os.path.join(HERE, "..", "..", "shared", "data")
SETS = [("blitzer-mds", "reviews.tsv"), ("semeval14-restaurants",
        "reviews.tsv"), ("uci-sentiment-sentences", "reviews.tsv"),
        ("uci-sentiment-sentences", "reviews_domain.tsv")]


def sh(*cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def agreement(db):
    con = sqlite3.connect(db)
    gold = dict(con.execute("SELECT id, json_extract(meta, '$.label') "
                            "FROM reviews"))
    nb = {}
    for r, n in con.execute("SELECT review_id, neighbour_id FROM "
                            "neighbours ORDER BY review_id, rank"):
        nb.setdefault(r, []).append(n)
    pairs = same = hits = 0
    for r, ns in nb.items():
        same += sum(gold[n] == gold[r] for n in ns)
        pairs += len(ns)
        top = Counter(gold[n] for n in ns).most_common(1)
        hits += bool(top) and top[0][0] == gold[r]
    con.close()
    return same / max(pairs, 1), hits / max(len(nb), 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("-p", action="append", default=[])
    a = ap.parse_args()
    params = sum((["-p", p] for p in a.p), [])
    print("%-40s %8s %17s %17s" % ("dataset", "reviews", "tfidf agree/vote",
                                   "lsa agree/vote"))
    for folder, name in SETS:
        with tempfile.TemporaryDirectory() as tmp:
            db = os.path.join(tmp, "r.db")
            sh(REVLAB, "init", db)
            sh(REVLAB, "import", "-q", db, os.path.join(DATA, folder, name))
            sh(REVLAB, "tokenize", "-q", db)
            sh(REVLAB, "vectorize", "-q", db, *params)
            row = []
            for kind in ("tfidf", "lsa"):
                sh(REVLAB, "graph", "-q", db, "-p", "vectors=" + kind,
                   "-p", "k=%d" % a.k, "-p", "exact_below=1000000")
                row.append(agreement(db))
            n = sqlite3.connect(db).execute(
                "SELECT count(*) FROM reviews").fetchone()[0]
            print("%-40s %8d %8.3f / %.3f %8.3f / %.3f" % (
                folder + "/" + name, n, row[0][0], row[0][1], row[1][0],
                row[1][1]))


if __name__ == "__main__":
    main()
