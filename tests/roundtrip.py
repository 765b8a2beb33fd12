#!/usr/bin/env python3
"""Export round trip, checked by independent parsers: reviews with awkward
text (quotes, commas, line breaks, tabs, emoji, right-to-left script) are
imported, labelled, exported as CSV and JSONL, read back with Python's csv
and json modules, and every field must be identical; --format sqlite must
hold the same rows; filters must filter.

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
    print("round trip: CSV, JSONL and SQLite exports read back identical")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import cpulimit
    cpulimit.apply()
    main()
