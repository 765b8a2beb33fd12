#!/usr/bin/env python3
"""An installed revlab works without its source tree: `meson install`
into a temporary DESTDIR, then the README's example run with the installed
program and library, which must find the installed lexicons (recorded in
the store's tokenizer settings), not the source tree's.

usage: install.py BUILD_DIR EXAMPLES_DIR"""
import json, os, sqlite3, subprocess, sys, tempfile


def main():
    build, examples = sys.argv[1], sys.argv[2]
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


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import cpulimit
    cpulimit.apply()
    main()
