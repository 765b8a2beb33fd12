#!/usr/bin/env python3
"""Simulated labelling: does `revlab next` choose better reviews to label
than chance?

For each dataset and draw: ../shared/tools/split.py makes a stratified
70/30 split with 2 seeds per class from the train part; revlab imports the
train part, loads the seeds and the dataset's rules file and runs. Then,
each round, 10 more train reviews get their gold label as a hand label,
chosen either by `revlab next -n 10` or at random (seeded) among the
reviews without one, and `revlab run` runs again. After every round the
stored model labels the test part (`revlab predict`), scored by macro-F1
(bench/protocol.py's scorer). Prints macro-F1 per round for both, the mean
over draws, and how much `next` gains over random on average.

usage: active.py [--sets semeval,uci,blitzer] [--draws N] [--rounds R]
                 [--batch B] [-p name=value ...]  (-p goes to `next`)"""
import argparse, json, os, random, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from protocol import REVLAB, SHARED, read, macro_f1, sh  # noqa: E402

SETS = {"semeval": "semeval14-restaurants", "uci": "uci-sentiment-sentences",
        "blitzer": "blitzer-mds"}


def test_f1(split, db):
    out = subprocess.run([REVLAB, "predict", db, os.path.join(split,
                         "test.tsv")], check=True, capture_output=True,
                         text=True).stdout
    pred = dict(l.split("\t")[:2] for l in out.splitlines()[1:])
    return macro_f1(read(os.path.join(split, "test_gold.tsv")), pred)


def simulate(split, rules, strategy, rounds, batch, draw, params):
    db = os.path.join(split, strategy + ".db")
    gold = read(os.path.join(split, "gold.tsv"))
    labelled = set(read(os.path.join(split, "seeds.tsv")))
    sh(REVLAB, "init", db)
    sh(REVLAB, "import", "-q", db, os.path.join(split, "train.tsv"))
    sh(REVLAB, "seed", db, os.path.join(split, "seeds.tsv"))
    sh(REVLAB, "rules", db, rules, "--create-labels")
    sh(REVLAB, "run", "-q", db)
    f1 = [test_f1(split, db)]
    rng = random.Random(1000 * draw + 7)
    for r in range(rounds):
        if strategy == "next":
            out = subprocess.run([REVLAB, "next", db, "-n", str(batch),
                                  "--json", *params], check=True,
                                 capture_output=True, text=True).stdout
            pick = [json.loads(l)["id"] for l in out.splitlines()]
        else:
            pick = rng.sample(sorted(set(gold) - labelled), batch)
        labelled.update(pick)
        path = os.path.join(split, "round.tsv")
        with open(path, "w", encoding="utf-8") as f:
            f.write("id\tlabel\n")
            for i in pick:
                f.write("%s\t%s\n" % (i, gold[i]))
        sh(REVLAB, "seed", db, path)
        sh(REVLAB, "run", "-q", db)
        f1.append(test_f1(split, db))
    return f1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sets", default="semeval,uci")
    ap.add_argument("--draws", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--batch", type=int, default=10)
    ap.add_argument("-p", action="append", default=[])
    ap.add_argument("--next-only", action="store_true",
                    help="skip the random baseline (for tuning)")
    a = ap.parse_args()
    params = sum((["-p", p] for p in a.p), [])
    for name in a.sets.split(","):
        folder = SETS[name]
        rules = os.path.join(SHARED, "data", folder, "reviews.rules")
        res = {"next": [], "random": []}
        for d in range(1, a.draws + 1):
            with tempfile.TemporaryDirectory() as tmp:
                subprocess.run([sys.executable, os.path.join(
                    SHARED, "tools", "split.py"), os.path.join(
                    SHARED, "data", folder, "reviews.tsv"), tmp, "--k", "2",
                    "--draw", str(d)], check=True, stdout=subprocess.DEVNULL)
                for s in res:
                    if s == "random" and a.next_only:
                        res[s].append([0] * (a.rounds + 1))
                        continue
                    res[s].append(simulate(tmp, rules, s, a.rounds, a.batch,
                                           d, params))
            print("%s draw %d: next %s | random %s" % (
                name, d, " ".join("%.3f" % x for x in res["next"][-1]),
                " ".join("%.3f" % x for x in res["random"][-1])),
                flush=True)
        n = len(res["next"])
        print("\n%s: test macro-F1 by round, mean over %d draws "
              "(2 seeds per class, +%d labels a round)" % (name, n, a.batch))
        print("%6s %7s %7s %7s %7s" % ("round", "labels", "next", "random",
                                      "diff"))
        diffs = []
        for r in range(a.rounds + 1):
            nx = sum(x[r] for x in res["next"]) / n
            rd = sum(x[r] for x in res["random"]) / n
            if r:
                diffs.append(nx - rd)
            print("%6d %7s %7.3f %7.3f %+7.3f" % (r, "+%d" % (r * a.batch),
                                                  nx, rd, nx - rd))
        wins = sum(1 for x, y in zip(res["next"], res["random"])
                   for r in range(1, a.rounds + 1) if x[r] > y[r])
        print("%s: next - random over rounds 1-%d: mean %+.3f macro-F1; "
              "next ahead in %d of %d (draw, round) pairs\n" % (
                  name, a.rounds, sum(diffs) / len(diffs), wins,
                  n * a.rounds), flush=True)


if __name__ == "__main__":
    main()
