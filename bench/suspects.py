#!/usr/bin/env python3
"""Does `revlab suspects` find hand labels that are wrong?

For each dataset and draw: ../shared/tools/split.py makes a stratified
split with K seeds per class from the train part (30 by default, so that
the flipped ones stay a minority); 20 of the seeds, drawn at random, get a
wrong label (another class, at random). revlab imports the train part,
loads the damaged seeds and the dataset's rules file, runs, and
`revlab suspects` lists the seeds it doubts. Reports precision at 20 (of
the 20 most suspect, how many were flipped), recall (of the 20 flipped,
how many are flagged at all) and how many seeds were flagged.

usage: suspects.py [--sets semeval,uci,blitzer] [--draws N] [--k K]
                   [--flips F] [-p name=value ...]"""
import argparse, json, os, random, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from protocol import REVLAB, SHARED, read, sh  # noqa: E402

SETS = {"semeval": "semeval14-restaurants", "uci": "uci-sentiment-sentences",
        "blitzer": "blitzer-mds"}


def one(split, rules, flips, draw, params):
    seeds = read(os.path.join(split, "seeds.tsv"))
    classes = sorted(set(seeds.values()))
    rng = random.Random(draw)
    flipped = set(rng.sample(sorted(seeds), flips))
    path = os.path.join(split, "noisy.tsv")
    with open(path, "w", encoding="utf-8") as f:
        f.write("id\tlabel\n")
        for i in sorted(seeds):
            lab = seeds[i]
            if i in flipped:
                lab = rng.choice([c for c in classes if c != lab])
            f.write("%s\t%s\n" % (i, lab))
    db = os.path.join(split, "r.db")
    sh(REVLAB, "init", db)
    sh(REVLAB, "import", "-q", db, os.path.join(split, "train.tsv"))
    sh(REVLAB, "seed", db, path)
    sh(REVLAB, "rules", db, rules, "--create-labels")
    sh(REVLAB, "run", "-q", db)
    out = subprocess.run([REVLAB, "suspects", db, "-n", "100000", "--json",
                          *params], check=True, capture_output=True,
                         text=True).stdout
    ranked = [json.loads(l)["id"] for l in out.splitlines()]
    top = ranked[:flips]
    return {"seeds": len(seeds), "flagged": len(ranked),
            "p_at": sum(1 for i in top if i in flipped) / flips,
            "recall": sum(1 for i in ranked if i in flipped) / flips,
            "precision": (sum(1 for i in ranked if i in flipped) /
                          len(ranked)) if ranked else 0}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sets", default="semeval,uci")
    ap.add_argument("--draws", type=int, default=5)
    ap.add_argument("--k", type=int, default=30)
    ap.add_argument("--flips", type=int, default=20)
    ap.add_argument("-p", action="append", default=[])
    a = ap.parse_args()
    params = sum((["-p", p] for p in a.p), [])
    for name in a.sets.split(","):
        folder = SETS[name]
        rules = os.path.join(SHARED, "data", folder, "reviews.rules")
        rows = []
        for d in range(1, a.draws + 1):
            with tempfile.TemporaryDirectory() as tmp:
                subprocess.run([sys.executable, os.path.join(
                    SHARED, "tools", "split.py"), os.path.join(
                    SHARED, "data", folder, "reviews.tsv"), tmp, "--k",
                    str(a.k), "--draw", str(d)], check=True,
                    stdout=subprocess.DEVNULL)
                r = one(tmp, rules, a.flips, d, params)
            rows.append(r)
            print("%s draw %d: %d seeds, %d flipped, %d flagged; precision "
                  "at %d %.2f, recall %.2f, precision of all flagged %.2f"
                  % (name, d, r["seeds"], a.flips, r["flagged"], a.flips,
                     r["p_at"], r["recall"], r["precision"]), flush=True)
        m = lambda k: sum(r[k] for r in rows) / len(rows)
        print("%s: mean over %d draws: precision at %d %.3f, recall %.3f, "
              "flagged %.1f of %d seeds, precision of all flagged %.3f\n"
              % (name, len(rows), a.flips, m("p_at"), m("recall"),
                 m("flagged"), rows[0]["seeds"], m("precision")),
              flush=True)


if __name__ == "__main__":
    main()
