#!/usr/bin/env python3
"""A lead for labels the words' topic does not follow (issue 13): does a
neighbour graph whose word weights come from the hand labels follow the
label better than the plain TF-IDF graph propagation uses?

For each label file, each draw: 10 hand labels a label at random (the
protocol's count; a seeded draw of this script's own, not split.py's),
logistic regression (scikit-learn, C=1) on their TF-IDF rows, and each
word's weight the norm of its coefficients across the labels. Two exact
10-nearest-neighbour graphs (cosine) over every review: on TF-IDF, and
on TF-IDF with each column scaled by (weight / max weight) ** P plus
a floor F (P 0.5, F 0.1 unless --power, --floor: a word no hand label
names still counts a little).
Prints, per file, the share of edges joining reviews of the same gold
label and the 10 neighbours' majority vote's accuracy, over the reviews
not hand-labelled: the numbers label propagation lives on. Gold labels
only score; nothing here is chosen on them.

usage: seed_metric.py [--files a,b] [--draws N] [--power P] [--floor F]
Needs python3-sklearn; reads ../shared/data."""
import argparse, os
from collections import Counter

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import NearestNeighbors

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "shared", "data")
FILES = {
    "blitzer-sentiment": ("blitzer-mds", "reviews_sentiment.tsv"),
    "blitzer": ("blitzer-mds", "reviews.tsv"),
    "semeval": ("semeval14-restaurants", "reviews.tsv"),
    "uci": ("uci-sentiment-sentences", "reviews.tsv"),
    "uci-domain": ("uci-sentiment-sentences", "reviews_domain.tsv"),
}


def load(d, f):
    y, x = [], []
    with open(os.path.join(DATA, d, f), encoding="utf-8") as h:
        h.readline()
        for line in h:
            p = line.rstrip("\n").split("\t", 2)
            if len(p) == 3:
                y.append(p[1])
                x.append(p[2])
    return np.array(y), x


def graph_scores(X, y, seeds, k=10):
    nn = NearestNeighbors(n_neighbors=k + 1, metric="cosine").fit(X)
    _, idx = nn.kneighbors(X)
    same = pairs = hits = rows = 0
    seed = set(seeds)
    for i in range(X.shape[0]):
        if i in seed:
            continue
        ns = [j for j in idx[i] if j != i][:k]
        same += sum(y[j] == y[i] for j in ns)
        pairs += len(ns)
        hits += Counter(y[j] for j in ns).most_common(1)[0][0] == y[i]
        rows += 1
    return same / pairs, hits / rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", default=",".join(FILES))
    ap.add_argument("--draws", type=int, default=3)
    ap.add_argument("--power", type=float, default=0.5)
    ap.add_argument("--floor", type=float, default=0.1)
    a = ap.parse_args()
    for name in a.files.split(","):
        y, text = load(*FILES[name])
        X = TfidfVectorizer(sublinear_tf=True, min_df=2).fit_transform(text)
        res, base = [], []
        for draw in range(a.draws):
            rng = np.random.default_rng(draw + 1)
            seeds = [int(i) for c in sorted(set(y))
                     for i in rng.choice(np.flatnonzero(y == c), 10,
                                         replace=False)]
            lr = LogisticRegression(C=1.0, max_iter=2000).fit(X[seeds],
                                                               y[seeds])
            w = np.sqrt((lr.coef_ ** 2).sum(axis=0))
            scale = a.floor + (w / w.max()) ** a.power
            Xw = X.multiply(scale.reshape(1, -1)).tocsr()
            res.append(graph_scores(Xw, y, seeds))
            base.append(graph_scores(X, y, seeds))
        m, base = np.mean(res, axis=0), np.mean(base, axis=0)
        print("%-18s %6d reviews  TF-IDF: same label %.3f, vote %.3f   "
              "seed-weighted: same label %.3f, vote %.3f (draws %d)" %
              (name, len(y), base[0], base[1], m[0], m[1], a.draws))


if __name__ == "__main__":
    main()
