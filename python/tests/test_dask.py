"""revlab.dask.predict on a real two-process LocalCluster that the test
starts and stops: the labels equal Model.predict's and the CLI's, and each
worker process loads the model file once however many partitions it
labels."""
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from distributed import Client, LocalCluster

import revlab
import revlab.dask
from conftest import cli_predict

# distributed 2022.12 on Debian's tornado: its own deprecation, not ours.
pytestmark = pytest.mark.filterwarnings(
    "ignore:make_current is deprecated:DeprecationWarning")


@pytest.fixture(scope="module")
def client():
    cluster = LocalCluster(n_workers=2, threads_per_worker=1,
                           processes=True, host="127.0.0.1",
                           dashboard_address=None)
    c = Client(cluster)
    try:
        yield c
    finally:
        c.close()
        cluster.close()


def test_cluster_predict(client, labelled, reviews, tmp_path):
    model_path = labelled[2]
    df = pd.concat([reviews] * 4, ignore_index=True)   # 1,200 reviews
    ddf = dd.from_pandas(df, npartitions=12)
    assert set(client.run(revlab.dask.loads).values()) == {(0, 0)}

    lazy = revlab.dask.predict(ddf, model_path)
    assert list(lazy.columns) == ["label", "confidence"]
    got = lazy.compute()
    ddf7 = dd.from_pandas(df, npartitions=7)
    got_again = revlab.dask.predict(ddf7, model_path).compute()

    want = revlab.Model.load(model_path).predict(df["text"])
    pd.testing.assert_frame_equal(got, want)
    pd.testing.assert_frame_equal(got_again, want)
    cli = cli_predict(model_path, list(reviews["text"]), str(tmp_path))
    assert list(got["label"][:300]) == list(cli["label"])
    assert (np.abs(got["confidence"][:300].values -
                   cli["confidence"].values) <= 5e-5).all()

    # Each worker that labelled loaded the file once, for 19 partitions
    # over two computations.
    counts = client.run(revlab.dask.loads)
    assert len(counts) == 2
    assert sum(p for _, p in counts.values()) == 12 + 7
    for worker, (loads, parts) in counts.items():
        assert loads == (1 if parts else 0), (worker, loads, parts)
    assert max(p for _, p in counts.values()) > 1


def test_not_a_dask_frame(labelled):
    with pytest.raises(TypeError):
        revlab.dask.predict(pd.DataFrame({"text": ["x"]}), labelled[2])
