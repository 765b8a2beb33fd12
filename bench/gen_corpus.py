#!/usr/bin/env python3
"""Makes a review corpus of N reviews for scale benchmarks by sampling real
sentences from ../shared/data (IMDB and the Blitzer multi-domain reviews),
so vocabulary, sentence length and word frequencies are realistic.

usage: gen_corpus.py N OUT.tsv [--seed S] [--data DIR]
                     [--labelled F | --multi L]
Each review is 1 to 8 sentences (mean about 3.5, like short product
reviews); the output is TSV with columns id, text. Same N and seed, same
file. With --labelled F, each review draws all its sentences from one
class, the product domain its sentences came from (books, dvd,
electronics, kitchen from Blitzer's reviews, movies from IMDB), and the
columns are id, label, part, text: part is 'test' for a fraction F of the
reviews (at random) and 'train' for the rest. dvd and movies are both
about films, so the task has a realistic confusable pair.

With --multi L, each review carries 1 to 3 of L topic labels (L at most
20; 1, 2, 3 labels in 55%, 30%, 15% of reviews; the topics drawn with
weights 1/(i + 3), so the first is about six times as common as the
twentieth) and the columns are id, labels, text, the labels joined by
'|' in the order drawn (the first is the review's main label). The
topics are the TOPICS below: a sentence belongs to a topic's pool when
its words include that topic's words and no other topic's; each review
takes one sentence from the pool of each of its labels, and each further
sentence from a topic-free sentence or from one of its labels' pools,
even odds, in shuffled order."""
import argparse, lzma, os, random, re

SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")


def sentences(data):
    """Returns all sentences in file order, and {class: [sentence]}:
    'movies' from IMDB, and each of Blitzer's product domains."""
    out = {"movies": []}
    flat = []
    with lzma.open(os.path.join(data, "imdb", "reviews.tsv.xz"), "rt",
                   encoding="utf-8") as f:
        f.readline()
        for line in f:
            p = line.rstrip("\n").split("\t", 2)
            if len(p) == 3:
                out["movies"] += SPLIT.split(p[2])
                flat += SPLIT.split(p[2])
    with open(os.path.join(data, "blitzer-mds", "reviews.tsv"),
              encoding="utf-8") as f:
        f.readline()
        for line in f:
            p = line.rstrip("\n").split("\t", 2)
            if len(p) == 3:
                out.setdefault(p[1], []).extend(SPLIT.split(p[2]))
                flat += SPLIT.split(p[2])
    keep = lambda v: [s.strip() for s in v if 3 <= len(s.split()) <= 60]
    return keep(flat), {c: keep(v) for c, v in sorted(out.items())}


# Topic labels of --multi: name, then words whose presence puts a sentence
# in the topic's pool; the first words are the obvious ones, those a user
# writing a keyword rule for the topic would think of first.
TOPICS = [
    ("price", "price cost expensive cheap money prices priced costs cheaper "
     "dollars bucks value worth affordable overpriced"),
    ("shipping", "shipping delivery arrived package shipped ship delivered "
     "arrive packaging box"),
    ("battery", "battery batteries charge charger charging charged recharge "
     "rechargeable"),
    ("sound", "sound audio speakers volume sounds speaker bass headphones "
     "stereo"),
    ("screen", "screen display resolution widescreen screens monitor lcd"),
    ("service", "service warranty refund returned return returning "
     "replacement support"),
    ("durability", "broke broken durable flimsy break lasted sturdy "
     "cracked apart"),
    ("size", "size small large fits smaller larger big bigger fit inches "
     "compact"),
    ("cooking", "cook cooking kitchen oven cooked pan pans recipe recipes "
     "food"),
    ("cleaning", "clean cleaning dishwasher wash cleaned washing dirty"),
    ("coffee", "coffee tea espresso brew cup cups"),
    ("plot", "plot story storyline ending plots twist twists"),
    ("acting", "acting actor actors actress performance actresses "
     "performances cast"),
    ("music", "music soundtrack song songs singing musical score"),
    ("directing", "director directed directing cinematography directors "
     "camera shot shots"),
    ("characters", "character characters villain hero protagonist heroine"),
    ("writing", "writing author writer written authors writers prose "
     "chapter chapters"),
    ("family", "kids children family child son daughter parents"),
    ("humor", "funny comedy humor hilarious humour laugh laughs laughed "
     "laughing jokes"),
    ("horror", "horror scary gore creepy scream blood zombie zombies"),
]

