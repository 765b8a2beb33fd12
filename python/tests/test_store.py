"""revlab.Store: a DataFrame in, a labelled DataFrame out, the same as the
CLI's; errors raised by kind with the library's message, and a failed call
leaves the store as it was."""
import io
import os

import pandas as pd
import pytest

import revlab
from conftest import EXAMPLES, RULES, cli


def test_dataframe_to_labelled_dataframe(labelled, reviews, seeds):
    path, report, _ = labelled
    assert report["up_to_date"] is False
    for step in ("tokenize", "vectorize", "graph", "propagate", "label"):
        assert step in report["steps"], step
    assert report["steps"]["tokenize"]["reviews"] == 300
    assert report["method"] in ("rules", "propagation", "model", "blend")
    assert report["eval"]["best"] == report["method"]
    assert 250 < report["labelled"] <= 300 and report["model_stored"]
    assert sum(s["chosen"] for s in report["settings"]) == 1
    # a single-label store trains the pool of the three classifiers
    # unless told otherwise: none is chosen
    assert report["classifiers"] == [] and report["model"] == "pool"

    with revlab.Store(path) as s:
        df = s.export(text=True, meta=True)
    assert list(df.columns) == ["id", "label", "confidence", "source",
                                "text", "meta"]
    assert list(df["id"]) == list(reviews["id"])
    assert list(df["text"]) == list(reviews["text"])
    assert [m["source"] for m in df["meta"]] == list(reviews["source"])
    assert set(df["label"].dropna()) == {"pos", "neg"}
    hand = df.set_index("id").loc[seeds["id"]]
    assert (hand["source"] == "seed").all()
    assert list(hand["label"]) == list(seeds["label"])

    # The same labels as the CLI gives from the same files.
    db = os.path.join(os.path.dirname(path), "cli.db")
    cli("init", db)
    cli("import", db, os.path.join(EXAMPLES, "reviews.tsv"))
    cli("seed", db, os.path.join(EXAMPLES, "seeds.tsv"))
    cli("rules", db, os.path.join(EXAMPLES, "rules.txt"))
    cli("run", db, "-q")
    want = pd.read_csv(io.StringIO(cli("export", db, "--format", "tsv")),
                       sep="\t", dtype={"label": object, "source": object})
    assert list(want["id"]) == list(df["id"])
    assert list(want["label"].fillna("")) == list(df["label"].fillna(""))
    assert list(want["source"].fillna("")) == list(df["source"].fillna(""))
    assert df["label"].isna().sum() < 30    # few abstain
    assert ((want["confidence"].fillna(-1) -
             df["confidence"].fillna(-1)).abs() < 5e-5).all()


def test_filters_eval_next_suspects(labelled):
    path, _, _ = labelled
    with revlab.Store(path) as s:
        seed_rows = s.export(source="seed")
        assert len(seed_rows) == 20 and (seed_rows["source"] == "seed").all()
        pos = s.export(label="pos", min_confidence=0.9)
        assert (pos["label"] == "pos").all()
        assert (pos["confidence"] >= 0.9).all()
        ev = s.eval(folds=4)
        assert ev["best"] in ("rules", "propagation", "model", "blend")
        assert ev["folds"] == 4
        nxt = s.next(5)
        assert len(nxt) == 5 and nxt["reason"].str.len().min() > 0
        assert not set(nxt["id"]) & set(seed_rows["id"])
        sus = s.suspects(3)
        assert list(sus.columns)[:4] == ["id", "text", "given", "suggested"]
        # Nothing changed: a run finds everything up to date.
        report = s.run()
        assert report["up_to_date"] is True
        # The example's rules vote for both labels; a label with none is
        # named, here and in every run's report.
        assert report["unruled"] == [] and s.unruled() == []


def test_iterable_of_dicts_integer_ids(tmp_path):
    rows = [{"id": i, "text": t, "stars": i % 5}
            for i, t in enumerate(["good value", "broke in a day",
                                   "great price", "awful support"])]
    with revlab.Store(str(tmp_path / "d.db")) as s:
        st = s.import_df(iter(rows))
        assert st["imported"] == 4
        st = s.import_df(pd.DataFrame(rows), existing="skip")
        assert st["skipped"] == 4 and st["imported"] == 0
        s.seed({"0": "pos", "1": "neg"})
        df = s.export(meta=True)
        assert list(df["id"]) == ["0", "1", "2", "3"]
        assert [m["stars"] for m in df["meta"]] == [0, 1, 2, 3]


