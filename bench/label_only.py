#!/usr/bin/env python3
"""Times the labelling stage alone on a store `revlab run` has labelled:
one call of rl_label_with (or rl_train) through the library, with the
store's remembered choices (neighbours, class shares) and the default
options otherwise, so that two builds of the library can be compared
on the same store. Run it under /usr/bin/time -v for the peak memory.
Each call adds a model and rewrites the labels (the same labels each
time, for a given build).

usage: label_only.py DB [--lib DIR] [--method rules|propagation|model|
                     blend|train]
DIR holds librevlab.so (default: build/ beside this script's folder);
the method defaults to blend. Prints the wall and CPU seconds of the
call and how many reviews it labelled."""
import argparse, ctypes, os, resource, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
METHODS = ["rules", "propagation", "model", "blend"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("db")
    ap.add_argument("--lib", default=os.path.join(HERE, "..", "build"))
    ap.add_argument("--method", default="blend",
                    choices=METHODS + ["train"])
    a = ap.parse_args()
    lib = ctypes.CDLL(os.path.join(a.lib, "librevlab.so"))
    lib.rl_db_errmsg.restype = ctypes.c_char_p
    db = ctypes.c_void_p()
    if lib.rl_db_open(a.db.encode(), 0, ctypes.byref(db)) != 0:
        sys.exit("cannot open %s" % a.db)
    n = ctypes.c_uint64()
    t0, c0 = time.time(), time.process_time()
    if a.method == "train":
        rc = lib.rl_train(db, None)
    else:
        rc = lib.rl_label_with(db, METHODS.index(a.method), None,
                               ctypes.byref(n))
    wall, cpu = time.time() - t0, time.process_time() - c0
    if rc != 0:
        sys.exit("%s failed: %s" % (a.method, lib.rl_db_errmsg(db).decode()))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print("%s: %d reviews labelled, %.1f s wall, %.1f s CPU, peak %.0f MB"
          % (a.method, n.value, wall, cpu, peak))
    lib.rl_db_close(db)


if __name__ == "__main__":
    main()
