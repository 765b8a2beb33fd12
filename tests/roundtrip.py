#!/usr/bin/env python3
"""Export round trip, checked by independent parsers: reviews with awkward
text (quotes, commas, line breaks, tabs, emoji, right-to-left script) are
imported, labelled, exported as CSV and JSONL, read back with Python's csv
and json modules, and every field must be identical; --format sqlite must
hold the same rows; filters must filter.

Then a multi-label store, its hand labels set by `revlab seed` and its
assignments of every source by SQL, as a run leaves them, exported in
every format, one row per review and --long: each review's labels must
be what Python works out from the tables (hand labels win, else the
assignments), in name order, and what the store's views say; filters by
label, source and confidence alike.

usage: roundtrip.py REVLAB"""
import csv, io, json, os, sqlite3, subprocess, sys, tempfile

AWKWARD = [
    ("q1", 'He said "cheap" twice, ""really""'),
    ("c2", "commas, commas, and more, commas"),
    ("n3", "line one\nline two\r\nline three"),
    ("t4", "tab\tseparated\tthings"),
    ("e5", "emoji \U0001F600 and flags \U0001F1EB\U0001F1F7, great"),
    ("r6", "\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627 mixed RTL"),
    ("s7", "  leading and trailing spaces  "),
    ("b8", "back\\slash and \u0007 bell and \u007f del"),
]


def run(revlab, *args):
    # Bytes, decoded by hand: text mode would turn the \r\n inside a
    # quoted field into \n and hide a real difference.
    p = subprocess.run([revlab, *args], capture_output=True)
    if p.returncode:
        sys.exit("revlab %s failed: %s" % (" ".join(args),
                                           p.stderr.decode()))
    return p.stdout.decode("utf-8")


def main():
    revlab = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "r.db")
        src = os.path.join(tmp, "in.jsonl")
        with open(src, "w", encoding="utf-8") as f:
            for i, t in AWKWARD:
                f.write(json.dumps({"id": i, "text": t}) + "\n")
        run(revlab, "init", db)
        run(revlab, "import", db, src)
        run(revlab, "label", db, "q1", "price")
        run(revlab, "label", db, "e5", "praise")
        want = dict(AWKWARD)

        out = run(revlab, "export", db, "--format", "csv", "--text")
        rows = list(csv.DictReader(io.StringIO(out, newline="")))
        assert [r["id"] for r in rows] == [i for i, _ in AWKWARD], rows
        for r in rows:
            assert r["text"] == want[r["id"]], (r["text"], want[r["id"]])
        assert rows[0]["label"] == "price" and rows[0]["source"] == "seed"
        assert rows[1]["label"] == "" and rows[1]["confidence"] == ""

        out = run(revlab, "export", db, "--format", "jsonl", "--text")
        recs = [json.loads(l) for l in out.splitlines()]
        assert len(recs) == len(AWKWARD)
        for r in recs:
            assert r["text"] == want[r["id"]], (r["text"], want[r["id"]])
        assert recs[4]["label"] == "praise" and recs[4]["confidence"] == 1
        assert recs[1]["label"] is None

        out = run(revlab, "export", db, "--format", "csv", "--label",
                  "price")
        assert len(list(csv.DictReader(io.StringIO(out)))) == 1
        out = run(revlab, "export", db, "--format", "csv", "--source",
                  "seed", "--min-confidence", "0.5")
        assert len(list(csv.DictReader(io.StringIO(out)))) == 2

        lite = os.path.join(tmp, "out.sqlite")
        run(revlab, "export", db, "--format", "sqlite", "-o", lite)
        con = sqlite3.connect(lite)
        got = dict(con.execute("SELECT id, text FROM labelled_reviews"))
        con.close()
        assert got == want, got
        p = subprocess.run([revlab, "export", db, "--format", "sqlite",
                            "-o", lite], capture_output=True, text=True)
        assert p.returncode == 1 and "exists" in p.stderr, p.stderr
        st = json.loads(run(revlab, "stats", db, "--json"))
        assert st["reviews"] == len(AWKWARD) and st["seeds"] == 2, st
        assert any(r["stage"] == "import" for r in st["last_runs"]), st
    multi_label(revlab)
    print("round trip: CSV, TSV, JSONL and SQLite exports read back "
          "identical, single- and multi-label")


# Label names a CSV reader could trip on; ids into LABELS below.
LABELS = ["ship", "price, \"value\" deal", "qualit\u00e9", "\u65e5\u672c",
          "a", "Zed"]
