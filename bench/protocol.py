#!/usr/bin/env python3
"""The evaluation protocol of ../shared/data/README.md, run on revlab and on
the scikit-learn baselines in the same run, on the same splits.

For each dataset and draw: split.py makes train/seeds/test; revlab imports
train.tsv, loads seeds.tsv and the dataset's rules file, runs the pipeline,
and its labels for the non-seed train reviews are scored against gold
(transductive macro-F1; an abstained review counts as wrong). Where
`revlab predict` exists, test.tsv is scored too (inductive).
sklearn_baseline.py runs on the same split; the table shows both.

The label files without a rules file of their own (blitzer's sentiment,
uci's source site, imdb) run without rules, revlab and scikit-learn alike,
unless --rules gives one for both.

usage: protocol.py [--sets blitzer,semeval,uci,blitzer-sentiment,
                   uci-domain,imdb] [--draws N] [--no-peer] [--rules FILE]
                   [-p name=value ...]"""
import argparse, json, os, sqlite3, subprocess, sys, tempfile
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
REVLAB = os.environ.get("REVLAB", os.path.join(TOP, "build", "revlab"))
SHARED = os.path.join(TOP, "..", "shared")
# name: folder, labelled file, draws, its rules file (the given rules are
# for the main label of a folder; the other label files have none).
SETS = {"blitzer": ("blitzer-mds", "reviews.tsv", 3, "reviews.rules"),
        "semeval": ("semeval14-restaurants", "reviews.tsv", 5,
                    "reviews.rules"),
        "uci": ("uci-sentiment-sentences", "reviews.tsv", 5, "reviews.rules"),
        "blitzer-sentiment": ("blitzer-mds", "reviews_sentiment.tsv", 3,
                              None),
        "uci-domain": ("uci-sentiment-sentences", "reviews_domain.tsv", 5,
                       None),
        "imdb": ("imdb", "reviews.tsv.xz", 5, None)}


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


def revlab(split, rules, params, propagation_only=False):
    db = os.path.join(split, "r.db")
    sh(REVLAB, "init", db)
    sh(REVLAB, "import", "-q", db, os.path.join(split, "train.tsv"))
    sh(REVLAB, "seed", db, os.path.join(split, "seeds.tsv"))
    if rules:
        sh(REVLAB, "rules", db, rules, "--create-labels")
    sh(REVLAB, "run", "-q", db, *params)
    if propagation_only:
        # The labels of propagation alone, whatever run chose.
        sh(REVLAB, "propagate", "-q", db, *params)
    out = subprocess.run([REVLAB, "predict", db, os.path.join(split,
                         "test.tsv")], check=True, capture_output=True,
                         text=True).stdout
    tpred = dict(l.split("\t")[:2] for l in out.splitlines()[1:])
    tgold = read(os.path.join(split, "test_gold.tsv"))
    con = sqlite3.connect(db)
    method = con.execute("SELECT json_extract(params, '$.method') FROM runs "
                         "WHERE stage = 'label' ORDER BY id LIMIT 1"
                         ).fetchone()
    pred = dict(con.execute(
        "SELECT r.ext_id, l.name FROM assignments a JOIN reviews r ON "
        "r.id = a.review_id JOIN labels l ON l.id = a.label_id"))
    con.close()
    gold = read(os.path.join(split, "gold.tsv"))
    seeds = read(os.path.join(split, "seeds.tsv"))
    unl = {i: g for i, g in gold.items() if i not in seeds}
    return {"transductive_f1": round(macro_f1(unl, pred), 4),
            "test_f1": round(macro_f1(tgold, tpred), 4),
            "method": method[0] if method else "propagation"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sets", default="blitzer,semeval,uci")
    ap.add_argument("--draws", type=int, default=0)
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--rules", help="this rules file instead of the "
                    "set's own (or none), for revlab and scikit-learn")
    ap.add_argument("-p", action="append", default=[])
    ap.add_argument("--propagation-only", action="store_true",
                    help="score propagation's labels, not run's choice")
    a = ap.parse_args()
    params = sum((["-p", p] for p in a.p), [])
    for name in a.sets.split(","):
        folder, tsv, draws, rules = SETS[name]
        draws = a.draws or draws
        if rules:
            rules = os.path.join(SHARED, "data", folder, rules)
        if a.rules:
            rules = a.rules
        src = os.path.join(SHARED, "data", folder, tsv)
        unpacked = None
        if src.endswith(".xz"):
            # split.py reads plain TSV.
            import lzma
            unpacked = tempfile.NamedTemporaryFile("wb", suffix=".tsv",
                                                   delete=False)
            with lzma.open(src) as f:
                unpacked.write(f.read())
            unpacked.close()
            src = unpacked.name
        rows = []
        for d in range(1, draws + 1):
            with tempfile.TemporaryDirectory() as tmp:
                subprocess.run([sys.executable, os.path.join(SHARED, "tools",
                               "split.py"), src, tmp, "--k", "10", "--draw",
                               str(d)], check=True,
                               stdout=subprocess.DEVNULL)
                r = {"revlab": revlab(tmp, rules, params,
                                      a.propagation_only)}
                if not a.no_peer:
                    out = subprocess.run(["/usr/bin/python3", os.path.join(
                        SHARED, "tools", "sklearn_baseline.py"), tmp] +
                        (["--rules", rules] if rules else []), check=True,
                        capture_output=True, text=True).stdout
                    r["sklearn"] = json.loads(out.strip().splitlines()[-1])
                rows.append(r)
        if unpacked:
            os.unlink(unpacked.name)
        mean = lambda xs: sum(xs) / len(xs)
        rv = lambda k: mean([r["revlab"][k] for r in rows])
        line = "%-8s draws %d  revlab test %.3f transductive %.3f (chose %s)" % (
            name, draws, rv("test_f1"), rv("transductive_f1"),
            ",".join(sorted(set(r["revlab"]["method"] for r in rows))))
        if not a.no_peer:
            best = 0
            for m in ("seeds_lr", "spread_lr", "rules_spread", "self_train"):
                v = [r["sklearn"][m]["test_f1"] for r in rows
                     if m in r["sklearn"]]
                if v:
                    line += " | sk %s %.3f" % (m, mean(v))
                    best = max(best, mean(v))
            ceil = [r["sklearn"]["full_lr"]["test_f1"] for r in rows
                    if "full_lr" in r["sklearn"]]
            line += " | best sklearn %.3f, revlab %+.1f points" % (
                best, 100 * (rv("test_f1") - best))
            if ceil:
                line += ", %.0f%% of ceiling %.3f" % (
                    100 * rv("test_f1") / mean(ceil), mean(ceil))
        print(line, flush=True)


if __name__ == "__main__":
    main()
