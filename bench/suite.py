#!/usr/bin/env python3
"""The development suite: every label file of ../shared/data under the
evaluation protocol of ../shared/data/README.md, revlab and the
scikit-learn floor on the same splits, and the margin between them.

For each file and draw, split.py makes train/seeds/test (10 hand labels per
label); revlab imports train.tsv, loads seeds.tsv and the file's rules
(none for the label files that have no rules file of their own), runs, and
predicts test.tsv; sklearn_baseline.py runs on the same split with the
same rules. Score: test macro-F1. The margin is revlab's score minus the
best scikit-learn pipeline's (seeds_lr, spread_lr, rules_spread,
self_train); the ceiling is logistic regression on every gold label. The
goal is a margin of at least +0.05 and 85% of the ceiling.

Multi-label files (*_multi.tsv, labels joined by '|') follow the README's
multi-label protocol: split_multi.py draws seed reviews until each label is
on 10 of them, all of their labels hand labels; revlab runs in a store
made with init --multi-label; the score is score_multi.py's macro-F1 over
labels (its micro-F1 beside it), against sklearn_multi.py's one-vs-rest
pipelines (seeds_ovr, rules_ovr, rules_only; full_ovr is the ceiling).
Their lines add what the lead tuning multi-label needs to see: label
cardinality (labels per review) of revlab's test and corpus labels against
gold, the reviews left with no label, the share given only their likeliest
label (none reached its threshold), and with -v per draw the per-label
thresholds: the model's (kept for predict) and those of the way of
labelling run chose for the corpus (confidence minus margin in the
assignments table), and per label how many reviews got it against gold,
and its F1. Every file's draw lines show what run chose from: each way
of labelling's cross-validated macro-F1 on the hand labels.
One scorer serves both kinds: a single-label prediction is a set of one,
and score_multi's macro-F1 over labels is then the usual macro-F1.

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
floor; run it from a built tree (REVLAB names another revlab, SHARED
another ../shared).

usage: suite.py [--files a,b,...] [--draws N] [--k K]
                [-c NAME=PARAMS ...] [--cache DIR] [--json OUT] [-v]
Files: """
import argparse, json, lzma, os, sqlite3, subprocess, sys, tempfile, time
from collections import Counter

from protocol import sh

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
REVLAB = os.environ.get("REVLAB", os.path.join(TOP, "build", "revlab"))
SHARED = os.environ.get("SHARED", os.path.join(TOP, "..", "shared"))
sys.path.insert(0, os.path.join(SHARED, "tools"))
from score_multi import pairs, scores  # noqa: E402 (lives in SHARED)

# What differs between the two protocols: the split, the scikit-learn
# script, the pipelines whose best is the floor, the ceiling and the name
# of the test score in its JSON.
PROTOCOL = {
    False: ("split.py", "sklearn_baseline.py",
            ("seeds_lr", "spread_lr", "rules_spread", "self_train"),
            "full_lr", "test_f1"),
    True: ("split_multi.py", "sklearn_multi.py",
           ("seeds_ovr", "rules_ovr", "rules_only"), "full_ovr",
           "macro_f1"),
}
SK = PROTOCOL[False][2]
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
    "semeval-multi": ("semeval14-restaurants", "reviews_multi.tsv", 5,
                      "reviews.rules"),
    "oats-multi": ("oats-hotels-multi", "reviews_multi.tsv", 5,
                   "reviews.rules"),
    "imdb": ("imdb", "reviews.tsv.xz", 5, None),
    # The two pos/neg files without rules, given the rules that the data's
    # README wrote for uci's pos/neg sentences from the class names alone:
    # what a user who writes a few sentiment words would see there.
    "blitzer-sentiment+rules": ("blitzer-mds", "reviews_sentiment.tsv", 3,
                                "../uci-sentiment-sentences/reviews.rules"),
    # (draws 1-3, as imdb was measured: each takes some 15 minutes)
    "imdb+rules": ("imdb", "reviews.tsv.xz", 3,
                   "../uci-sentiment-sentences/reviews.rules"),
    # uci's source site, given rules written here from its class names
    # (bench/rules/uci-domain.rules says how).
    "uci-domain+rules": ("uci-sentiment-sentences", "reviews_domain.tsv", 5,
                         os.path.join(HERE, "rules", "uci-domain.rules")),
    # semeval, its catch-all class given a rule too (bench/rules/semeval.rules)
    "semeval+rules": ("semeval14-restaurants", "reviews.tsv", 5,
                      os.path.join(HERE, "rules", "semeval.rules")),
}
# Run only when named: imdb (the corpus no default was decided on) and the
# files above given rules they do not have of their own.
EXTRA = ("imdb", "blitzer-sentiment+rules", "imdb+rules", "uci-domain+rules",
         "semeval+rules")