WORD = re.compile(r"[a-z]+")


def topic_pools(flat, n_topics):
    """Returns (pools, neutral): pools[t] the sentences of flat whose
    words include topic t's and no other topic's, in file order; neutral
    the sentences with no topic's word."""
    of = {}
    for t, (_, words) in enumerate(TOPICS):
        for w in words.split():
            of[w] = t
    pools = [[] for _ in range(len(TOPICS))]
    neutral = []
    for s in flat:
        ts = {of[w] for w in WORD.findall(s.lower()) if w in of}
        if not ts:
            neutral.append(s)
        elif len(ts) == 1:
            pools[ts.pop()].append(s)
    return pools[:n_topics], neutral


def write_multi(f, n, flat, n_topics, rng, weights):
    """Writes n reviews of 1 to 3 of the first n_topics topic labels."""
    pools, neutral = topic_pools(flat, n_topics)
    names = [t[0] for t in TOPICS[:n_topics]]
    tw = [1.0 / (i + 3) for i in range(n_topics)]
    f.write("id\tlabels\ttext\n")
    for i in range(n):
        k = min(rng.choices((1, 2, 3), (55, 30, 15))[0], n_topics)
        labels = []
        while len(labels) < k:
            t = rng.choices(range(n_topics), tw)[0]
            if t not in labels:
                labels.append(t)
        sents = [rng.choice(pools[t]) for t in labels]
        for _ in range(rng.choices(range(1, 9), weights)[0] - k):
            sents.append(rng.choice(neutral) if rng.random() < 0.5 else
                         rng.choice(pools[rng.choice(labels)]))
        rng.shuffle(sents)
        f.write("g%d\t%s\t%s\n" % (i, "|".join(names[t] for t in labels),
                                     " ".join(sents)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=1)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--data", default=os.path.join(here, "..", "..",
                                                     "shared", "data"))
    ap.add_argument("--labelled", type=float, metavar="F")
    ap.add_argument("--multi", type=int, metavar="L")
    a = ap.parse_args()
    if a.multi is not None and not 1 <= a.multi <= len(TOPICS):
        ap.error("--multi takes 1 to %d labels" % len(TOPICS))
    if a.multi is not None and a.labelled is not None:
        ap.error("--multi and --labelled make different corpora")
    pool, pools = sentences(a.data)
    rng = random.Random(a.seed)
    weights = [30, 22, 16, 11, 8, 6, 4, 3]
    with open(a.out, "w", encoding="utf-8") as f:
        if a.multi is not None:
            write_multi(f, a.n, pool, a.multi, rng, weights)
            return
        if a.labelled is None:
            f.write("id\ttext\n")
            for i in range(a.n):
                k = rng.choices(range(1, 9), weights)[0]
                f.write("g%d\t%s\n" % (i, " ".join(rng.choice(pool)
                                                 for _ in range(k))))
            return
        classes = sorted(pools)
        f.write("id\tlabel\tpart\ttext\n")
        for i in range(a.n):
            c = rng.choice(classes)
            part = "test" if rng.random() < a.labelled else "train"
            k = rng.choices(range(1, 9), weights)[0]
            f.write("g%d\t%s\t%s\t%s\n" % (i, c, part, " ".join(
                rng.choice(pools[c]) for _ in range(k))))


if __name__ == "__main__":
    main()
