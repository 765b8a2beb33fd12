#!/usr/bin/env python3
"""How far a classifier trained on every gold label gets on a multi-label
file, against its rules alone: the check behind the README's remark that
on the hotel reviews the rules beat any bag-of-words classifier.

For draws 1-5 of the multi-label protocol (split_multi.py, 70/30), the
test part's macro-F1 over labels of: the rules alone (a review gets the
labels of the rules that match it, as sklearn_multi.py's rules_only), and
one-vs-rest logistic regression trained on every gold label of the train
part with TF-IDF (sublinear, unigrams and bigrams, min_df 2, L2-normed:
sklearn_multi.py's features, whose C=10 fit is the protocol's ceiling)
at C 10 and 100, and with binary word presence, not normed, at C 1 and
10, and the same with the rules' hits as one more column a label (times
5, so they cost the fit little); a review gets each label of probability 0.5 or more, and its
likeliest when none is (as sklearn_multi.py decides). Needs Debian's
python3-sklearn.

usage: multi_ceiling.py REVIEWS_MULTI.tsv RULES [--draws N]
"""
import argparse, os, re, sys

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.multiclass import OneVsRestClassifier
from sklearn.preprocessing import MultiLabelBinarizer

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.environ.get("SHARED", os.path.join(HERE, "..", "..", "shared"))
sys.path.insert(0, os.path.join(SHARED, "tools"))
import split_multi  # noqa: E402


def rules_of(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip() and line[0] not in "#!" and "\t" in line:
                label, rx = line.rstrip("\n").split("\t", 1)
                out.append((label, re.compile(rx, re.I)))
    return out


def fires(rules, rows, labels):
    """[review][label] 1 where a rule of the label matches the text."""
    return np.array([[int(any(lb == l and rx.search(r[2])
                              for lb, rx in rules)) for l in labels]
                     for r in rows])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("tsv")
    ap.add_argument("rules")
    ap.add_argument("--draws", type=int, default=5)
    a = ap.parse_args()
    rows, rules = split_multi.load(a.tsv), rules_of(a.rules)
    res = {}
    for draw in range(1, a.draws + 1):
        train, test, _ = split_multi.split(rows, 10, draw)
        mlb = MultiLabelBinarizer()
        ytr = mlb.fit_transform([r[1] for r in train])
        yte = mlb.transform([r[1] for r in test])
        labels = list(mlb.classes_)
        hit = fires(rules, test, labels)
        res.setdefault("rules alone", []).append(
            f1_score(yte, hit, average="macro", zero_division=0))
        for name, vec, cs in (
                ("tf-idf", TfidfVectorizer(sublinear_tf=True,
                                           ngram_range=(1, 2), min_df=2),
                 (10, 100)),
                ("binary words", CountVectorizer(binary=True, min_df=2),
                 (1, 10)),
                ("binary words + rules", CountVectorizer(binary=True,
                                                         min_df=2),
                 (1, 10))):
            xtr = vec.fit_transform([r[2] for r in train])
            xte = vec.transform([r[2] for r in test])
            if "rules" in name:
                xtr = sparse.hstack([xtr, 5 * sparse.csr_matrix(
                    fires(rules, train, labels))]).tocsr()
                xte = sparse.hstack([xte, 5 * sparse.csr_matrix(
                    fires(rules, test, labels))]).tocsr()
            for c in cs:
                m = OneVsRestClassifier(LogisticRegression(C=c,
                                                           max_iter=3000))
                pr = m.fit(xtr, ytr).predict_proba(xte)
                p = (pr >= 0.5).astype(int)
                none = p.sum(axis=1) == 0
                p[none, pr[none].argmax(axis=1)] = 1
                res.setdefault("LR on all gold, %s, C=%g" % (name, c),
                               []).append(f1_score(yte, p, average="macro",
                                                   zero_division=0))
    for k, v in res.items():
        print("%-42s %s  mean %.3f" % (k, " ".join("%.3f" % x for x in v),
                                       np.mean(v)))


if __name__ == "__main__":
    main()