__doc__ += ", ".join(FILES) + " (default: all but %s)\n" % ", ".join(EXTRA)


def multi(name):
    """Whether a file of FILES is multi-label."""
    return FILES[name][1].endswith("_multi.tsv")


def new_store(split, rules, name="r.db", multi_label=False):
    """A fresh store of the split's train part, hand labels and rules."""
    db = os.path.join(split, name)
    if os.path.exists(db):
        os.unlink(db)
    sh(REVLAB, "init", db, *(["--multi-label"] if multi_label else []))
    sh(REVLAB, "import", "-q", db, os.path.join(split, "train.tsv"))
    sh(REVLAB, "seed", db, os.path.join(split, "seeds.tsv"))
    if rules:
        sh(REVLAB, "rules", db, rules, "--create-labels")
    return db


def shape(pred, gold):
    """What a multi-label labelling looks like beside gold, over gold's
    reviews: labels per review, reviews with none, and per label how many
    reviews have it, predicted and gold, and its F1."""
    n = len(gold)
    count = lambda d: Counter(l for i in gold for l in d.get(i, ()))
    p, g = count(pred), count(gold)
    tp = Counter(l for i in gold for l in pred.get(i, set()) & gold[i])
    return {"cardinality": sum(len(pred.get(i, ())) for i in gold) / n,
            "gold_cardinality": sum(len(g) for g in gold.values()) / n,
            "no_label": sum(1 for i in gold if not pred.get(i)),
            "per_label": {l: [p[l], g[l], 2 * tp[l] / (p[l] + g[l])]
                          for l in sorted(set(p) | set(g))}}


