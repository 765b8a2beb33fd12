#!/usr/bin/env python3
"""Benchmark of issue 18: the vectorize stage's time and peak memory as
the corpus grows.

usage: vectorize.py N [--revlab PATH ...] [--threads T] [--dir DIR]
                      [--data DIR] [-p name=value ...] [--no-digest]
Generates N reviews (gen_corpus.py), imports and tokenizes them, then
runs `revlab vectorize` with each given build (default: this tree's
build/revlab) on its own copy of the tokenized store, and prints each
run's wall time and peak memory (the process's max RSS, from wait4), and
whether the builds stored the same vectors. DIR (default: a temporary
folder, removed after) holds the TSV and the stores; at 10^7 reviews
they need about 3 GB and 10 GB of disk."""
import argparse, hashlib, os, shutil, sqlite3, subprocess, sys, tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)


def run_peak(cmd):
    """Runs cmd; returns (seconds, peak RSS in MB, stdout)."""
    t0 = time.time()
    with tempfile.TemporaryFile("w+") as out, \
            tempfile.TemporaryFile("w+") as err:
        p = subprocess.Popen(cmd, stdout=out, stderr=err)
        _, status, ru = os.wait4(p.pid, 0)
        code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        o, e = out.read(), err.read()
    if code != 0:
        sys.exit("failed: %s\n%s%s" % (" ".join(cmd), o, e))
    return time.time() - t0, ru.ru_maxrss / 1024.0, o


def vectors_digest(db):
    """A hash of the stored features, projection and vectors."""
    h = hashlib.sha256()
    c = sqlite3.connect(db)
    for q in ("SELECT * FROM features ORDER BY id",
              "SELECT * FROM projection",
              "SELECT review_id, kind, data FROM vectors "
              "ORDER BY review_id, kind"):
        for row in c.execute(q):
            h.update(repr(row).encode())
    return h.hexdigest()[:16]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("--revlab", action="append")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--dir")
    ap.add_argument("--data", help="gen_corpus.py's --data")
    ap.add_argument("-p", action="append", default=[])
    ap.add_argument("--no-digest", action="store_true",
                    help="skip comparing the stored vectors")
    a = ap.parse_args()
    builds = a.revlab or [os.path.join(TOP, "build", "revlab")]
    tmp = a.dir or tempfile.mkdtemp(prefix="revlab-vectorize-")
    try:
        tsv = os.path.join(tmp, "reviews.tsv")
        base = os.path.join(tmp, "base.db")
        if not os.path.exists(tsv):
            subprocess.run([sys.executable, os.path.join(HERE,
                           "gen_corpus.py"), str(a.n), tsv] +
                           (["--data", a.data] if a.data else []),
                           check=True)
        print("== %d reviews, %.1f MB of TSV, %d threads" %
              (a.n, os.path.getsize(tsv) / 1e6, a.threads))
        if not os.path.exists(base):
            run_peak([builds[0], "init", base])
            t, m, _ = run_peak([builds[0], "import", "-q", base, tsv])
            print("import     %7.1f s  peak %6.0f MB" % (t, m))
            t, m, out = run_peak([builds[0], "tokenize", base])
            print("tokenize   %7.1f s  peak %6.0f MB  %s" %
                  (t, m, out.strip()))
        digests = []
        for i, b in enumerate(builds):
            db = os.path.join(tmp, "v%d.db" % i)
            if len(builds) == 1:
                os.replace(base, db)
            else:
                shutil.copy(base, db)
            extra = ["-p", "threads=%d" % a.threads]
            for p in a.p:
                extra += ["-p", p]
            t, m, out = run_peak([b, "vectorize", db] + extra)
            print("vectorize  %7.1f s  peak %6.0f MB  %s  (%s)" %
                  (t, m, out.strip(), b))
            if not a.no_digest:
                digests.append(vectors_digest(db))
            os.remove(db)
        if len(digests) > 1:
            print("stored vectors: %s" % ("the same" if len(set(digests))
                                          == 1 else "different"))
    finally:
        if not a.dir:
            shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
