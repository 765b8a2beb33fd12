#!/usr/bin/env python3
"""Scores a multi-label store's labels against examples/multi/gold.tsv,
which revlab never sees: per label F1, and the micro- and macro-F1 over
the reviews that were not hand-labelled (seeds.tsv), beside the same
scores of the rules alone (the labels whose rule matched a review, from
the store's rule hits). Used by examples/multi.sh and
tests/example_multi.py.

usage: revlab export STORE --format tsv | score.py STORE"""
import os
import sqlite3
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def read_pairs(name):
    """id -> set of labels, from an id<TAB>label file with a header."""
    out = {}
    with open(os.path.join(HERE, name), encoding="utf-8") as f:
        for line in f.readlines()[1:]:
            i, label = line.rstrip("\n").split("\t")
            out.setdefault(i, set()).add(label)
    return out


def f1(tp, fp, fn):
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0


def score(got, gold, labels):
    """got, gold: id -> set of labels, scored over got's ids. Returns
    (macro-F1, micro-F1, {label: F1})."""
    counts = {l: [0, 0, 0] for l in labels}  # tp, fp, fn
    for i, g in got.items():
        for l in labels:
            c = counts[l]
            c[0] += l in g and l in gold[i]
            c[1] += l in g and l not in gold[i]
            c[2] += l not in g and l in gold[i]
    per = {l: f1(*c) for l, c in counts.items()}
    total = [sum(c[k] for c in counts.values()) for k in range(3)]
    return sum(per.values()) / len(per), f1(*total), per


def rule_labels(store):
    """id -> set of the labels whose rules matched the review."""
    con = sqlite3.connect(store)
    out = {}
    for i, label in con.execute(
            "SELECT v.ext_id, l.name FROM rule_hits h "
            "JOIN rules r ON r.id = h.rule_id "
            "JOIN labels l ON l.id = r.label_id "
            "JOIN reviews v ON v.id = h.review_id WHERE NOT r.negate"):
        out.setdefault(i, set()).add(label)
    con.close()
    return out


def measure(store, export_lines):
    """The scores of the export (its lines, header first) and of the rules,
    over the reviews without hand labels."""
    gold = read_pairs("gold.tsv")
    seeds = read_pairs("seeds.tsv")
    labels = sorted(set().union(*gold.values()))
    rows = [l.rstrip("\n").split("\t") for l in export_lines[1:]]
    got = {r[0]: set(r[1].split("|")) - {""} for r in rows
           if r[0] not in seeds}
    hits = rule_labels(store)
    rules = {i: hits.get(i, set()) for i in got}
    return {"n": len(got), "labels": labels,
            "revlab": score(got, gold, labels),
            "rules": score(rules, gold, labels),
            "per_review": sum(len(g) for g in got.values()) / len(got),
            "gold_per_review": sum(len(gold[i]) for i in got) / len(got)}


def main():
    m = measure(sys.argv[1], sys.stdin.readlines())
    print("F1 against gold, the %d reviews that were not hand-labelled:"
          % m["n"])
    print("  %-12s %8s %8s  %s" % ("", "macro-F1", "micro-F1", " ".join(
        "%8s" % l for l in m["labels"])))
    for who in ("revlab", "rules alone"):
        macro, micro, per = m[who.split()[0]]
        print("  %-12s %8.3f %8.3f  %s" % (who, macro, micro, " ".join(
            "%8.2f" % per[l] for l in m["labels"])))
    print("  labels per review: revlab %.2f, gold %.2f"
          % (m["per_review"], m["gold_per_review"]))


if __name__ == "__main__":
    main()
