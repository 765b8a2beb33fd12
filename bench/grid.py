#!/usr/bin/env python3
"""What run could choose, and how well its cross-validation would choose
it: for every single-label file and draw of the development suite
(suite.py), one store is built and run with the defaults; then for each
setting of a grid (propagation strength alpha x classifier) `revlab eval`
gives the cross-validated score on the hand labels (what run can see) and
`revlab train` + `predict` the test macro-F1 (what run cannot see). The
rows go to a JSON file; --rules NAME,... then replays choice rules over it
(argmax of the cross-validated score, the one-standard-error rule, fixed
settings) without running revlab again, with the margin over the
scikit-learn floor (suite.py's cache) and the leave-one-file-out check.

usage: grid.py run OUT.json [--files a,b] [--draws N] [--alphas 0,0.5,0.9]
                            [--models logreg,nb,cnb] [--fold-seeds 1,2]
       grid.py replay OUT.json
"""
import argparse, json, os, subprocess, sys, tempfile

from protocol import macro_f1, read, sh
from suite import (FILES, SHARED, REVLAB, SK, multi, new_store, source,
                   sklearn, mean)

HERE = os.path.dirname(os.path.abspath(__file__))


def run_one(split, rules, alphas, models, fold_seeds):
    db = new_store(split, rules, "g.db")
    sh(REVLAB, "run", "-q", db)
    test_gold = read(os.path.join(split, "test_gold.tsv"))
    rows = []
    for a in alphas:
        for m in models:
            p = ["-p", "propagate.alpha=%s" % a, "-p", "model=%s" % m]
            cv = []
            for fs in fold_seeds:
                out = subprocess.run([REVLAB, "eval", db, "--json"] + p +
                                     ["-p", "seed=%d" % fs], check=True,
                                     capture_output=True, text=True).stdout
                js = json.loads(out.strip().splitlines()[-1])
                cv.append({k: [v["macro_f1"], v["accuracy"]]
                           for k, v in js["methods"].items()})
            sh(REVLAB, "train", db, *p)
            out = subprocess.run([REVLAB, "predict", db, os.path.join(
                split, "test.tsv")], check=True, capture_output=True,
                text=True).stdout
            tpred = dict(l.split("\t")[:2] for l in out.splitlines()[1:])
            rows.append({"alpha": a, "model": m, "cv": cv,
                         "seeds": js["seeds"],
                         "test_f1": macro_f1(test_gold, tpred)})
    return rows


def cmd_run(a):
    files = a.files.split(",")
    alphas = a.alphas.split(",")
    models = a.models.split(",")
    fold_seeds = [int(x) for x in a.fold_seeds.split(",")]
    res = {}
    if os.path.exists(a.out):
        with open(a.out) as f:
            res = json.load(f)
    with tempfile.TemporaryDirectory() as tmp:
        for name in files:
            folder, tsv, draws, rules = FILES[name]
            src = source(folder, tsv, tmp)
            rpath = (os.path.join(SHARED, "data", folder, rules)
                     if rules else None)
            for d in range(1, (a.draws or draws) + 1):
                key = "%s-%d" % (name, d)
                if key in res:
                    continue
                split = os.path.join(tmp, key)
                sh("/usr/bin/python3", os.path.join(SHARED, "tools",
                   "split.py"), src, split, "--draw", str(d))
                sk = sklearn(split, rpath, os.path.join(HERE, ".suite-cache"),
                             key)
                rows = run_one(split, rpath, alphas, models, fold_seeds)
                res[key] = {"file": name, "draw": d, "rows": rows,
                            "floor": max(sk[k]["test_f1"] for k in SK if k in sk)}
                with open(a.out, "w") as f:
                    json.dump(res, f)
                best = max(rows, key=lambda r: r["test_f1"])
                print("%-22s floor %.3f  best test %.3f (a=%s %s)" % (
                      key, res[key]["floor"], best["test_f1"], best["alpha"],
                      best["model"]), flush=True)


# ---- choice rules, replayed ----

def cvscore(r, method="model"):
    return mean([c[method][0] for c in r["cv"]])


def cvse(r, method="model"):
    acc = mean([c[method][1] for c in r["cv"]])
    n = r["seeds"] * len(r["cv"])
    return (acc * (1 - acc) / n) ** 0.5


def rule_argmax(rows):
    return max(rows, key=cvscore)


def rule_argmax_first(rows):
    """argmax of the first fold seed's score alone."""
    return max(rows, key=lambda r: r["cv"][0]["model"][0])