def run_revlab(split, rules, params, multi_label=False):
    db = new_store(split, rules, multi_label=multi_label)
    t0 = time.time()
    sh(REVLAB, "run", "-q", db, *params)
    sec = time.time() - t0
    out = subprocess.run([REVLAB, "predict", db, os.path.join(split,
                         "test.tsv")], check=True, capture_output=True,
                         text=True).stdout
    # id, label(s), confidence(s); a multi-label store joins them by '|'
    tpred, tconf = {}, {}
    for line in out.splitlines()[1:]:
        i, labels, conf = line.split("\t")[:3]
        names = labels.split("|") if multi_label else [labels]
        tpred[i] = {n for n in names if n}
        if multi_label and labels:
            tconf[i] = dict(zip(names, map(float, conf.split("|"))))
    con = sqlite3.connect(db)
    row = con.execute("SELECT params FROM runs WHERE stage = 'label' "
                      "ORDER BY id DESC LIMIT 1").fetchone()
    pred = {}
    for i, l in con.execute(
            "SELECT r.ext_id, l.name FROM assignments a JOIN reviews r ON "
            "r.id = a.review_id JOIN labels l ON l.id = a.label_id"):
        pred.setdefault(i, set()).add(l)
    chose = "?"
    if row:
        p = json.loads(row[0])
        chose = "%s/%s" % (p.get("method", "?"), p.get("model", "?"))
    # What run saw: each way of labelling's cross-validated macro-F1.
    ev = con.execute("SELECT result FROM evals ORDER BY id DESC LIMIT 1"
                     ).fetchone()
    ev = json.loads(ev[0]) if ev else {"methods": {}}
    cv = {m: v["macro_f1"] for m, v in ev["methods"].items()}
    gold = pairs(os.path.join(split, "gold.tsv"))
    seeds = pairs(os.path.join(split, "seeds.tsv"))
    unl = {i: g for i, g in gold.items() if i not in seeds}
    tgold = pairs(os.path.join(split, "test_gold.tsv"))
    test, corpus = scores(tpred, tgold), scores(pred, unl)
    # The stored model's own labels for the same reviews: what the
    # corpus would get if run labelled it with the model alone.
    mpred = {}
    for i, l in con.execute(
            "SELECT r.ext_id, l.name FROM predictions p JOIN reviews r ON "
            "r.id = p.review_id JOIN labels l ON l.id = p.label_id WHERE "
            "p.model_id = (SELECT max(id) FROM models)"):
        mpred.setdefault(i, set()).add(l)
    mcorpus = scores(mpred, unl)
    r = {"test_f1": test["macro_f1"], "test_micro_f1": test["micro_f1"],
         "model_corpus_f1": mcorpus["macro_f1"],
         "transductive_f1": corpus["macro_f1"],
         "transductive_micro_f1": corpus["micro_f1"],
         "chose": chose, "cv": cv, "seconds": sec}
    if multi_label:
        # Thresholds: the model's as it keeps them for predict; the
        # corpus's as labelling wrote them, confidence - margin on every
        # label it decided (not the hand labels).
        labels, mp = con.execute(
            "SELECT labels, params FROM models ORDER BY id DESC LIMIT 1"
        ).fetchone()
        r["model_thresholds"] = dict(zip(json.loads(labels), json.loads(
            mp).get("thresholds", [])))
        r["corpus_thresholds"] = dict(con.execute(
            "SELECT l.name, avg(a.confidence - a.margin) FROM assignments "
            "a JOIN labels l ON l.id = a.label_id WHERE a.source NOT IN "
            "('seed', 'cluster') GROUP BY l.name"))
        # Reviews none of whose labels reached its threshold, given their
        # likeliest alone.
        r["corpus_likeliest_only"] = con.execute(
            "SELECT count(*) FROM (SELECT review_id FROM assignments "
            "WHERE source NOT IN ('seed', 'cluster') GROUP BY review_id "
            "HAVING max(margin) < 0)").fetchone()[0] / max(1, len(unl))
        thr = r["model_thresholds"]
        r["test_likeliest_only"] = sum(
            1 for c in tconf.values()
            if all(v < thr.get(l, 0.5) for l, v in c.items())) / max(
            1, len(tconf))
        r["test_shape"], r["corpus_shape"] = shape(tpred, tgold), shape(
            pred, unl)
    con.close()
    return r


def sklearn(split, rules, cache, key, multi_label=False):
    path = os.path.join(cache, key + ".json")
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    out = subprocess.run(["/usr/bin/python3", os.path.join(
        SHARED, "tools", PROTOCOL[multi_label][1]), split] +
        (["--rules", rules] if rules else []), check=True,
        capture_output=True, text=True).stdout
    r = json.loads(out.strip().splitlines()[-1])
    os.makedirs(cache, exist_ok=True)
    with open(path, "w") as f:
        json.dump(r, f)
    return r


def floor_ceiling(name, r):
    """A split's floor (the best scikit-learn pipeline: its score and
    name) and ceiling, from sklearn()'s JSON."""
    _, _, pipes, ceil, key = PROTOCOL[multi(name)]
    best = max((m for m in pipes if m in r), key=lambda m: r[m][key])
    return r[best][key], best, r[ceil][key]


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


