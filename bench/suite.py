#!/usr/bin/env python3
"""The development suite: every single-label file of ../shared/data under
the evaluation protocol of ../shared/data/README.md, revlab and the
scikit-learn floor on the same splits, and the margin between them.

For each file and draw, split.py makes train/seeds/test (10 hand labels per
label); revlab imports train.tsv, loads seeds.tsv and the file's rules
(none for the label files that have no rules file of their own), runs, and
predicts test.tsv; sklearn_baseline.py runs on the same split with the
same rules. Score: test macro-F1. The margin is revlab's score minus the
best scikit-learn pipeline's (seeds_lr, spread_lr, rules_spread,
self_train); the ceiling is logistic regression on every gold label.

Each -c NAME=PARAMS adds a configuration of revlab (PARAMS: space-separated
name=value, given to `revlab run` as -p; "" for the defaults). With two or
more, the leave-one-file-out check is printed too: for each file, the
configuration with the best mean margin on the OTHER files, and how it
does on the left-out one against the first configuration (the shipped
defaults): a default decided on the rest must not lose on the file it was
not decided on.

scikit-learn's results depend only on the split and the rules, so they are
cached in --cache (default bench/.suite-cache) and computed once.

Needs Debian's python3-sklearn (apt-get install python3-sklearn) for the
floor; run it from a built tree (REVLAB names another revlab).

usage: suite.py [--files a,b,...] [--draws N] [-c NAME=PARAMS ...]
                [--cache DIR] [--json OUT]
Files: """
import argparse, json, lzma, os, sqlite3, subprocess, sys, tempfile, time

from protocol import macro_f1, read, sh

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
REVLAB = os.environ.get("REVLAB", os.path.join(TOP, "build", "revlab"))
SHARED = os.path.join(TOP, "..", "shared")
SK = ("seeds_lr", "spread_lr", "rules_spread", "self_train")
# name: folder, labelled file, draws, rules file of its own (or None)
FILES = {
    "blitzer": ("blitzer-mds", "reviews.tsv", 3, "reviews.rules"),
    "blitzer-sentiment": ("blitzer-mds", "reviews_sentiment.tsv", 3, None),
    "semeval": ("semeval14-restaurants", "reviews.tsv", 5, "reviews.rules"),
    "uci": ("uci-sentiment-sentences", "reviews.tsv", 5, "reviews.rules"),
    "uci-domain": ("uci-sentiment-sentences", "reviews_domain.tsv", 5, None),
    "airline": ("airline-negreason", "reviews.tsv", 5, "reviews.rules"),
    "app-reviews": ("app-reviews-maalej", "reviews.tsv", 5, "reviews.rules"),
    "drug": ("drug-reviews-druglib", "reviews.tsv", 5, "reviews.rules"),
    "imdb": ("imdb", "reviews.tsv.xz", 5, None),
}
__doc__ += ", ".join(FILES) + " (default: all but imdb)\n"


def new_store(split, rules, name="r.db"):
    """A fresh store of the split's train part, hand labels and rules."""
    db = os.path.join(split, name)
    if os.path.exists(db):
        os.unlink(db)
    sh(REVLAB, "init", db)
    sh(REVLAB, "import", "-q", db, os.path.join(split, "train.tsv"))
    sh(REVLAB, "seed", db, os.path.join(split, "seeds.tsv"))
    if rules:
        sh(REVLAB, "rules", db, rules, "--create-labels")
    return db


def run_revlab(split, rules, params):
    db = new_store(split, rules)
    t0 = time.time()
    sh(REVLAB, "run", "-q", db, *params)
    sec = time.time() - t0
    out = subprocess.run([REVLAB, "predict", db, os.path.join(split,
                         "test.tsv")], check=True, capture_output=True,
                         text=True).stdout
    tpred = dict(l.split("\t")[:2] for l in out.splitlines()[1:])
    con = sqlite3.connect(db)
    row = con.execute("SELECT params FROM runs WHERE stage = 'label' "
                      "ORDER BY id DESC LIMIT 1").fetchone()
    pred = dict(con.execute(
        "SELECT r.ext_id, l.name FROM assignments a JOIN reviews r ON "
        "r.id = a.review_id JOIN labels l ON l.id = a.label_id"))
    con.close()
    chose = "?"
    if row:
        p = json.loads(row[0])
        chose = "%s/%s" % (p.get("method", "?"), p.get("model", "?"))
    gold = read(os.path.join(split, "gold.tsv"))
    seeds = read(os.path.join(split, "seeds.tsv"))
    unl = {i: g for i, g in gold.items() if i not in seeds}
    return {"test_f1": macro_f1(read(os.path.join(split, "test_gold.tsv")),
                                tpred),
            "transductive_f1": macro_f1(unl, pred),
            "chose": chose, "seconds": sec}


