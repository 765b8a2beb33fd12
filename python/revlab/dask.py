"""revlab.dask - label a dask DataFrame with a saved model, partition by
partition, on whatever cluster dask runs on.

The model travels as a file path, not as a pickled object: each worker
process loads the file the first time one of its tasks needs it and keeps
it (a per-process cache keyed by the file's path, size and modification
time), so a worker labelling a hundred partitions loads it once. The file
must be readable at that path from every worker (a shared file system, or
copied to the same place on each machine).
"""
import os
import threading

import dask.dataframe as dd
import pandas as pd

from . import Model

_lock = threading.Lock()
_models = {}    # (path, size, mtime_ns) -> Model, in this process
_loads = 0      # model files this process has loaded
_partitions = 0     # partitions this process has labelled


def loads():
    """(model files loaded, partitions labelled) by this process: for a
    check that a worker loads its model once, `client.run(
    revlab.dask.loads)` asks every worker."""
    return _loads, _partitions


def model(path):
    """The model in the file at `path`, loaded once per process and kept
    while the file is unchanged. Threads of one worker share it (a model
    is safe to predict with from several threads at once)."""
    global _loads
    path = os.path.abspath(path)
    st = os.stat(path)
    key = (path, st.st_size, st.st_mtime_ns)
    with _lock:
        m = _models.get(key)
        if m is None:
            m = Model.load(path)
            _models.clear()     # an older version of the file, if any
            _models[key] = m
            _loads += 1
        return m


def _predict_partition(part, model_path, text):
    global _partitions
    out = model(model_path).predict(part[text])
    with _lock:
        _partitions += 1
    out.index = part.index
    return out


def predict(df, model_path, text="text"):
    """Labels the column `text` of the dask DataFrame `df` with the model
    file at `model_path`: a lazy dask DataFrame with the same index and
    partitions and columns label and confidence, as Model.predict gives
    for each partition. Nothing runs until it is computed (or persisted,
    or written out)."""
    if not isinstance(df, dd.DataFrame):
        raise TypeError("df: a dask.dataframe.DataFrame, not %s"
                        % type(df).__name__)
    meta = pd.DataFrame({"label": pd.Series([], dtype=object),
                         "confidence": pd.Series([], dtype="float64")})
    return df.map_partitions(_predict_partition, os.path.abspath(model_path),
                             text, meta=meta)