def rule_factored(rows):
    """alpha by its score averaged over the classifiers, the classifier
    by its score averaged over the alphas: each choice rests on more
    folds than one cell of the grid has."""
    al = sorted({r["alpha"] for r in rows})
    ms = sorted({r["model"] for r in rows})
    ba = max(al, key=lambda a: mean([cvscore(r) for r in rows
                                     if r["alpha"] == a]))
    bm = max(ms, key=lambda m: mean([cvscore(r) for r in rows
                                     if r["model"] == m]))
    return next(r for r in rows if r["alpha"] == ba and r["model"] == bm)


def rule_today(rows):
    """What run does today: alpha 0.9, the classifier by the one-standard-
    error rule in the order cnb, nb, logreg, on the first fold seed."""
    at = [r for r in rows if r["alpha"] == "0.9"]
    f = lambda r: r["cv"][0]["model"][0]
    top = max(at, key=f)
    acc = top["cv"][0]["model"][1]
    band = f(top) - (acc * (1 - acc) / top["seeds"]) ** 0.5
    for m in ("cnb", "nb", "logreg"):
        for r in at:
            if r["model"] == m and f(r) >= band:
                return r
    return top


def rule_alpha_for(model):
    def f(rows):
        return max((r for r in rows if r["model"] == model), key=cvscore)
    return f


def rule_model_at(alpha):
    def f(rows):
        return max((r for r in rows if r["alpha"] == alpha), key=cvscore)
    return f


def rule_fixed(alpha, model):
    def f(rows):
        return next(r for r in rows if r["alpha"] == alpha and
                    r["model"] == model)
    return f


def rule_one_se(order):
    """1-SE over the grid in a preference order of (alpha, model)."""
    def f(rows):
        top = max(rows, key=cvscore)
        band = cvscore(top) - cvse(top)
        for al, m in order:
            for r in rows:
                if r["alpha"] == al and r["model"] == m and \
                   cvscore(r) >= band:
                    return r
        return top
    return f


def cmd_replay(a):
    with open(a.out) as f:
        res = json.load(f)
    rows0 = next(iter(res.values()))["rows"]
    grid = [(r["alpha"], r["model"]) for r in rows0]
    rules = {"today": rule_today, "argmax-cv": rule_argmax, "argmax-cv-seed1": rule_argmax_first,
             "factored": rule_factored}
    for m in sorted({r["model"] for r in rows0}):
        rules["alpha by cv, " + m] = rule_alpha_for(m)
    for al in sorted({r["alpha"] for r in rows0}):
        rules["model by cv, a=" + al] = rule_model_at(al)
    for al, m in grid:
        rules["fixed a=%s %s" % (al, m)] = rule_fixed(al, m)
    files = sorted({v["file"] for v in res.values()},
                   key=list(FILES).index)
    margin = {}
    for name, rule in rules.items():
        per = {}
        for fname in files:
            ms = [rule(v["rows"])["test_f1"] - v["floor"]
                  for v in res.values() if v["file"] == fname]
            per[fname] = mean(ms)
        margin[name] = per
    oracle = {fname: mean([max(r["test_f1"] for r in v["rows"]) - v["floor"]
                           for v in res.values() if v["file"] == fname])
              for fname in files}
    print("%-22s %s  mean   worst" % ("rule", " ".join(
        "%8.8s" % f for f in files)))
    for name, per in list(margin.items()) + [("oracle", oracle)]:
        vals = [per[f] for f in files]
        print("%-22s %s  %+.3f %+.3f" % (name, " ".join(
            "%+8.3f" % v for v in vals), mean(vals), min(vals)))
    # leave one file out: a fixed rule chosen on the others
    print("\nleave-one-file-out (rule with the best mean margin on the "
          "other files):")
    for fname in files:
        others = [f for f in files if f != fname]
        pick = max(margin, key=lambda n: mean([margin[n][f]
                                               for f in others]))
        print("  %-18s picks %-22s %+.3f (argmax-cv %+.3f)" % (
              fname, pick, margin[pick][fname], margin["argmax-cv"][fname]))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("cmd", choices=["run", "replay"])
    ap.add_argument("out")
    ap.add_argument("--files", default=",".join(
        f for f in FILES if f != "imdb" and not multi(f)))
    ap.add_argument("--draws", type=int, default=0)
    ap.add_argument("--alphas", default="0,0.5,0.9")
    ap.add_argument("--models", default="logreg,nb,cnb")
    ap.add_argument("--fold-seeds", default="1")
    a = ap.parse_args()
    if any(multi(f) for f in a.files.split(",")):
        ap.error("the grid is for single-label files only")
    if a.cmd == "run":
        cmd_run(a)
    else:
        cmd_replay(a)


if __name__ == "__main__":
    main()