def test_failed_import_leaves_store_unchanged(labelled, tmp_path):
    path, _, _ = labelled
    copy = str(tmp_path / "copy.db")
    with revlab.Store(path) as s:
        before = s.export()
    with open(path, "rb") as f, open(copy, "wb") as g:
        g.write(f.read())
    with revlab.Store(copy) as s:
        bad = pd.DataFrame({"id": ["new:1", "new:2", "new:3"],
                            "text": ["fine", "also fine", ""]})
        with pytest.raises(revlab.InputError) as e:
            s.import_df(bad)
        assert str(e.value).startswith("dataframe:3:"), str(e.value)
        assert e.value.code == -3 and e.value.need is None
        # An id already there: the whole import fails, nothing added.
        dup = pd.DataFrame({"id": ["new:4", "amazon:35"],
                            "text": ["new", "replaced?"]})
        with pytest.raises(revlab.InputError, match="amazon:35"):
            s.import_df(dup)
        after = s.export()
        pd.testing.assert_frame_equal(before, after)
        assert s.run()["up_to_date"] is True


def test_bad_rules_keep_the_previous(labelled, tmp_path):
    path, _, _ = labelled
    copy = str(tmp_path / "copy.db")
    with open(path, "rb") as f, open(copy, "wb") as g:
        g.write(f.read())
    with revlab.Store(copy) as s:
        with pytest.raises(revlab.InputError, match=r"^rules:2:"):
            s.rules("pos\tgreat\nneg\t(unclosed\n")
        with pytest.raises(revlab.FileError):
            s.rules(str(tmp_path / "missing-rules.txt"))
        # The rule set is the one loaded before: nothing to redo.
        assert s.run()["up_to_date"] is True
        st = s.rules(RULES)
        assert st["rules"] == 3 and st["kept"] == 3


def test_error_kinds(tmp_path, reviews):
    with revlab.Store(str(tmp_path / "e.db")) as s:
        with pytest.raises(revlab.Empty, match="no reviews"):
            s.run()
        with pytest.raises(revlab.Empty) as e:
            s.eval()
        assert e.value.need == "graph"
        with pytest.raises(revlab.InvalidError, match="no_such_param"):
            s.run(no_such_param=3)
        with pytest.raises(revlab.NotFound) as e:
            s.model()
        assert e.value.need == "model"
        s.import_df(reviews.head(50))
        with pytest.raises(revlab.InputError, match="no:such:id"):
            s.seed({"no:such:id": "pos"})
        assert isinstance(e.value, revlab.Error)
    not_a_store = tmp_path / "text.db"
    not_a_store.write_text("hello, not sqlite\n" * 100)
    with pytest.raises(revlab.DatabaseError):
        revlab.Store(str(not_a_store))
    with pytest.raises(revlab.InputError, match="not a revlab model"):
        revlab.Model.load(str(not_a_store))
    s = revlab.Store(str(tmp_path / "e.db"))
    s.close()
    with pytest.raises(revlab.Error, match="closed"):
        s.export()


def test_annotators(tmp_path):
    """Hand labels from several annotators: the review takes the
    majority's label, and export(annotators=True) says who said what."""
    db = str(tmp_path / "team.db")
    with revlab.Store(db) as s:
        s.import_df(pd.DataFrame({"id": ["a", "b"],
                                       "text": ["cheap", "late"]}))
        s.seed({"a": "price", "b": "shipping"}, annotator="ann")
        s.seed({"a": "shipping"}, annotator="bob")
        s.seed({"a": "price"}, annotator="cyd")
        df = s.export(annotators=True)
    assert list(df.columns) == ["id", "label", "confidence", "source",
                                "annotations"]
    assert list(df["label"]) == ["price", "shipping"]
    assert df["annotations"][0] == {"ann": ["price"], "bob": ["shipping"],
                                    "cyd": ["price"]}
    assert df["annotations"][1] == {"ann": ["shipping"]}


def test_unruled_labels(tmp_path):
    with revlab.Store(str(tmp_path / "u.db")) as s:
        s.import_df(pd.DataFrame({"id": ["a", "b", "c"],
                                  "text": ["great value", "awful support",
                                           "late again"]}))
        s.seed({"a": "pos", "b": "neg", "c": "late"})
        assert s.unruled() == ["late", "neg", "pos"]
        # late's rule never fires; neg has only a rule against it.
        s.rules("pos\t\\bgreat\\b\nlate\t\\bnever_here\\b\n"
                "!neg\t\\bgreat\\b\n")
        assert s.unruled() == ["late", "neg"]