def print_draw(d, r, sk, name):
    """One draw of one file, for -v."""
    floor, best, ceil = floor_ceiling(name, sk)
    line = "    draw %d  revlab %.3f  floor %.3f (%s)  ceiling %.3f  " \
           "corpus %.3f  %s\n      cross-validated: %s" % (
               d, r["test_f1"], floor, best, ceil, r["transductive_f1"],
               r["chose"], "  ".join("%s %.3f" % mv for mv in
                                     r["cv"].items()))
    if "test_shape" in r:
        line += "\n      micro test %.3f corpus %.3f; likeliest only: " \
                "test %.0f%% corpus %.0f%%" % (
                    r["test_micro_f1"], r["transductive_micro_f1"],
                    100 * r["test_likeliest_only"],
                    100 * r["corpus_likeliest_only"])
        for what in ("model", "corpus"):
            line += "\n      thresholds %-6s %s" % (what, "  ".join(
                "%s %.3f" % (l, v) for l, v in sorted(
                    r[what + "_thresholds"].items())))
        for what in ("test", "corpus"):
            s = r[what + "_shape"]
            line += "\n      %-6s labels/review %.2f (gold %.2f), no " \
                    "label %d; per label, reviews revlab/gold and F1: %s" % (
                        what, s["cardinality"], s["gold_cardinality"],
                        s["no_label"], "  ".join(
                            "%s %d/%d %.2f" % (l, c[0], c[1], c[2])
                            for l, c in s["per_label"].items()))
    print(line, flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--files", default=",".join(f for f in FILES
                                                 if f not in EXTRA))
    ap.add_argument("--draws", type=int, default=0,
                    help="draws per file (default: the protocol's)")
    ap.add_argument("--k", type=int, default=10,
                    help="hand labels per label (default: the "
                    "protocol's 10); other values trace how the scores "
                    "grow with hand labels")
    ap.add_argument("-c", action="append", default=[],
                    help="NAME=PARAMS, a configuration of revlab")
    ap.add_argument("--cache", default=os.path.join(HERE, ".suite-cache"))
    ap.add_argument("--json", help="write every score here")
    ap.add_argument("-v", action="store_true",
                    help="a line per draw too (multi-label: thresholds, "
                    "labels per review and per label)")
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
        ml = multi(name)
        draws = a.draws or draws
        rules = os.path.join(SHARED, "data", folder, rules) if rules else None
        res[name] = {c: [] for c, _ in configs}
        sk[name] = []
        with tempfile.TemporaryDirectory() as tmp:
            src = source(folder, tsv, tmp)
            for d in range(1, draws + 1):
                split = os.path.join(tmp, "draw%d" % d)
                sh(sys.executable, os.path.join(SHARED, "tools",
                   PROTOCOL[ml][0]), src, split, "--k", str(a.k), "--draw",
                   str(d))
                key = "%s-%d" % (name, d) if a.k == 10 else \
                    "%s-k%d-%d" % (name, a.k, d)
                sk[name].append(sklearn(split, rules, a.cache, key, ml))
                for c, params in configs:
                    res[name][c].append(run_revlab(split, rules, params, ml))
        best = mean([floor_ceiling(name, r)[0] for r in sk[name]])
        ceil = mean([floor_ceiling(name, r)[2] for r in sk[name]])
        for c, _ in configs:
            rs = res[name][c]
            f = mean([r["test_f1"] for r in rs])
            # The labels given to the corpus against the model's on new
            # reviews: what the model loses of what the corpus knows.
            t = mean([r["transductive_f1"] for r in rs])
            mt = mean([r["model_corpus_f1"] for r in rs])
            chose = sorted(set(r["chose"] for r in rs))
            goal = f - best >= 0.05 and f >= 0.85 * ceil
            print("%-18s %-12s draws %d  revlab %.3f  floor %.3f  margin "
                  "%+.3f  %3.0f%% of ceiling %.3f  corpus %.3f (gap %+.3f;"
                  " the model's %.3f)  goal %s  (%s)" % (
                      name, c, draws, f, best, f - best, 100 * f / ceil,
                      ceil, t, f - t, mt, "met" if goal else "missed",
                      ",".join(chose)), flush=True)
            if ml:
                m = lambda k: mean([r[k] for r in rs])
                s = lambda w, k: mean([r[w + "_shape"][k] for r in rs])
                print("%-31s micro-F1 test %.3f corpus %.3f; labels/review "
                      "test %.2f (gold %.2f) corpus %.2f (gold %.2f); no "
                      "label %.1f/%.1f; likeliest only %.0f%%/%.0f%%" % (
                          "", m("test_micro_f1"), m("transductive_micro_f1"),
                          s("test", "cardinality"),
                          s("test", "gold_cardinality"),
                          s("corpus", "cardinality"),
                          s("corpus", "gold_cardinality"),
                          s("test", "no_label"), s("corpus", "no_label"),
                          100 * m("test_likeliest_only"),
                          100 * m("corpus_likeliest_only")), flush=True)
            if a.v:
                for d, (r, k) in enumerate(zip(rs, sk[name]), 1):
                    print_draw(d, r, k, name)
    # The floor per file: the best scikit-learn pipeline's mean over draws
    # (the same for every configuration).
    floor = {n: mean([floor_ceiling(n, r)[0] for r in sk[n]])
             for n in files}
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
