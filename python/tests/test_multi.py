"""A multi-label store from Python: the bundled multi-label example
(examples/multi/) from a DataFrame to a labelled DataFrame with a list of
labels per review, and its model's predictions equal to the CLI's."""
import os

import pandas as pd
import pytest

import revlab
from conftest import EXAMPLES, cli, read_tsv

MULTI = os.path.join(EXAMPLES, "multi")


@pytest.fixture(scope="module")
def multi(tmp_path_factory):
    """A multi-label store made by the CLI, labelled through the package,
    and its model saved to a file."""
    d = tmp_path_factory.mktemp("multi")
    path = str(d / "shop.db")
    cli("init", path, "--multi-label")
    reviews = read_tsv(os.path.join("multi", "reviews.tsv"))
    with revlab.Store(path) as s:
        assert s.multi_label
        s.import_df(reviews, id="id", text="text")
        s.seed(os.path.join(MULTI, "seeds.tsv"))
        s.rules(os.path.join(MULTI, "rules.txt"))
        report = s.run()
        df = s.export()
        model = s.model()
    model_path = str(d / "shop.rlm")
    model.save(model_path)
    return path, report, df, model, model_path, reviews


def test_export_lists_labels(multi):
    path, report, df, _, _, reviews = multi
    assert report["labelled"] == len(reviews)
    assert list(df.columns) == ["id", "labels", "confidences", "sources"]
    assert list(df["id"]) == list(reviews["id"])
    # a hand-labelled review keeps every hand label, as the seeds say
    seeds = read_tsv(os.path.join("multi", "seeds.tsv"))
    want = seeds.groupby("id")["label"].apply(sorted).to_dict()
    got = dict(zip(df["id"], df["labels"]))
    for rid, labels in want.items():
        assert sorted(got[rid]) == labels, rid
    # some review has two labels, every one has at least one
    assert max(map(len, df["labels"])) >= 2
    assert min(map(len, df["labels"])) >= 1
    for labels, conf, src in zip(df["labels"], df["confidences"],
                                 df["sources"]):
        assert len(labels) == len(conf) == len(src)
        assert all(0 < c <= 1 for c in conf)
    # the same as the CLI's export, labels joined by '|'
    rows = [line.split("\t") for line in
            cli("export", path, "--format", "tsv").splitlines()[1:]]
    assert ["|".join(x) for x in df["labels"]] == [r[1] for r in rows]


def test_model_predicts_as_the_cli(multi, tmp_path):
    _, _, _, model, model_path, _ = multi
    assert model.multi_label and len(model.thresholds) == len(model.labels)
    new = read_tsv(os.path.join("multi", "new.tsv"))
    got = model.predict(list(new["text"]))
    assert list(got.columns) == ["labels", "confidences"]
    out = cli("predict", "--model", model_path,
              os.path.join(MULTI, "new.tsv"))
    rows = [line.split("\t") for line in out.splitlines()[1:]]
    assert [r[1] for r in rows] == ["|".join(x) for x in got["labels"]]
    for r, conf in zip(rows, got["confidences"]):
        assert [float(c) for c in r[2].split("|")] == \
            pytest.approx(list(conf), abs=5e-5)
    # every label's probability, and the decision drawn from them
    proba = model.predict_proba(list(new["text"]))
    assert list(proba.columns) == model.labels
    for i, labels in enumerate(got["labels"]):
        over = [l for l, t in zip(model.labels, model.thresholds)
                if proba.iloc[i][l] >= t]
        assert sorted(labels) == sorted(over) or \
            (not over and labels == [proba.iloc[i].idxmax()])
    with pytest.raises(ValueError):
        model.predict(["too big"], top=2)