# Per review of AWKWARD: hand labels, then assignments (label, confidence,
# source); a run writes a 'seed' assignment for each hand label it saw.
MULTI = {
    "q1": ([0, 1], [(0, 1.0, "seed"), (1, 1.0, "seed"),
                    (3, 0.9, "model")]),       # hand labels win
    "c2": ([], [(2, 0.61234, "model"), (0, 0.55555, "rule"),
                (4, 0.33333, "propagation")]),
    "n3": ([], []),                            # abstained
    "t4": ([5], []),                           # set after the last run
    "e5": ([], [(3, 0.98765, "cluster")]),
    "r6": ([3, 2, 4], [(3, 1.0, "seed"), (2, 1.0, "seed"),
                       (4, 1.0, "seed")]),
    "s7": ([], [(1, 0.25, "rule"), (5, 0.75, "model")]),
    "b8": ([], [(0, 0.5, "propagation")]),
}


def expected(filt=None):
    """Each review's (label, confidence, source) passing filt, in name
    order, and whether the review passes; reviews in import order."""
    label, source, low = filt or (None, None, None)
    out = []
    for i, _ in AWKWARD:
        hand, assigned = MULTI[i]
        rows = ([(LABELS[l], 1.0, "seed") for l in hand] if hand else
                [(LABELS[l], c, s) for l, c, s in assigned])
        rows = sorted(r for r in rows
                      if (source is None or r[2] == source) and
                      (low is None or r[1] >= low))
        if filt and not rows:
            continue
        if label is not None and label not in [r[0] for r in rows]:
            continue
        out.append((i, rows))
    return out


def fmt(c):
    return "%.4f" % c


def tsv(t):
    return t.replace("\t", " ").replace("\n", " ").replace("\r", " ")


def read_table(out, form):
    """CSV as RFC 4180 has it; TSV as tab-separated, nothing quoted."""
    if form == "tsv":
        return list(csv.reader(io.StringIO(out, newline=""),
                               delimiter="\t", quoting=csv.QUOTE_NONE))
    return list(csv.reader(io.StringIO(out, newline="")))


def check_rows(revlab, db, args, filt, want_text):
    """The exports of db with args, in CSV, TSV and JSONL, one row per
    review and --long, against expected(filt)."""
    want = expected(filt)
    for form in ("csv", "tsv"):
        out = run(revlab, "export", db, "--format", form, "--text", *args)
        rows = read_table(out, form)
        cut = (lambda t: tsv(t)) if form == "tsv" else (lambda t: t)
        assert rows[0] == ["id", "labels", "confidences", "sources",
                           "text"], rows[0]
        got = rows[1:]
        assert len(got) == len(want), (form, args, got, want)
        for g, (i, labs) in zip(got, want):
            assert g == [i, "|".join(l for l, _, _ in labs),
                         "|".join(fmt(c) for _, c, _ in labs),
                         "|".join(s for _, _, s in labs),
                         cut(want_text[i])], (form, g, labs)
        out = run(revlab, "export", db, "--format", form, "--text",
                  "--long", *args)
        rows = read_table(out, form)
        assert rows[0] == ["id", "label", "confidence", "source", "text"]
        long_want = [[i, l, fmt(c), s, cut(want_text[i])]
                     for i, labs in want for l, c, s in labs]
        long_want += [[i, "", "", "", cut(want_text[i])]
                      for i, labs in want if not labs]
        key = [i for i, _ in AWKWARD]
        long_want.sort(key=lambda r: key.index(r[0]))
        assert rows[1:] == long_want, (form, args, rows[1:], long_want)

    out = run(revlab, "export", db, "--format", "jsonl", "--text", *args)
    recs = [json.loads(l) for l in out.splitlines()]
    assert len(recs) == len(want), (args, recs)
    for r, (i, labs) in zip(recs, want):
        assert r == {"id": i, "labels": [l for l, _, _ in labs],
                     "confidences": [float(fmt(c)) for _, c, _ in labs],
                     "sources": [s for _, _, s in labs], "meta": {},
                     "text": want_text[i]}, (r, labs)
    out = run(revlab, "export", db, "--format", "jsonl", "--long", *args)
    recs = [json.loads(l) for l in out.splitlines()]
    long_want = []
    for i, labs in want:
        long_want += [{"id": i, "label": l, "confidence": float(fmt(c)),
                       "source": s, "meta": {}} for l, c, s in labs]
        if not labs:
            long_want.append({"id": i, "label": None, "confidence": None,
                              "source": None, "meta": {}})
    assert recs == long_want, (args, recs, long_want)


