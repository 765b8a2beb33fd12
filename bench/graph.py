#!/usr/bin/env python3
"""Benchmark of issue 3: tokenize + vectorize + graph at scale, against
scikit-learn doing the same job as its users would.

usage: graph.py [N ...] [--peer-max N] [--recall-sample S]
For each N (default 50000 100000): generates N reviews from real sentences
(gen_corpus.py), runs `revlab init/import/tokenize/vectorize/graph`, and
prints each stage's wall time, peak memory (the process's max RSS, from
wait4) and the graph's recall@10 measured against brute force on a
sample. For N <= --peer-max (default 100000) it runs sklearn_knn.py on the
same file and prints the time and memory ratios."""
import argparse, json, os, re, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
REVLAB = os.path.join(TOP, "build", "revlab")


def run(cmd):
    """Runs cmd; returns (seconds, peak RSS in MB, stdout)."""
    t0 = time.time()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    out = p.stdout.read()
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit("failed: %s\n%s%s" % (" ".join(cmd), out, err))
    return time.time() - t0, ru.ru_maxrss / 1024.0, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("sizes", nargs="*", type=int, default=[50000, 100000])
    ap.add_argument("--peer-max", type=int, default=100000)
    ap.add_argument("--recall-sample", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--keep", help="leave the last store at this path")
    a = ap.parse_args()
    print("machine: %d cores, %s" % (os.cpu_count(), open(
        "/proc/cpuinfo").read().split("model name")[1].split("\n")[0]
        .strip(": ")))
    for n in a.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            tsv = os.path.join(tmp, "reviews.tsv")
            db = os.path.join(tmp, "r.db")
            subprocess.run([sys.executable, os.path.join(HERE,
                           "gen_corpus.py"), str(n), tsv], check=True)
            mb = os.path.getsize(tsv) / 1e6
            print("== %d reviews, %.1f MB" % (n, mb))
            run([REVLAB, "init", db])
            t, m, _ = run([REVLAB, "import", "-q", db, tsv])
            print("import     %7.1f s  peak %6.0f MB" % (t, m))
            total, peak = 0.0, 0.0
            p = ["-p", "threads=%d" % a.threads]
            for stage, extra in (("tokenize", []), ("vectorize", p),
                                 ("graph", p + ["-p", "recall_sample=%d" %
                                                a.recall_sample])):
                t, m, out = run([REVLAB, stage, db] + extra)
                total += t
                peak = max(peak, m)
                print("%-10s %7.1f s  peak %6.0f MB  %s" %
                      (stage, t, m, out.strip()))
            if a.keep:
                import shutil
                shutil.copy(db, a.keep)
            rec = re.search(r"recall@\d+ ([0-9.]+)", out)
            print("revlab tokenize+vectorize+graph: %.1f s, peak %.0f MB, "
                  "recall@10 %s" % (total, peak,
                                    rec.group(1) if rec else "1 (exact)"))
            if n <= a.peer_max:
                t, m, out = run(["/usr/bin/python3", os.path.join(HERE,
                                 "sklearn_knn.py"), tsv, "10"])
                print("scikit-learn tfidf+NearestNeighbors: %.1f s, peak "
                      "%.0f MB  %s" % (t, m, out.strip()))
                print("ratio: revlab %.1fx faster, %.2fx the memory" %
                      (t / total, peak / m))


if __name__ == "__main__":
    main()
