#!/usr/bin/env python3
"""The peer for bench/graph.py: what a scikit-learn user does to get the
k-nearest-neighbour graph of reviews. TfidfVectorizer (unigrams+bigrams,
sublinear tf, min_df=2, like revlab's defaults) then
NearestNeighbors(metric='cosine') on the sparse matrix.

usage: sklearn_knn.py REVIEWS.tsv K   -> prints seconds and nnz as JSON"""
import json, sys, time

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.neighbors import NearestNeighbors


def main():
    path, k = sys.argv[1], int(sys.argv[2])
    t0 = time.time()
    with open(path, encoding="utf-8") as f:
        f.readline()
        texts = [l.rstrip("\n").split("\t", 1)[1] for l in f]
    X = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2,
                        stop_words="english").fit_transform(texts)
    t1 = time.time()
    nn = NearestNeighbors(n_neighbors=k + 1, metric="cosine").fit(X)
    nn.kneighbors(X)
    t2 = time.time()
    print(json.dumps({"vectorize_s": t1 - t0, "knn_s": t2 - t1,
                      "total_s": t2 - t0, "features": X.shape[1],
                      "nnz": int(X.nnz)}))


if __name__ == "__main__":
    main()
