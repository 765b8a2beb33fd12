#!/usr/bin/env python3
"""The evaluation protocol of ../shared/data/README.md, run on revlab and on
the scikit-learn baselines in the same run, on the same splits.

For each dataset and draw: split.py makes train/seeds/test; revlab imports
train.tsv, loads seeds.tsv and the dataset's rules file, runs the pipeline,
and its labels for the non-seed train reviews are scored against gold
(transductive macro-F1; an abstained review counts as wrong). Where
`revlab predict` exists, test.tsv is scored too (inductive).
sklearn_baseline.py runs on the same split; the table shows both.

usage: protocol.py [--sets blitzer,semeval,uci] [--draws N] [--no-peer]
                   [-p name=value ...]"""
import argparse, json, os, sqlite3, subprocess, sys, tempfile
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
REVLAB = os.path.join(TOP, "build", "revlab")
SHARED = os.path.join(TOP, "..", "shared")
SETS = {"blitzer": ("blitzer-mds", "reviews.tsv", 3),
        "semeval": ("semeval14-restaurants", "reviews.tsv", 5),
        "uci": ("uci-sentiment-sentences", "reviews.tsv", 5)}


def read(path):
    with open(path, encoding="utf-8") as f:
        f.readline()
        return dict(l.rstrip("\n").split("\t", 1) for l in f if l.strip())


def macro_f1(gold, pred):
    classes = sorted(set(gold.values()))
    f = []
    for c in classes:
        tp = sum(1 for i in gold if gold[i] == c and pred.get(i) == c)
        fp = sum(1 for i in gold if gold[i] != c and pred.get(i) == c)
        fn = sum(1 for i in gold if gold[i] == c and pred.get(i) != c)
        p = tp / (tp + fp) if tp + fp else 0
        r = tp / (tp + fn) if tp + fn else 0
        f.append(2 * p * r / (p + r) if p + r else 0)
    return sum(f) / len(f)


def sh(*cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def revlab(split, rules, params):
    db = os.path.join(split, "r.db")
    sh(REVLAB, "init", db)
    sh(REVLAB, "import", "-q", db, os.path.join(split, "train.tsv"))
    sh(REVLAB, "seed", db, os.path.join(split, "seeds.tsv"))
    sh(REVLAB, "rules", db, rules, "--create-labels")
    sh(REVLAB, "run", "-q", db, *params)
    con = sqlite3.connect(db)
    pred = dict(con.execute(
        "SELECT r.ext_id, l.name FROM assignments a JOIN reviews r ON "
        "r.id = a.review_id JOIN labels l ON l.id = a.label_id"))
    con.close()
    gold = read(os.path.join(split, "gold.tsv"))
    seeds = read(os.path.join(split, "seeds.tsv"))
    unl = {i: g for i, g in gold.items() if i not in seeds}
    return {"transductive_f1": round(macro_f1(unl, pred), 4)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sets", default="blitzer,semeval,uci")
    ap.add_argument("--draws", type=int, default=0)
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("-p", action="append", default=[])
    a = ap.parse_args()
    params = sum((["-p", p] for p in a.p), [])
    for name in a.sets.split(","):
        folder, tsv, draws = SETS[name]
        draws = a.draws or draws
        rules = os.path.join(SHARED, "data", folder, "reviews.rules")
        rows = []
        for d in range(1, draws + 1):
            with tempfile.TemporaryDirectory() as tmp:
                subprocess.run([sys.executable, os.path.join(SHARED, "tools",
                               "split.py"), os.path.join(SHARED, "data",
                               folder, tsv), tmp, "--k", "10", "--draw",
                               str(d)], check=True,
                               stdout=subprocess.DEVNULL)
                r = {"revlab": revlab(tmp, rules, params)}
                if not a.no_peer:
                    out = subprocess.run(["/usr/bin/python3", os.path.join(
                        SHARED, "tools", "sklearn_baseline.py"), tmp,
                        "--rules", rules, "--only",
                        "spread_lr,rules_spread"], check=True,
                        capture_output=True, text=True).stdout
                    r["sklearn"] = json.loads(out.strip().splitlines()[-1])
                rows.append(r)
        mean = lambda xs: sum(xs) / len(xs)
        line = "%-8s draws %d  revlab transductive %.3f" % (
            name, draws, mean([r["revlab"]["transductive_f1"] for r in rows]))
        if not a.no_peer:
            for m in ("spread_lr", "rules_spread"):
                v = [r["sklearn"][m]["transductive_f1"] for r in rows
                     if m in r["sklearn"]]
                if v:
                    line += "  sklearn %s %.3f" % (m, mean(v))
        print(line, flush=True)


if __name__ == "__main__":
    main()
