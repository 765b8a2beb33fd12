#!/usr/bin/env python3
"""What learning LSA from a sample of the reviews changes: compares the
LSA vectors of two stores of the same tokenized reviews (for instance
one vectorized with -p lsa_sample=0, the whole corpus, and one with the
default sample).

usage: lsa_sample.py A.db B.db [--queries Q] [--k K] [--seed S]
                     [--labels TSV]

Prints (1) how far the two projections span the same subspace: the mean
squared cosine of their principal angles over the features both use (1:
the same subspace), and (2) for Q reviews drawn with the seed, how many of
each one's K nearest reviews by cosine of its LSA vectors (exact, itself
left out) the two stores share, on average. Run it on two whole-corpus
fits with different seeds to see how much the randomized SVD alone
moves. With --labels (a TSV with columns id and label, such as
gen_corpus.py --labelled makes), also (3) for each store the share of
those neighbours that carry the query's label: what a graph built on
the vectors would give propagation. Needs numpy."""
import argparse, csv, sqlite3, sys

import numpy as np


def lsa_vectors(path):
    """The store's LSA vectors [n][dim] in review id order, and the ids."""
    db = sqlite3.connect(path)
    rows = db.execute("SELECT review_id, dim, data FROM vectors WHERE "
                      "kind = 'lsa' ORDER BY review_id").fetchall()
    if not rows:
        sys.exit("%s: no LSA vectors" % path)
    dim = rows[0][1]
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    v = np.frombuffer(b"".join(r[2] for r in rows), dtype=np.float32)
    return ids, v.reshape(len(rows), dim)


def components(path):
    """The projection as a dense [n_features][dim] matrix."""
    db = sqlite3.connect(path)
    dim, n_cols, comp, cols = db.execute(
        "SELECT dim, n_features, components, cols FROM projection").fetchone()
    c = np.frombuffer(comp, dtype=np.float32).reshape(-1, dim)
    out = np.zeros((n_cols, dim), dtype=np.float64)
    if cols is None:
        out[:] = c
    else:
        out[np.frombuffer(cols, dtype=np.uint32)] = c
    return out


def labels_by_row(path, tsv, ids):
    """Each row's gold label (None if the TSV has none for its review)."""
    gold = {}
    with open(tsv, newline="") as f:
        for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            gold[r["id"]] = r["label"]
    db = sqlite3.connect(path)
    ext = dict(db.execute("SELECT id, ext_id FROM reviews"))
    return [gold.get(ext.get(int(i))) for i in ids]


def purity(nbrs, q, lab):
    return np.mean([np.mean([lab[j] == lab[i] for j in n])
                    for i, n in zip(q, nbrs)])


def subspace_agreement(a, b):
    qa, _ = np.linalg.qr(a)
    qb, _ = np.linalg.qr(b)
    s = np.linalg.svd(qa.T @ qb, compute_uv=False)
    return float(np.mean(s ** 2))


def neighbours(v, queries, k):
    """Exact k nearest rows of each query row by dot product, itself out."""
    out = []
    for lo in range(0, len(queries), 100):
        q = queries[lo:lo + 100]
        sim = v[q] @ v.T
        sim[np.arange(len(q)), q] = -np.inf
        top = np.argpartition(-sim, k, axis=1)[:, :k]
        out.extend(set(t) for t in top)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--labels")
    a = ap.parse_args()
    ca, cb = components(a.a), components(a.b)
    if ca.shape != cb.shape:
        sys.exit("the projections differ in shape: %s, %s" %
                 (ca.shape, cb.shape))
    print("subspace agreement (mean cos^2 of principal angles): %.4f" %
          subspace_agreement(ca, cb))
    ids_a, va = lsa_vectors(a.a)
    ids_b, vb = lsa_vectors(a.b)
    if not np.array_equal(ids_a, ids_b):
        sys.exit("the stores hold different reviews")
    rng = np.random.default_rng(a.seed)
    q = rng.choice(len(ids_a), size=min(a.queries, len(ids_a)),
                   replace=False)
    na = neighbours(va, q, a.k)
    del va
    nb = neighbours(vb, q, a.k)
    shared = np.mean([len(x & y) / a.k for x, y in zip(na, nb)])
    print("%d reviews: %d nearest by LSA, shared on average %.3f" %
          (len(q), a.k, shared))
    if a.labels:
        lab = labels_by_row(a.a, a.labels, ids_a)
        print("neighbours with the review's label: %s %.3f, %s %.3f" %
              (a.a, purity(na, q, lab), a.b, purity(nb, q, lab)))


if __name__ == "__main__":
    main()
