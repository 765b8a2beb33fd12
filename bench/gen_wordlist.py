#!/usr/bin/env python3
"""Makes a word list of N entries for the word-list benchmark from a
review corpus (gen_corpus.py's TSV): 40% single words, 45% two-word and
15% three-word phrases, all met in the corpus, so the list has real
hits. Single words are drawn from below the 300 commonest (a list of
'the' and 'and' would hit every review), phrases from random places in
random reviews. One entry in five is written in upper or title case,
which the matcher folds. Entries are distinct once lower-cased.

usage: gen_wordlist.py N CORPUS.tsv OUT.txt [--seed S]"""
import argparse, collections, random, re

WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("corpus")
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    texts = []
    with open(a.corpus, encoding="utf-8") as f:
        f.readline()
        for line in f:
            texts.append(WORD.findall(line.rstrip("\n").split("\t", 1)[1]))
    freq = collections.Counter(w.lower() for t in texts for w in t)
    common = [w for w, _ in freq.most_common()]
    singles = common[300:]
    rng.shuffle(singles)
    want = {1: int(a.n * 0.40), 2: int(a.n * 0.45)}
    want[3] = a.n - want[1] - want[2]
    seen, out = set(), []

    def add(words):
        key = " ".join(w.lower() for w in words)
        if key in seen:
            return False
        seen.add(key)
        r = rng.random()
        text = " ".join(words)
        out.append(text.upper() if r < 0.1 else text.title() if r < 0.2
                   else key)
        return True

    for w in singles[:want[1]]:
        add([w])
    for k in (2, 3):
        got = 0
        while got < want[k]:
            t = texts[rng.randrange(len(texts))]
            if len(t) < k:
                continue
            i = rng.randrange(len(t) - k + 1)
            got += add(t[i:i + k])
    rng.shuffle(out)
    with open(a.out, "w", encoding="utf-8") as f:
        f.write("# %d entries from %s, seed %d\n" % (len(out), a.corpus,
                                                      a.seed))
        for e in out:
            f.write(e + "\n")


if __name__ == "__main__":
    main()
