#!/usr/bin/env python3
"""Benchmark of issue 6: classifier training and prediction speed, with
liblinear and fastText on the same data in the same run.

usage: train.py [N ...] [--peer-max N] [--threads T]
For each N (default 100000 1000000): generates N labelled reviews
(gen_corpus.py --labelled 0.1: 5 product domains, 10% held out as test),
imports, tokenizes and vectorizes them with revlab, then
- bench_train trains revlab's kernels (NB, complement NB, logistic
  regression) on the train part's gold labels with the stored feature
  rows, and prints training time, test accuracy and the kernel's
  prediction rate on one core;
- for N <= --peer-max (default 100000): liblinear-train (-s 0, L2
  logistic regression, and -s 2, its default-recommended L2 SVM; on
  exactly revlab's feature rows) and fastText supervised (raw text,
  default settings, same thread count) train on the same labels; the
  time and accuracy ratios are printed;
- and end to end through the CLI: `revlab seed` (the train part's labels)
  + `revlab graph` + `revlab train`, then `revlab predict DB FILE` on N new
  generated reviews, whose rate is reviews per second on one core.
Peak memory is each process's max RSS (wait4)."""
import argparse, os, re, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
REVLAB = os.path.join(TOP, "build", "revlab")
BENCH = os.path.join(TOP, "build", "bench", "bench_train")


CPU = {}


def run(cmd, stdout=subprocess.PIPE):
    """Runs cmd; returns (seconds, peak RSS in MB, stdout); CPU["last"]
    gets its CPU seconds (user + system)."""
    t0 = time.time()
    p = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.PIPE,
                         text=True)
    out = p.stdout.read() if stdout == subprocess.PIPE else ""
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    if os.waitstatus_to_exitcode(status):
        sys.exit("failed: %s\n%s%s" % (" ".join(cmd), out, err))
    CPU["last"] = ru.ru_utime + ru.ru_stime
    return time.time() - t0, ru.ru_maxrss / 1024.0, out + err


def fasttext_file(tsv, path, part):
    """fastText's format: __label__X text, one review a line, for the rows
    of tsv in part; returns the gold labels in order."""
    gold = []
    with open(tsv, encoding="utf-8") as f, \
            open(path, "w", encoding="utf-8") as out:
        f.readline()
        for line in f:
            _, label, p, text = line.rstrip("\n").split("\t", 3)
            if p == part:
                out.write("__label__%s %s\n" % (label, text))
                gold.append(label)
    return gold


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("sizes", nargs="*", type=int,
                    default=[100000, 1000000])
    ap.add_argument("--peer-max", type=int, default=100000)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    print("machine: %d cores, %s" % (os.cpu_count(), open(
        "/proc/cpuinfo").read().split("model name")[1].split("\n")[0]
        .strip(": ")))
    for n in a.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            tsv = os.path.join(tmp, "reviews.tsv")
            db = os.path.join(tmp, "r.db")
            subprocess.run([sys.executable, os.path.join(HERE,
                           "gen_corpus.py"), str(n), tsv, "--labelled",
                            "0.1"], check=True)
            print("== %d reviews (5 labels, 10%% test), %.1f MB" %
                  (n, os.path.getsize(tsv) / 1e6))
            sys.stdout.flush()
            run([REVLAB, "init", db])
            p = ["-p", "threads=%d" % a.threads]
            for cmd in (["import", "-q", db, tsv], ["tokenize", db],
                        ["vectorize", db] + p):
                t, m, _ = run([REVLAB] + cmd)
                print("%-10s %7.1f s  peak %6.0f MB" % (cmd[0], t, m))
            peer = n <= a.peer_max
            svm = os.path.join(tmp, "svm")
            t, m, out = run([BENCH, db, "--threads", str(a.threads)] +
                            (["--svm", svm] if peer else []))
            print(out.rstrip())
            print("bench_train process: %.1f s, peak %.0f MB" % (t, m))
            rev = {k: (float(s), float(acc)) for k, s, acc in re.findall(
                r"^(\w+)\s+train\s+([0-9.]+) s\s+test accuracy ([0-9.]+)",
                out, re.M)}
            if not peer:
                continue
            model = os.path.join(tmp, "ll.model")
            for solver, mine in (("0", "logreg"), ("2", "logreg")):
                t, m, _ = run(["liblinear-train", "-s", solver, "-q",
                               svm + ".train", model])
                _, _, out = run(["liblinear-predict", svm + ".test", model,
                                 os.path.join(tmp, "ll.out")])
                acc = float(re.search(r"Accuracy = ([0-9.]+)%",
                                      out).group(1)) / 100
                print("liblinear -s %s: train %.2f s, peak %.0f MB, test "
                      "accuracy %.4f; revlab %s %.1fx the speed, "
                      "accuracy ratio %.3f" % (solver, t, m, acc, mine,
                                               t / rev[mine][0],
                                               rev[mine][1] / acc))
            ft_train = os.path.join(tmp, "ft.train")
            ft_test = os.path.join(tmp, "ft.test")
            fasttext_file(tsv, ft_train, "train")
            fasttext_file(tsv, ft_test, "test")
            t, m, _ = run(["fasttext", "supervised", "-input", ft_train,
                           "-output", os.path.join(tmp, "ft"), "-thread",
                           str(a.threads), "-verbose", "0"])
            _, _, out = run(["fasttext", "test",
                             os.path.join(tmp, "ft.bin"), ft_test])
            acc = float(re.search(r"P@1\s+([0-9.]+)", out).group(1))
            for mine in ("nb", "logreg"):
                print("fastText supervised: train %.2f s, peak %.0f MB, "
                      "test accuracy %.4f; revlab %s %.1fx the speed, "
                      "accuracy ratio %.3f" % (t, m, acc, mine,
                                               t / rev[mine][0],
                                               rev[mine][1] / acc))
            # End to end through the CLI.
            seeds = os.path.join(tmp, "seeds.tsv")
            with open(tsv, encoding="utf-8") as f, \
                    open(seeds, "w", encoding="utf-8") as out:
                f.readline()
                out.write("id\tlabel\n")
                for line in f:
                    i, label, part, _ = line.split("\t", 3)
                    if part == "train":
                        out.write("%s\t%s\n" % (i, label))
            for cmd in (["seed", db, seeds], ["graph", db] + p,
                        ["train", db] + p + ["-p", "model=logreg"]):
                t, m, _ = run([REVLAB] + cmd)
                print("revlab %-6s %7.1f s  peak %6.0f MB" % (cmd[0], t, m))
            new = os.path.join(tmp, "new.tsv")
            subprocess.run([sys.executable, os.path.join(HERE,
                           "gen_corpus.py"), str(n), new, "--seed", "2"],
                           check=True)
            with open(os.devnull, "w") as null:
                t, m, _ = run([REVLAB, "predict", db, new], stdout=null)
            cpu = CPU["last"]
            print("revlab predict: %d new reviews (%.1f MB) in %.2f s "
                  "(%.2f s of CPU) = %.0f reviews/s on one core (%.0f per "
                  "CPU second), peak %.0f MB" %
                  (n, os.path.getsize(new) / 1e6, t, cpu, n / t, n / cpu,
                   m))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
