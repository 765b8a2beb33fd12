#!/usr/bin/env python3
"""Prediction throughput from Python against the CLI, on the bundled
example's model and its 300 reviews repeated to N (default 300,000):
`revlab predict --model` on a JSONL file, Model.predict from one thread
and from T threads, and revlab.dask.predict on a two-worker
LocalCluster. Prints reviews/s for each.

usage: PYTHONPATH=build/python /usr/bin/python3 bench/py_predict.py \
           build/revlab [N]"""
import csv
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
import pandas as pd

import revlab
try:
    import dask.dataframe as dd
    import revlab.dask
    from distributed import Client, LocalCluster
except ImportError:
    dd = None

HERE = os.path.dirname(os.path.abspath(__file__))
EX = os.path.join(HERE, "..", "examples")


def best(fn, reps=3):
    return min(timed(fn) for _ in range(reps))


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main():
    exe = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 300000
    reviews = pd.read_csv(os.path.join(EX, "reviews.tsv"), sep="\t",
                          dtype=str, keep_default_na=False,
                          quoting=csv.QUOTE_NONE)
    texts = (list(reviews["text"]) * (n // 300 + 1))[:n]
    with tempfile.TemporaryDirectory() as d:
        with revlab.Store(os.path.join(d, "ex.db")) as s:
            s.import_df(reviews)
            s.seed(os.path.join(EX, "seeds.tsv"))
            s.rules(os.path.join(EX, "rules.txt"))
            s.run()
            model_path = os.path.join(d, "m.rlm")
            s.model().save(model_path)
        m = revlab.Model.load(model_path)
        jl = os.path.join(d, "big.jsonl")
        with open(jl, "w") as f:
            for i, t in enumerate(texts):
                f.write(json.dumps({"id": str(i), "text": t}) + "\n")
        out = {}
        out["cli predict --model (file in, TSV out)"] = best(
            lambda: subprocess.run([exe, "predict", "--model", model_path,
                                    jl], stdout=subprocess.DEVNULL,
                                   check=True))
        out["Model.predict_arrays, 1 thread"] = best(
            lambda: m.predict_arrays(texts))
        out["Model.predict -> DataFrame, 1 thread"] = best(
            lambda: m.predict(texts))
        enc = [t.encode() for t in texts]
        out["rl_model_predict alone (bytes in, 1 thread)"] = best(
            lambda: m.predict_arrays(enc))
        for k in (2, 4):
            parts = [texts[i::k] for i in range(k)]

            def par():
                ts = [threading.Thread(target=m.predict_arrays, args=(p,))
                      for p in parts]
                for t in ts:
                    t.start()
                for t in ts:
                    t.join()
            out["Model.predict_arrays, %d threads" % k] = best(par)
        if dd is not None:
            df = pd.DataFrame({"text": texts})
            with LocalCluster(n_workers=2, threads_per_worker=1,
                              processes=True, host="127.0.0.1",
                              dashboard_address=None) as cl, \
                    Client(cl) as c:
                ddf = dd.from_pandas(df, npartitions=16).persist()
                revlab.dask.predict(ddf, model_path).compute()  # warm
                out["dask.predict, 2 workers, 16 partitions"] = best(
                    lambda: revlab.dask.predict(ddf, model_path).compute())
    for name, sec in out.items():
        print("%-46s %9.0f reviews/s  (%.3f s)" % (name, n / sec, sec))


if __name__ == "__main__":
    main()
