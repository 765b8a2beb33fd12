#!/usr/bin/env python3
"""Export speed and memory (issue 7): streams the labelled table of a
store in each format to /dev/null and prints rows/s and the process's peak
memory, which must stay flat whatever the number of rows.

usage: export.py DB   (e.g. the 1,000,000-review store that
                       `graph.py 1000000 --keep DB` leaves, propagated)"""
import os, sqlite3, subprocess, sys, time

REVLAB = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))), "build", "revlab")


def main():
    db = sys.argv[1]
    n = sqlite3.connect(db).execute("SELECT count(*) FROM reviews").fetchone()[0]
    for fmt in ("csv", "jsonl", "tsv"):
        t0 = time.time()
        p = subprocess.Popen([REVLAB, "export", db, "--format", fmt,
                              "--text", "-o", "/dev/null"])
        _, status, ru = os.wait4(p.pid, 0)
        dt = time.time() - t0
        if os.waitstatus_to_exitcode(status):
            sys.exit("export failed")
        print("%-5s %d rows with text in %.1f s = %.0f rows/s, peak %.0f MB"
              % (fmt, n, dt, n / dt, ru.ru_maxrss / 1024.0))


if __name__ == "__main__":
    main()
