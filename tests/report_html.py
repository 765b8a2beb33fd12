#!/usr/bin/env python3
"""The HTML report read by independent parsers: the example corpus plus
reviews with hostile text (markup, entities, quotes, emoji, right-to-left
script) is labelled and evaluated, `revlab report` writes the page, and
Python's html.parser must find it well nested, every <svg> must be
well-formed XML (xml.etree), nothing may be fetched or run (no http:, no
<script>, no src= or url()), and each hostile text must come back intact
as the text of its table cell.

usage: report_html.py REVLAB EXAMPLES_DIR"""
import html.parser, json, os, re, subprocess, sys, tempfile
import xml.etree.ElementTree as ET

HOSTILE = [
    ("h1", "<script>alert('x')</script> terrible & awful"),
    ("h2", 'He said "great" & <b>meant</b> it, great'),
    ("h3", "great \U0001F600 emoji \U0001F1EB\U0001F1F7 great"),
    ("h4", "\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627 bad, "
           "mixed RTL"),
    ("h5", "</td></tr></table><img src=x onerror=alert(1)> bad"),
]

VOID = {"meta", "br", "img", "hr", "input", "link"}


class Checker(html.parser.HTMLParser):
    """Checks nesting and collects the text of every table cell."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.cells, self.cell = [], [], None
        self.tags = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            assert name not in ("src", "href"), (tag, name)
        if tag in VOID:
            return
        self.stack.append(tag)
        if tag == "td":
            self.cell = []

    def handle_startendtag(self, tag, attrs):
        self.tags.add(tag)
        for name, _ in attrs:
            assert not name.startswith("on"), (tag, name)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, (
            "</%s> closes <%s> at line %d" %
            (tag, self.stack[-1] if self.stack else "nothing",
             self.getpos()[0]))
        self.stack.pop()
        if tag == "td":
            self.cells.append("".join(self.cell))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def run(revlab, *args):
    p = subprocess.run([revlab, *args], capture_output=True)
    if p.returncode:
        sys.exit("revlab %s failed: %s" % (" ".join(args),
                                           p.stderr.decode()))
    return p.stdout.decode("utf-8")


def check(page, hostile=()):
    assert page.startswith("<!DOCTYPE html>"), page[:40]
    low = page.lower()
    for bad in ("<script", "http:", "https:", "url(", "@import",
                "<iframe", "<object", "<embed", "<link", "javascript:"):
        assert bad not in low, bad
    c = Checker()
    c.feed(page)
    c.close()
    assert not c.stack, "unclosed: %s" % c.stack
    assert "script" not in c.tags and "img" not in c.tags, c.tags
    svgs = re.findall(r"<svg\b.*?</svg>", page, re.S)
    assert len(svgs) == page.count("<svg"), "an <svg> without </svg>"
    for s in svgs:
        root = ET.fromstring(s)
        assert root.tag == "svg", root.tag
        for el in root.iter():
            for name, value in el.attrib.items():
                assert "href" not in name, (el.tag, name)
                assert "url(" not in value, (el.tag, value)
    for _, text in hostile:
        assert text in c.cells, "not intact: %r" % text
    return len(svgs)


def main():
    revlab, ex = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "r.db")
        out = os.path.join(tmp, "report.html")
        # An empty store first: a valid page, with notes, no charts.
        run(revlab, "init", db)
        run(revlab, "report", db, "-o", out, "-q")
        with open(out, encoding="utf-8") as f:
            page = f.read()
        assert check(page) == 0
        assert "No labels yet" in page and "No evaluation stored" in page

        src = os.path.join(tmp, "hostile.jsonl")
        with open(src, "w", encoding="utf-8") as f:
            for i, t in HOSTILE:
                f.write(json.dumps({"id": i, "text": t}) + "\n")
        run(revlab, "import", db, os.path.join(ex, "reviews.tsv"))
        run(revlab, "import", db, src)
        run(revlab, "seed", db, os.path.join(ex, "seeds.tsv"))
        run(revlab, "rules", db, os.path.join(ex, "rules.txt"))
        run(revlab, "run", db, "-q")
        run(revlab, "eval", db, "--curve")
        run(revlab, "report", db, "-o", out, "--samples", "1000", "-q")
        with open(out, encoding="utf-8") as f:
            page = f.read()
        labelled = [(i, t) for i, t in HOSTILE]
        assert check(page, labelled) == 7
        # stdout gives the same page but for the time it was made.
        same = run(revlab, "report", db, "-o", "-", "--samples", "1000")
        strip = lambda s: re.sub(r"Made [^<]*? by", "", s)
        assert strip(same) == strip(page)
    print("report: html.parser and xml.etree accept it; 7 charts; "
          "hostile text intact")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import cpulimit
    cpulimit.apply()
    main()
