#!/usr/bin/env python3
"""Makes a review corpus of N reviews for scale benchmarks by sampling real
sentences from ../shared/data (IMDB and the Blitzer multi-domain reviews),
so vocabulary, sentence length and word frequencies are realistic.

usage: gen_corpus.py N OUT.tsv [--seed S] [--data DIR]
Each review is 1 to 8 sentences (mean about 3.5, like short product
reviews); the output is TSV with columns id, text. Same N and seed, same
file."""
import argparse, lzma, os, random, re

SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")


def sentences(data):
    out = []
    with lzma.open(os.path.join(data, "imdb", "reviews.tsv.xz"), "rt",
                   encoding="utf-8") as f:
        f.readline()
        for line in f:
            p = line.rstrip("\n").split("\t", 2)
            if len(p) == 3:
                out += SPLIT.split(p[2])
    with open(os.path.join(data, "blitzer-mds", "reviews.tsv"),
              encoding="utf-8") as f:
        f.readline()
        for line in f:
            p = line.rstrip("\n").split("\t", 2)
            if len(p) == 3:
                out += SPLIT.split(p[2])
    return [s.strip() for s in out if 3 <= len(s.split()) <= 60]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=1)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--data", default=os.path.join(here, "..", "..",
                                                     "shared", "data"))
    a = ap.parse_args()
    pool = sentences(a.data)
    rng = random.Random(a.seed)
    weights = [30, 22, 16, 11, 8, 6, 4, 3]
    with open(a.out, "w", encoding="utf-8") as f:
        f.write("id\ttext\n")
        for i in range(a.n):
            k = rng.choices(range(1, 9), weights)[0]
            f.write("g%d\t%s\n" % (i, " ".join(rng.choice(pool)
                                             for _ in range(k))))


if __name__ == "__main__":
    main()
