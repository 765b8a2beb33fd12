"""revlab.Model: a save/load round trip predicts the same; predictions equal
the CLI's; four threads at once predict what one does, and the GIL is
released while the library labels."""
import threading
import time

import numpy as np
import pandas as pd
import pytest

import revlab
from conftest import cli_predict


@pytest.fixture(scope="module")
def model(labelled):
    return revlab.Model.load(labelled[2])


def test_labels_and_round_trip(labelled, model, reviews, tmp_path):
    path, _, model_path = labelled
    assert model.labels == ["neg", "pos"]
    with revlab.Store(path) as s:
        fresh = s.model()
    want = fresh.predict(reviews["text"])
    got = model.predict(reviews["text"])
    pd.testing.assert_frame_equal(want, got)    # exactly equal
    again = str(tmp_path / "again.rlm")
    model.save(again)
    pd.testing.assert_frame_equal(
        revlab.Model.load(again).predict(reviews["text"]), got)
    with open(model_path, "rb") as a, open(again, "rb") as b:
        assert a.read() == b.read()


def test_predict_equals_cli(labelled, model, reviews, tmp_path):
    texts = list(reviews["text"]) + ["?!", "the the the", "Great price, "
                                     "but it broke after a week."]
    got = model.predict(texts)
    want = cli_predict(labelled[2], texts, str(tmp_path))
    assert list(got["label"]) == list(want["label"])
    assert (np.abs(got["confidence"] - want["confidence"]) <= 5e-5).all()
    assert got.index.equals(pd.RangeIndex(len(texts)))


def test_shapes_inputs_and_errors(model, reviews):
    s = reviews["text"].iloc[10:20]
    out = model.predict(s)
    assert out.index.equals(s.index)
    top2 = model.predict(list(s), top=2)
    assert list(top2.columns) == ["label_1", "confidence_1", "label_2",
                                  "confidence_2"]
    assert (top2["label_1"] == out["label"].values).all()
    assert np.allclose(top2["confidence_1"] + top2["confidence_2"], 1)
    lab, conf = model.predict_arrays([t.encode() for t in s])
    assert lab.dtype == np.int32 and list(lab) == [
        model.labels.index(x) for x in out["label"]]
    assert len(model.predict([])) == 0
    with pytest.raises(revlab.InputError, match="text 1: not valid UTF-8"):
        model.predict(["fine", "bad \ud800 surrogate"])
    with pytest.raises(revlab.InputError, match="text 0"):
        model.predict_arrays([b"\xff\xfe"])
    with pytest.raises(revlab.InvalidError):
        model.predict(["x"], top=3)
    with pytest.raises(TypeError, match="text 1"):
        model.predict(["x", None])


def test_chunks_equal_one_call(model, reviews, monkeypatch):
    """predict_arrays hands the library PREDICT_CHUNK texts at a time:
    the result is the same as from one call, and a bad text is named by
    its place in the whole input, not in its chunk."""
    texts = list(reviews["text"][:50])
    one = model.predict_arrays(texts, top=2)
    monkeypatch.setattr(revlab, "PREDICT_CHUNK", 7)
    for got, want in zip(model.predict_arrays(texts, top=2), one):
        assert np.array_equal(got, want)
    assert model.predict(pd.Series(texts)).equals(
        model.predict(texts))
    with pytest.raises(revlab.InputError, match="^text 23: not valid"):
        model.predict_arrays(texts[:23] + ["\ud800"] + texts[23:])
    with pytest.raises(TypeError, match="^text 15: "):
        model.predict_arrays(texts[:15] + [None])


def test_four_threads_equal_one(model, reviews):
    texts = list(reviews["text"]) * 20
    one_l, one_c = model.predict_arrays(texts)
    parts = np.array_split(np.arange(len(texts)), 4)
    results = [None] * 4

    def work(i):
        idx = parts[i]
        results[i] = model.predict_arrays([texts[j] for j in idx])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert np.array_equal(np.concatenate([r[0] for r in results]), one_l)
    assert np.array_equal(np.concatenate([r[1] for r in results]), one_c)


def test_gil_released_while_predicting(model, reviews):
    """While one thread is inside rl_model_predict, another runs Python:
    the longest pause the main thread sees is far shorter than the call.
    (Were the GIL held, the main thread would stop for the whole call.)"""
    texts = [t.encode() for t in reviews["text"]] * 600     # 180,000
    took = []

    def work():
        t0 = time.perf_counter()
        model.predict_arrays(texts)
        took.append(time.perf_counter() - t0)

    t = threading.Thread(target=work)
    last = time.perf_counter()
    gap = 0.0
    t.start()
    while t.is_alive():
        now = time.perf_counter()
        gap = max(gap, now - last)
        last = now
    t.join()
    assert took[0] > 0.05, "too fast to tell: %.3f s" % took[0]
    assert gap < took[0] / 2, "main thread paused %.3f s of a %.3f s " \
        "call" % (gap, took[0])
