"""Fixtures of the revlab package's tests: the bundled example corpus
(examples/) as DataFrames, a store labelled from them through the package,
and its model saved to a file; and the built `revlab` command, to check
the package against it.

The build sets REVLAB_EXAMPLES and REVLAB_EXE (python/tests/meson.build)
and puts the built package on PYTHONPATH."""
import csv
import json
import os
import subprocess

import pandas as pd
import pytest

import revlab

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.environ.get("REVLAB_EXAMPLES",
                          os.path.join(HERE, "..", "..", "examples"))
REVLAB_EXE = os.environ.get("REVLAB_EXE")


def read_tsv(name):
    return pd.read_csv(os.path.join(EXAMPLES, name), sep="\t", dtype=str,
                       keep_default_na=False, quoting=csv.QUOTE_NONE)


def cli(*args):
    """Runs the built revlab command; its stdout."""
    if not REVLAB_EXE:
        pytest.skip("REVLAB_EXE not set: run the tests with meson test")
    p = subprocess.run([REVLAB_EXE, *args], capture_output=True, text=True)
    assert p.returncode == 0, "revlab %s: %s" % (" ".join(args), p.stderr)
    return p.stdout


def cli_predict(model_path, texts, tmp):
    """The CLI's `predict --model` of `texts`: a DataFrame of label and
    confidence (4 decimals, as it prints them)."""
    path = os.path.join(tmp, "texts.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        for i, t in enumerate(texts):
            f.write(json.dumps({"id": "t%d" % i, "text": t}) + "\n")
    out = cli("predict", "--model", model_path, path)
    rows = [line.split("\t") for line in out.splitlines()[1:]]
    return pd.DataFrame({"label": [r[1] for r in rows],
                         "confidence": [float(r[2]) for r in rows]})


RULES = open(os.path.join(EXAMPLES, "rules.txt"), encoding="utf-8").read()


@pytest.fixture(scope="session")
def reviews():
    df = read_tsv("reviews.tsv")
    assert len(df) == 300
    return df


@pytest.fixture(scope="session")
def seeds():
    return read_tsv("seeds.tsv")


@pytest.fixture(scope="session")
def labelled(tmp_path_factory, reviews, seeds):
    """(store path, run report, model file path): the example labelled
    through the package: DataFrame in, seeds from a DataFrame, rules from
    a string, run, model saved."""
    d = tmp_path_factory.mktemp("labelled")
    path = str(d / "example.db")
    with revlab.Store(path) as s:
        s.import_df(reviews)
        s.seed(seeds)
        s.rules(RULES)
        report = s.run()
        model_path = str(d / "example.rlm")
        s.model().save(model_path)
    return path, report, model_path