def sklearn(split, rules, cache, key):
    path = os.path.join(cache, key + ".json")
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    out = subprocess.run(["/usr/bin/python3", os.path.join(
        SHARED, "tools", "sklearn_baseline.py"), split] +
        (["--rules", rules] if rules else []), check=True,
        capture_output=True, text=True).stdout
    r = json.loads(out.strip().splitlines()[-1])
    os.makedirs(cache, exist_ok=True)
    with open(path, "w") as f:
        json.dump(r, f)
    return r


def source(folder, tsv, tmp):
    src = os.path.join(SHARED, "data", folder, tsv)
    if not src.endswith(".xz"):
        return src
    # split.py reads plain TSV
    plain = os.path.join(tmp, "unpacked.tsv")
    with lzma.open(src) as f, open(plain, "wb") as g:
        g.write(f.read())
    return plain


def mean(xs):
    return sum(xs) / len(xs) if xs else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--files", default=",".join(f for f in FILES
                                                 if f != "imdb"))
    ap.add_argument("--draws", type=int, default=0,
                    help="draws per file (default: the protocol's)")
    ap.add_argument("-c", action="append", default=[],
                    help="NAME=PARAMS, a configuration of revlab")
    ap.add_argument("--cache", default=os.path.join(HERE, ".suite-cache"))
    ap.add_argument("--json", help="write every score here")
    a = ap.parse_args()
    configs = []
    for c in a.c or ["defaults="]:
        name, _, params = c.partition("=")
        configs.append((name, sum((["-p", p] for p in params.split()), [])))
    files = a.files.split(",")
    # res[file][config] = list of per-draw revlab results; sk[file] = ...
    res, sk = {}, {}
    t_start = time.time()
    for name in files:
        folder, tsv, draws, rules = FILES[name]
        draws = a.draws or draws
        rules = os.path.join(SHARED, "data", folder, rules) if rules else None
        res[name] = {c: [] for c, _ in configs}
        sk[name] = []
        with tempfile.TemporaryDirectory() as tmp:
            src = source(folder, tsv, tmp)
            for d in range(1, draws + 1):
                split = os.path.join(tmp, "draw%d" % d)
                sh(sys.executable, os.path.join(SHARED, "tools", "split.py"),
                   src, split, "--k", "10", "--draw", str(d))
                sk[name].append(sklearn(split, rules, a.cache,
                                        "%s-%d" % (name, d)))
                for c, params in configs:
                    res[name][c].append(run_revlab(split, rules, params))
        best = mean([max(r[m]["test_f1"] for m in SK if m in r)
                     for r in sk[name]])
        ceil = mean([r["full_lr"]["test_f1"] for r in sk[name]])
        for c, _ in configs:
            f = mean([r["test_f1"] for r in res[name][c]])
            # The labels given to the corpus against the model's on new
            # reviews: what the model loses of what the corpus knows.
            t = mean([r["transductive_f1"] for r in res[name][c]])
            chose = sorted(set(r["chose"] for r in res[name][c]))
            print("%-18s %-12s draws %d  revlab %.3f  floor %.3f  margin "
                  "%+.3f  %3.0f%% of ceiling %.3f  corpus %.3f (gap %+.3f)"
                  "  (%s)" % (
                      name, c, draws, f, best, f - best, 100 * f / ceil,
                      ceil, t, f - t, ",".join(chose)), flush=True)
    # The floor per file: the best scikit-learn pipeline's mean over draws
    # (the same for every configuration).
    floor = {n: mean([max(r[m]["test_f1"] for m in SK if m in r)
                      for r in sk[n]]) for n in files}
    margin = {c: {n: mean([r["test_f1"] for r in res[n][c]]) - floor[n]
                  for n in files} for c, _ in configs}
    print()
    for c, _ in configs:
        m = margin[c]
        worst = min(files, key=lambda n: m[n])
        print("%-12s mean margin %+.3f  worst %+.3f (%s)" % (
            c, mean(list(m.values())), m[worst], worst))
    if len(configs) > 1 and len(files) > 2:
        base = configs[0][0]
        print("\nleave-one-file-out: the configuration with the best mean "
              "margin on the other files, on the left-out one, against %s:"
              % base)
        holds = 0
        for n in files:
            rest = [f for f in files if f != n]
            pick = max((c for c, _ in configs),
                       key=lambda c: mean([margin[c][f] for f in rest]))
            diff = margin[pick][n] - margin[base][n]
            holds += diff >= -0.01
            print("  %-18s picks %-12s %+.3f vs %s %+.3f: %+.3f" % (
                n, pick, margin[pick][n], base, margin[base][n], diff))
        print("  holds (loses no more than 0.01) on %d of %d files" % (
            holds, len(files)))
    print("\n(%.0f s on %s)" % (time.time() - t_start, os.uname().nodename))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"files": files, "configs": [c for c, _ in configs],
                       "revlab": res, "sklearn": sk, "floor": floor,
                       "margin": margin}, f, indent=1)


if __name__ == "__main__":
    main()
