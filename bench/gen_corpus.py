#!/usr/bin/env python3
"""Makes a review corpus of N reviews for scale benchmarks by sampling real
sentences from ../shared/data (IMDB and the Blitzer multi-domain reviews),
so vocabulary, sentence length and word frequencies are realistic.

usage: gen_corpus.py N OUT.tsv [--seed S] [--data DIR] [--labelled F]
Each review is 1 to 8 sentences (mean about 3.5, like short product
reviews); the output is TSV with columns id, text. Same N and seed, same
file. With --labelled F, each review draws all its sentences from one
class, the product domain its sentences came from (books, dvd,
electronics, kitchen from Blitzer's reviews, movies from IMDB), and the
columns are id, label, part, text: part is 'test' for a fraction F of the
reviews (at random) and 'train' for the rest. dvd and movies are both
about films, so the task has a realistic confusable pair."""
import argparse, lzma, os, random, re

SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")


def sentences(data):
    """Returns all sentences in file order, and {class: [sentence]}:
    'movies' from IMDB, and each of Blitzer's product domains."""
    out = {"movies": []}
    flat = []
    with lzma.open(os.path.join(data, "imdb", "reviews.tsv.xz"), "rt",
                   encoding="utf-8") as f:
        f.readline()
        for line in f:
            p = line.rstrip("\n").split("\t", 2)
            if len(p) == 3:
                out["movies"] += SPLIT.split(p[2])
                flat += SPLIT.split(p[2])
    with open(os.path.join(data, "blitzer-mds", "reviews.tsv"),
              encoding="utf-8") as f:
        f.readline()
        for line in f:
            p = line.rstrip("\n").split("\t", 2)
            if len(p) == 3:
                out.setdefault(p[1], []).extend(SPLIT.split(p[2]))
                flat += SPLIT.split(p[2])
    keep = lambda v: [s.strip() for s in v if 3 <= len(s.split()) <= 60]
    return keep(flat), {c: keep(v) for c, v in sorted(out.items())}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=1)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--data", default=os.path.join(here, "..", "..",
                                                     "shared", "data"))
    ap.add_argument("--labelled", type=float, metavar="F")
    a = ap.parse_args()
    pool, pools = sentences(a.data)
    rng = random.Random(a.seed)
    weights = [30, 22, 16, 11, 8, 6, 4, 3]
    with open(a.out, "w", encoding="utf-8") as f:
        if a.labelled is None:
            f.write("id\ttext\n")
            for i in range(a.n):
                k = rng.choices(range(1, 9), weights)[0]
                f.write("g%d\t%s\n" % (i, " ".join(rng.choice(pool)
                                                 for _ in range(k))))
            return
        classes = sorted(pools)
        f.write("id\tlabel\tpart\ttext\n")
        for i in range(a.n):
            c = rng.choice(classes)
            part = "test" if rng.random() < a.labelled else "train"
            k = rng.choices(range(1, 9), weights)[0]
            f.write("g%d\t%s\t%s\t%s\n" % (i, c, part, " ".join(
                rng.choice(pools[c]) for _ in range(k))))


if __name__ == "__main__":
    main()
