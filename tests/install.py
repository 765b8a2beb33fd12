#!/usr/bin/env python3
"""An installed revlab works without its source tree: `meson install`
into a temporary DESTDIR, then the README's example run with the installed
program and library, which must find the installed lexicons (recorded in
the store's tokenizer settings), not the source tree's. With --python,
the installed Python package too: the interpreter PY, with PYTHONPATH the
installed site directory alone, imports revlab (and revlab.dask) from
there, labels the example through it (Store to a saved Model), and
predicts with the model file; the labels must equal the installed
command's `predict --model`.

usage: install.py BUILD_DIR EXAMPLES_DIR [--python PY]"""
import json, os, sqlite3, subprocess, sys, tempfile

# Run by PY in the DESTDIR, with the installed package alone on its path.
PY_CHECK = r"""
import csv, json, os, sqlite3, sys
import pandas as pd
import revlab, revlab.dask
dest, examples, out = sys.argv[1:]
mine = lambda p: os.path.realpath(p).startswith(os.path.realpath(dest))
assert mine(revlab.__file__), revlab.__file__
assert mine(revlab._revlab.__file__), revlab._revlab.__file__
with open("/proc/self/maps") as f:
    libs = {l.split()[-1] for l in f if "librevlab.so" in l}
assert libs and all(mine(l) for l in libs), libs
df = pd.read_csv(os.path.join(examples, "reviews.tsv"), sep="	",
                 dtype=str, keep_default_na=False, quoting=csv.QUOTE_NONE)
db = os.path.join(dest, "py.db")
with revlab.Store(db) as s:
    s.import_df(df)
    s.seed(os.path.join(examples, "seeds.tsv"))
    s.rules(os.path.join(examples, "rules.txt"))
    s.run()
    assert s.export()["label"].notna().sum() > 250
    s.model().save(os.path.join(dest, "py.rlm"))
con = sqlite3.connect(db)
(params,) = con.execute("SELECT value FROM settings WHERE key = "
                        "'tokenizer_params'").fetchone()
con.close()
assert mine(json.loads(params)["lexicon_dir"]), params
got = revlab.Model.load(os.path.join(dest, "py.rlm")).predict(df["text"])
with open(out, "w") as f:
    json.dump(list(got["label"]), f)
"""


def main():
    build, examples = sys.argv[1], sys.argv[2]
    py = sys.argv[4] if len(sys.argv) == 5 and sys.argv[3] == "--python" \
        else None
    with tempfile.TemporaryDirectory(prefix="revlab-install-") as dest:
        p = subprocess.run(["meson", "install", "-C", build, "--no-rebuild",
                            "--quiet", "--destdir", dest],
                           capture_output=True, text=True)
        assert p.returncode == 0, "meson install failed: %s%s" % (
            p.stdout[-2000:], p.stderr[-2000:])
        exe = lib = None
        for root, dirs, files in os.walk(dest):
            if "revlab" in files and root.endswith("/bin"):
                exe = os.path.join(root, "revlab")
            if any(f.startswith("librevlab.so") for f in files):
                lib = root
        assert exe and lib, "nothing installed under %s" % dest
        lexicons = [r for r, d, f in os.walk(dest)
                    if r.endswith("revlab/lexicons")]
        assert lexicons, "no lexicons installed"
        env = dict(os.environ, LD_LIBRARY_PATH=lib)
        db = os.path.join(dest, "example.db")

        def run(*args):
            p = subprocess.run([exe, *args], capture_output=True,
                               text=True, env=env, cwd=dest)
            assert p.returncode == 0, "revlab %s: %s" % (
                " ".join(args), p.stderr)
            return p.stdout

        run("init", db)
        run("import", db, os.path.join(examples, "reviews.tsv"))
        run("seed", db, os.path.join(examples, "seeds.tsv"))
        run("rules", db, os.path.join(examples, "rules.txt"))
        run("run", db, "-q")
        rows = run("export", db, "--format", "tsv").splitlines()
        assert len(rows) == 301, len(rows)
        assert sum(1 for r in rows[1:] if r.split("\t")[1]) > 250
        con = sqlite3.connect(db)
        (params,) = con.execute("SELECT value FROM settings WHERE key = "
                                "'tokenizer_params'").fetchone()
        con.close()
        used = json.loads(params)["lexicon_dir"]
        assert os.path.realpath(used).startswith(os.path.realpath(dest)), \
            "the installed revlab read lexicons from %s" % used
        print("installed revlab ran the example with its own lexicons")
        if py:
            check_python(py, dest, lib, examples, run)


def check_python(py, dest, lib, examples, run):
    """The installed package, alone on PYTHONPATH, labels the example and
    predicts as the installed command does."""
    sites = {r for r, d, f in os.walk(dest)
             if os.path.basename(r) == "revlab" and "__init__.py" in f
             and any(x.startswith("_revlab.") and x.endswith(".so")
                     for x in f)}
    assert len(sites) == 1, "installed package: %s" % (sites or "none")
    site = os.path.dirname(sites.pop())
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PYTHON") and k != "LD_PRELOAD"}
    env.update(PYTHONPATH=site, PYTHONDONTWRITEBYTECODE="1",
               LD_LIBRARY_PATH=lib)
    if os.environ.get("REVLAB_PY_PRELOAD"):     # a sanitizer build
        env.update(LD_PRELOAD=os.environ["REVLAB_PY_PRELOAD"],
                   ASAN_OPTIONS="detect_leaks=0")
    out = os.path.join(dest, "py-labels.json")
    p = subprocess.run([py, "-s", "-c", PY_CHECK, dest, examples, out],
                       capture_output=True, text=True, env=env, cwd=dest)
    assert p.returncode == 0, "the installed package failed:\n%s" % (
        p.stderr[-3000:])
    with open(out) as f:
        got = json.load(f)
    rows = run("predict", "--model", os.path.join(dest, "py.rlm"),
               os.path.join(examples, "reviews.tsv")).splitlines()
    want = [r.split("\t")[1] for r in rows[1:]]
    assert got == want, "the installed package's labels differ from " \
        "the command's in %d of %d" % (
            sum(a != b for a, b in zip(got, want)), len(want))
    print("installed package (%s) labelled the example as the "
          "installed command does" % os.path.relpath(site, dest))


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import cpulimit
    cpulimit.apply()
    main()
