#!/usr/bin/env python3
"""The report in a browser: `revlab report` on the example corpus, a
headless Chromium screenshot of it, and the picture must not be blank:
enough pixels that are not the page's background, enough distinct
colours, and the colour the charts give propagation must be there, so the
inline SVG was drawn. The PNG is decoded here with zlib alone. Exits 77
(meson's skip) when no chromium is installed.

usage: report_shot.py REVLAB EXAMPLES_DIR [SAVE_PNG]"""
import os, shutil, struct, subprocess, sys, tempfile, zlib
from collections import Counter


def decode_png(data):
    """(width, height, rows of RGB(A) bytes, bytes per pixel) of an 8-bit,
    non-interlaced RGB or RGBA PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, []
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, inter = struct.unpack(">IIBBBBB",
                                                            body)
            assert depth == 8 and ctype in (2, 6) and inter == 0, body
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    raw = zlib.decompress(b"".join(idat))
    stride, rows, prev, i = w * bpp, [], bytearray(w * bpp), 0
    for _ in range(h):
        f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        if f == 1:
            for x in range(bpp, stride):
                line[x] = (line[x] + line[x - bpp]) & 255
        elif f == 2:
            for x in range(stride):
                line[x] = (line[x] + prev[x]) & 255
        elif f == 3:
            for x in range(stride):
                a = line[x - bpp] if x >= bpp else 0
                line[x] = (line[x] + (a + prev[x]) // 2) & 255
        elif f == 4:
            for x in range(stride):
                a = line[x - bpp] if x >= bpp else 0
                b, c = prev[x], prev[x - bpp] if x >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else
                                      b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, rows, bpp


def run(revlab, *args):
    p = subprocess.run([revlab, *args], capture_output=True)
    if p.returncode:
        sys.exit("revlab %s failed: %s" % (" ".join(args),
                                           p.stderr.decode()))


def main():
    revlab, ex = sys.argv[1], sys.argv[2]
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if not browser:
        print("chromium is not installed: skipped")
        sys.exit(77)
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "ex.db")
        page = os.path.join(tmp, "report.html")
        shot = os.path.join(tmp, "shot.png")
        run(revlab, "init", db)
        run(revlab, "import", db, os.path.join(ex, "reviews.tsv"))
        run(revlab, "seed", db, os.path.join(ex, "seeds.tsv"))
        run(revlab, "rules", db, os.path.join(ex, "rules.txt"))
        run(revlab, "run", db, "-q")
        run(revlab, "eval", db, "--curve")
        run(revlab, "report", db, "-o", page, "-q")
        p = subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu",
             "--hide-scrollbars", "--window-size=1280,2400",
             "--user-data-dir=" + os.path.join(tmp, "profile"),
             "--screenshot=" + shot, "file://" + page],
            capture_output=True, timeout=1800,
            env=dict(os.environ, HOME=tmp))
        assert os.path.exists(shot), "no screenshot: %s" % p.stderr[-800:]
        with open(shot, "rb") as f:
            data = f.read()
        if len(sys.argv) > 3:
            shutil.copy(shot, sys.argv[3])
    w, h, rows, bpp = decode_png(data)
    assert (w, h) == (1280, 2400), (w, h)
    colours = Counter()
    for r in rows[::2]:
        for x in range(0, w * bpp, 2 * bpp):
            colours[r[x:x + 3]] += 1
    total = sum(colours.values())
    background, n_bg = colours.most_common(1)[0]
    ink = total - n_bg
    # Propagation's blue (#0072b2) fills its bars and curve.
    blue = sum(n for c, n in colours.items()
               if abs(c[0] - 0) < 12 and abs(c[1] - 114) < 12 and
               abs(c[2] - 178) < 12)
    print("%dx%d: background #%s, %.1f%% other pixels, %d colours, %d "
          "blue" % (w, h, background.hex(), 100.0 * ink / total,
                     len(colours), blue))
    assert ink > 0.15 * total, "blank page? %.1f%% ink" % (100.0 * ink /
                                                          total)
    assert len(colours) > 100, "only %d colours" % len(colours)
    assert blue > 200, "no chart colour: SVG not drawn?"


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import cpulimit
    cpulimit.apply()
    main()