def multi_label(revlab):
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "m.db")
        src = os.path.join(tmp, "in.jsonl")
        with open(src, "w", encoding="utf-8") as f:
            for i, t in AWKWARD:
                f.write(json.dumps({"id": i, "text": t}) + "\n")
        run(revlab, "init", db, "--multi-label")
        run(revlab, "import", db, src)
        # The hand labels as a person gives them; what a run would
        # assign, by SQL.
        run(revlab, "labels", db, "--add", *LABELS)
        seeds = os.path.join(tmp, "seeds.tsv")
        with open(seeds, "w", encoding="utf-8") as f:
            for i, (hand, _) in MULTI.items():
                f.writelines("%s\t%s\n" % (i, LABELS[l]) for l in hand)
        run(revlab, "seed", db, seeds)
        con = sqlite3.connect(db)
        with con:
            ids = dict(con.execute("SELECT ext_id, id FROM reviews"))
            lid = [con.execute("SELECT id FROM labels WHERE name = ?",
                               (name,)).fetchone()[0] for name in LABELS]
            for i, (hand, assigned) in MULTI.items():
                for l, c, s in assigned:
                    con.execute("INSERT INTO assignments(review_id, "
                                "label_id, confidence, margin, source, "
                                "evidence) VALUES (?, ?, ?, 0, ?, ?)",
                                (ids[i], lid[l], c, s,
                                 json.dumps({"l": LABELS[l]})))
        # The store's own views say what Python works out.
        view = {}
        for i, l, c, s in con.execute("SELECT id, label, confidence, "
                                      "source FROM review_labels"):
            view.setdefault(i, []).append((l, c, s))
        assert [(i, view.get(i, [])) for i, _ in AWKWARD] == expected(), \
            view
        want_text = dict(AWKWARD)

        check_rows(revlab, db, [], None, want_text)
        for filt in (("ship", None, None), (None, "seed", None),
                     (None, None, 0.6), ("\u65e5\u672c", "model", 0.5),
                     (None, "cluster", 0.99), ("nope", None, None)):
            args = []
            for flag, v in zip(("--label", "--source", "--min-confidence"),
                               filt):
                if v is not None:
                    args += [flag, str(v)]
            check_rows(revlab, db, args, filt, want_text)

        lite = os.path.join(tmp, "out.sqlite")
        run(revlab, "export", db, "--format", "sqlite", "-o", lite)
        out = sqlite3.connect(lite)
        for table in ("labelled_reviews", "review_labels"):
            mine = list(con.execute("SELECT * FROM " + table))
            theirs = list(out.execute("SELECT * FROM " + table +
                                      " ORDER BY rowid"))
            assert mine == theirs, (table, mine, theirs)
        one = dict((i, (l, c, s)) for i, l, c, s, *_ in
                   out.execute("SELECT * FROM labelled_reviews"))
        for i, labs in expected():
            assert one[i] == (("|".join(l for l, _, _ in labs),
                               min(c for _, c, _ in labs),
                               "|".join(s for _, _, s in labs))
                              if labs else (None, None, None)), (i, one[i])
        out.close()
        lite = os.path.join(tmp, "some.sqlite")
        run(revlab, "export", db, "--format", "sqlite", "-o", lite,
            "--source", "model")
        out = sqlite3.connect(lite)
        got = list(out.execute("SELECT id, label, confidence, source FROM "
                               "review_labels ORDER BY rowid"))
        assert got == [(i, l, c, s) for i, labs in
                       expected((None, "model", None)) for l, c, s in labs]
        got = list(out.execute("SELECT id, label FROM labelled_reviews"))
        assert got == [("c2", "qualit\u00e9"), ("s7", "Zed")], got
        out.close()

        # A label holding '|' would make the joined field ambiguous: CSV
        # and TSV of one row per review refuse, the exact forms work.
        with con:
            con.execute("UPDATE labels SET name = 'a|b' WHERE name = 'a'")
        p = subprocess.run([revlab, "export", db], capture_output=True,
                           text=True)
        assert p.returncode == 1 and "'a|b'" in p.stderr and \
            "--long" in p.stderr and not p.stdout, (p.stdout, p.stderr)
        out = run(revlab, "export", db, "--long", "--label", "a|b")
        rows = list(csv.DictReader(io.StringIO(out, newline="")))
        assert [(r["id"], r["label"]) for r in rows] == [
            ("c2", "a|b"), ("c2", "qualit\u00e9"), ("c2", "ship"),
            ("r6", "a|b"), ("r6", "qualit\u00e9"),
            ("r6", "\u65e5\u672c")], rows
        out = run(revlab, "export", db, "--format", "jsonl", "--label",
                  "a|b")
        assert [json.loads(l)["labels"] for l in out.splitlines()] == [
            ["a|b", "qualit\u00e9", "ship"],
            ["a|b", "qualit\u00e9", "\u65e5\u672c"]], out
        con.close()


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import cpulimit
    cpulimit.apply()
    main()
