#!/usr/bin/env python3
"""The peers of bench_wordlist.c in Python, on the same files: a
flashtext-like dictionary scan (each review split into words after NFKC
and case folding, then every run of 1 to K words looked up in a set of
the entries) and the standard library's `re` with the entries as one
alternation \\b(?:a|b\\W+c|...)\\b. Prints time, reviews per second, hits
and the peak resident memory.

usage: wordlist_peer.py WORDS.txt CORPUS.tsv [RE_REVIEWS]"""
import re, resource, sys, time, unicodedata

WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")


def words(s):
    s = unicodedata.normalize("NFKC", s).casefold().replace("\u2019", "'")
    return WORD.findall(s)


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    wpath, cpath = sys.argv[1], sys.argv[2]
    re_n = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
    with open(cpath, encoding="utf-8") as f:
        f.readline()
        texts = [l.rstrip("\n").split("\t", 1)[1] for l in f]
    t0 = time.perf_counter()
    entries = set()
    with open(wpath, encoding="utf-8") as f:
        for line in f:
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            w = words(line)
            if w:
                entries.add(tuple(w))
    k = max(len(e) for e in entries)
    t1 = time.perf_counter()
    print("python dict scan: %d entries loaded in %.3f s" %
          (len(entries), t1 - t0))
    t0 = time.perf_counter()
    hits = 0
    for t in texts:
        w = words(t)
        found = False
        for i in range(len(w)):
            for n in range(1, k + 1):
                if i + n > len(w):
                    break
                if tuple(w[i:i + n]) in entries:
                    found = True
                    break
            if found:
                break
        hits += found
    t1 = time.perf_counter()
    print("python dict scan: %d of %d reviews hit in %.2f s, %.0f "
          "reviews/s; peak memory %.1f MB" %
          (hits, len(texts), t1 - t0, len(texts) / (t1 - t0), peak_mb()))
    pat = r"\b(?:%s)\b" % "|".join(r"\W+".join(map(re.escape, e))
                                    for e in entries)
    t0 = time.perf_counter()
    rx = re.compile(pat, re.IGNORECASE)
    t1 = time.perf_counter()
    sample = texts[:re_n]
    hits = sum(1 for t in sample if rx.search(t))
    t2 = time.perf_counter()
    print("python re alternation: %d entries compiled in %.2f s; %d of "
          "%d reviews hit in %.2f s, %.0f reviews/s; peak memory %.1f MB"
          % (len(entries), t1 - t0, hits, len(sample), t2 - t1,
             len(sample) / (t2 - t1), peak_mb()))


if __name__ == "__main__":
    main()
