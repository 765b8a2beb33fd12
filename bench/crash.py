#!/usr/bin/env python3
"""Crash safety (issue 19): kill -9 `revlab run`, `revlab import` and
`revlab train` at random points of every stage, check the store after each
kill, run the same command again and check that it ends where a run
without the kill ends.

usage: crash.py [--reviews N] [--kills K] [--seed S] [--data DIR]
                [--keep DIR]

The corpus: N reviews (default 2000) that gen_corpus.py --labelled makes
from real sentences of five classes (books, dvd, electronics, kitchen,
movies), imported without their class; 20 hand labels per class (--seeds)
drawn from the classes; six keyword rules, one of them negated. So every
stage of `revlab run` has work: tokenize, vectorize, graph, rules,
propagate, cross-validation (propagation's settings, then the classifier)
and label (training the chosen classifier, writing labels, scores, the
model and its predictions). Killed as well: `revlab train` (the train
stage alone, on the labelled store), `revlab import` into a new store,
and `revlab import --replace` of N/10 new reviews and N/20 changed ones
into the labelled store.

First each command runs without a kill on a copy of its starting store:
that times the stages (by the line `run` prints as each stage ends; import
and train whole, three times) and gives the reference store. Then K kill
points (target, fraction), drawn from the seed, spread evenly over the ten
targets: for each, the command starts on a fresh copy of its starting
store, the script waits until the target stage begins (the line of the
stage before it, or the start of the process) and sends SIGKILL after
that fraction of the stage's shortest time seen so far. Where the kill
landed is read from the store: the stages whose runs committed (rows of
`runs` newer than the start) came before it; and from the files the
process had open (before the store is open: startup). The row of a run
is written in its stage's transaction, so a kill leaves no 'running' row.

After each kill, before anything else opens the store: `revlab stats` and
`revlab export` open it (read-only, with the WAL the killed process left)
and see what SQLite sees (reviews, tokenized reviews, newest run); PRAGMA
integrity_check and foreign_key_check; every table and setting as in one
of the states a clean run passes through (before the command, after it,
and for run after propagate: all or nothing per stage); and invariants:
every review has its text, tokens/vectors/neighbours/hits only for
existing, tokenized, vectorized reviews, no scores, assignments or models
without a finished run that writes them, no more assignments than their
run counted, no 'running' run but of the killed stage. Then the same
command again, exit 0, and its store against the reference: `revlab
export` (CSV with texts and JSONL) byte-identical, `revlab stats` counts
equal, every table's content equal (the newest model, its predictions and
the newest evaluation; run ids left out), and after `run` one more run is
up to date.

Exit status 0 when every check passed, 1 otherwise; every failure is
listed at the end. Needs ../shared/data (--data) and a built revlab
(REVLAB names another). With the defaults it takes one to two minutes;
the full measurement (docs/measurements.md) is
`crash.py --reviews 20000 --kills 30`, 13 to 27 minutes on the 2-core
VM."""
import argparse, hashlib, json, os, random, re, shutil, signal, sqlite3
import subprocess, sys, tempfile, threading, time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
REVLAB = os.environ.get("REVLAB", os.path.join(TOP, "build", "revlab"))

# The stages of `revlab run` in order: the stdout line that ends each
# (its step line; cross-validation ends with the classifier's lines) and
# the row of `runs` its commit writes (cross-validation's is the
# evaluation it rests on, saved as labelling starts).
RUN_STAGES = [("tokenize", "tokenize:", "tokenize"),
              ("vectorize", "vectorize:", "vectorize"),
              ("graph", "graph:", "graph"),
              ("rules", "rules:", "rules"),
              ("propagate", "propagate:", "propagate"),
              ("cross-validation", "classify:", "eval"),
              ("label", "label:", "label")]
# Kill targets: (name, scenario, stage of run or None for the whole
# command).
TARGETS = [("import", "import", None), ("import --replace", "replace", None),
           ] + [(s, "run", s) for s, _, _ in RUN_STAGES] + [
           ("train", "train", None)]
RULES = """\
# keyword rules for the five classes of gen_corpus.py --labelled
books\t\\b(book|novel|author|chapters?)\\b
dvd\t\\b(dvd|blu-?ray|widescreen|extras)\\b
electronics\t\\b(batter(y|ies)|headphones?|usb|cable|remote)\\b
kitchen\t\\b(pans?|kitchen|coffee|toaster|blender|knife|knives)\\b
movies\t\\b(film|movie|actors?|director)\\b
!kitchen\t\\bmovie\\b\t0.5
"""
# Each table's content, in an order that does not depend on how it was
# written; ids of runs and times left out. Of models, predictions and
# evaluations the newest, as a rerun may add one to the history.
TABLES = {
    "reviews": "SELECT id, ext_id, text, meta, source, source_line "
               "FROM reviews ORDER BY id",
    "terms": "SELECT id, term FROM terms ORDER BY id",
    "review_tokens": "SELECT * FROM review_tokens ORDER BY review_id",
    "features": "SELECT * FROM features ORDER BY id",
    "projection": "SELECT * FROM projection",
    "vectors": "SELECT * FROM vectors ORDER BY review_id, kind",
    "labels": "SELECT id, name FROM labels ORDER BY id",
    "seeds": "SELECT review_id, label_id, origin FROM seeds "
             "ORDER BY review_id, label_id",
    "rules": "SELECT id, line, label_id, negate, pattern, weight, source "
             "FROM rules ORDER BY id",
    "rule_hits": "SELECT * FROM rule_hits ORDER BY rule_id, review_id",
    "rule_scans": "SELECT * FROM rule_scans ORDER BY review_id",
    "neighbours": "SELECT * FROM neighbours ORDER BY review_id, rank",
    "label_scores": "SELECT * FROM label_scores "
                    "ORDER BY review_id, label_id",
    "assignments": "SELECT review_id, label_id, confidence, margin, source, "
                   "evidence FROM assignments ORDER BY review_id, label_id",
    "newest model": "SELECT kind, params, labels, features, weights, "
                    "metrics FROM models ORDER BY id DESC LIMIT 1",
    "its predictions": "SELECT review_id, label_id, confidence "
                       "FROM predictions WHERE model_id = "
                       "(SELECT max(id) FROM models) ORDER BY review_id",
    "newest eval": "SELECT result FROM evals ORDER BY id DESC LIMIT 1",
    "clusters": "SELECT id, size, terms FROM clusters ORDER BY id",
    "cluster_members": "SELECT * FROM cluster_members ORDER BY review_id",
}
# What must hold in any store, killed or not: (what, query counting the
# rows that break it).
INVARIANTS = [
    ("reviews without text",
     "SELECT count(*) FROM reviews WHERE text IS NULL OR text = '' "
     "OR NOT json_valid(meta)"),
    ("tokens of missing reviews",
     "SELECT count(*) FROM review_tokens WHERE review_id NOT IN "
     "(SELECT id FROM reviews)"),
    ("vectors of reviews without tokens",
     "SELECT count(*) FROM vectors WHERE review_id NOT IN "
     "(SELECT review_id FROM review_tokens)"),
    ("neighbours of reviews without vectors",
     "SELECT count(*) FROM neighbours WHERE review_id NOT IN "
     "(SELECT review_id FROM vectors) OR neighbour_id NOT IN "
     "(SELECT review_id FROM vectors)"),
    ("rule hits of missing reviews or rules",
     "SELECT count(*) FROM rule_hits WHERE review_id NOT IN "
     "(SELECT id FROM reviews) OR rule_id NOT IN (SELECT id FROM rules)"),
    ("label scores without a finished propagate or label run",
     "SELECT count(*) FROM label_scores WHERE NOT EXISTS (SELECT 1 FROM "
     "runs WHERE stage IN ('propagate', 'label') AND status = 'ok')"),
    ("assignments without a finished propagate or label run",
     "SELECT count(*) FROM assignments WHERE run_id IS NULL OR run_id NOT "
     "IN (SELECT id FROM runs WHERE stage IN ('propagate', 'label') "
     "AND status = 'ok')"),
    ("assignments of reviews that are gone",
     "SELECT count(*) FROM assignments WHERE review_id NOT IN "
     "(SELECT id FROM reviews)"),
    ("propagate or label runs with more assignments than they counted",
     "SELECT count(*) FROM runs r WHERE stage IN ('propagate', 'label') "
     "AND status = 'ok' AND (SELECT count(*) FROM assignments a "
     "WHERE a.run_id = r.id) > json_extract(r.counts, '$.labelled')"),
    ("models without a finished label or train run",
     "SELECT count(*) FROM models WHERE run_id IS NULL OR run_id NOT IN "
     "(SELECT id FROM runs WHERE stage IN ('label', 'train') "
     "AND status = 'ok')"),
    ("predictions of missing models or reviews",
     "SELECT count(*) FROM predictions WHERE model_id NOT IN "
     "(SELECT id FROM models) OR review_id NOT IN (SELECT id FROM reviews)"),
    ("evaluations without a finished run",
     "SELECT count(*) FROM evals WHERE run_id IS NOT NULL AND run_id NOT "
     "IN (SELECT id FROM runs WHERE status = 'ok')"),
]


class Failures(list):
    def add(self, where, what):
        self.append("%s: %s" % (where, what))
        print("    FAIL %s" % what, flush=True)


def revlab(*args, check=True):
    """Runs revlab; returns (exit code, stdout bytes, stderr text)."""
    p = subprocess.run([REVLAB] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    if check and p.returncode != 0:
        sys.exit("failed: revlab %s\n%s" % (" ".join(args),
                                            p.stderr.decode()))
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


def copy_store(src, dst):
    """Copies a store that no process has open, its WAL too."""
    for suf in ("-wal", "-shm", ""):
        if os.path.exists(dst + suf):
            os.unlink(dst + suf)
    shutil.copyfile(src, dst)
    if os.path.exists(src + "-wal") and os.path.getsize(src + "-wal"):
        shutil.copyfile(src + "-wal", dst + "-wal")


def connect_ro(db):
    return sqlite3.connect("file:%s?mode=ro" % urllib.parse.quote(db),
                           uri=True)


# A vectorizer fit is named by the id of the run that made it (in the
# settings and a model's parameters): after a kill the rerun's has
# another id.
RUN_ID = re.compile(r"run=\d+")


def digests(db):
    """{table: sha256 of its content}, and the settings as a dict, run
    ids left out; the digest of what labelling used, which covers them,
    is left out too (that it works is checked by a run being up to
    date)."""
    c = connect_ro(db)
    out = {}
    for name, sql in TABLES.items():
        h = hashlib.sha256()
        for row in c.execute(sql):
            h.update(RUN_ID.sub("run=#", repr(row)).encode())
        out[name] = h.hexdigest()[:16]
    settings = {k: RUN_ID.sub("run=#", v) for k, v in
                c.execute("SELECT key, value FROM settings")
                if k != "labelled_inputs"}
    c.close()
    return out, settings


def stats_counts(db):
    """`revlab stats --json` without the list of last runs."""
    _, out, _ = revlab("stats", db, "--json")
    s = json.loads(out)
    s.pop("last_runs", None)
    return s


def exports(db):
    return (revlab("export", db, "--text")[1],
            revlab("export", db, "--format", "jsonl")[1])


class Proc:
    """A revlab command whose stdout lines are read, with their times
    since the start, as they come."""

    def __init__(self, args, errpath):
        self.err = open(errpath, "w")
        self.t0 = time.monotonic()
        self.p = subprocess.Popen([REVLAB] + args, stdout=subprocess.PIPE,
                                  stderr=self.err, text=True)
        self.lines = []
        self.eof = False
        self.cv = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.p.stdout:
            with self.cv:
                self.lines.append((time.monotonic() - self.t0, line))
                self.cv.notify_all()
        with self.cv:
            self.eof = True
            self.cv.notify_all()

    def line_time(self, prefix):
        for t, l in self.lines:
            if l.startswith(prefix):
                return t
        return None

    def wait_line(self, prefix, timeout=3600):
        """The time of the first line starting with prefix, waiting for
        it; None if the output ended without one."""
        with self.cv:
            self.cv.wait_for(lambda: self.eof or
                             self.line_time(prefix) is not None, timeout)
            return self.line_time(prefix)

    def kill_at(self, t):
        """SIGKILL at t seconds after the start; returns whether the
        process was still running then. self.open_files gets the files
        it had open just before."""
        d = self.t0 + t - time.monotonic()
        if d > 0:
            time.sleep(d)
        alive = self.p.poll() is None
        self.open_files = set()
        if alive:
            fd = "/proc/%d/fd" % self.p.pid
            try:
                for f in os.listdir(fd):
                    self.open_files.add(os.readlink(os.path.join(fd, f)))
            except OSError:
                pass
            os.kill(self.p.pid, signal.SIGKILL)
        self.finish()
        return alive

    def finish(self):
        rc = self.p.wait()
        self.reader.join()
        self.err.close()
        self.wall = time.monotonic() - self.t0
        return rc


def stage_times(pr, times):
    """Adds the time of each stage of `run` whose line pr printed to
    times; returns how many did."""
    prev, n = 0.0, 0
    for s, line, _ in RUN_STAGES:
        t = pr.line_time(line)
        if t is None:
            break
        times.setdefault(s, []).append(t - prev)
        prev = t
        n += 1
    return n


def make_corpus(a, tmp):
    """Writes reviews.tsv, seeds.tsv, rules.txt and extra.tsv into tmp."""
    gen = os.path.join(HERE, "gen_corpus.py")
    lab = os.path.join(tmp, "labelled.tsv")
    n_new, n_changed = max(1, a.reviews // 10), max(1, a.reviews // 20)
    more = os.path.join(tmp, "more.tsv")
    for n, out, seed in ((a.reviews, lab, 1), (n_new + n_changed, more, 2)):
        subprocess.run([sys.executable, gen, str(n), out, "--labelled", "0",
                        "--seed", str(seed), "--data", a.data], check=True)
    rows = [l.rstrip("\n").split("\t", 3) for l in open(lab)][1:]
    with open(os.path.join(tmp, "reviews.tsv"), "w") as f:
        f.write("id\ttext\n")
        for r in rows:
            f.write("%s\t%s\n" % (r[0], r[3]))
    rng = random.Random(1)
    by = {}
    for r in rows:
        by.setdefault(r[1], []).append(r[0])
    with open(os.path.join(tmp, "seeds.tsv"), "w") as f:
        for c in sorted(by):
            for i in rng.sample(by[c], min(a.seeds, len(by[c]))):
                f.write("%s\t%s\n" % (i, c))
    with open(os.path.join(tmp, "rules.txt"), "w") as f:
        f.write(RULES)
    extra = [l.rstrip("\n").split("\t", 3) for l in open(more)][1:]
    changed = rng.sample([r[0] for r in rows], n_changed)
    with open(os.path.join(tmp, "extra.tsv"), "w") as f:
        f.write("id\ttext\n")
        for i, r in enumerate(extra):
            f.write("%s\t%s\n" % ("x%d" % i if i < n_new
                                  else changed[i - n_new], r[3]))
    return len(by), n_new, n_changed


def command(scenario, db, tmp):
    if scenario == "run":
        return ["run", db]
    if scenario == "train":
        return ["train", db]
    if scenario == "import":
        return ["import", "-q", db, os.path.join(tmp, "reviews.tsv")]
    return ["import", "-q", "--replace", db, os.path.join(tmp, "extra.tsv")]


def max_run(db):
    c = connect_ro(db)
    r = c.execute("SELECT coalesce(max(id), 0) FROM runs").fetchone()[0]
    c.close()
    return r


def committed(db, after):
    """The stages whose runs committed after run id `after`, in order."""
    c = connect_ro(db)
    r = [s for s, in c.execute("SELECT stage FROM runs WHERE id > ? AND "
                               "status = 'ok' ORDER BY id", (after,))]
    c.close()
    return r


def check_store(db, where, fails, states=None, killed=None):
    """The checks after a kill (or on a clean store, with states None):
    the store opens and reads, integrity, invariants, and every table and
    setting as in one of the states (digests) a clean run passes
    through: before the command, after it, and for run after propagate
    (the stages before it each write tables of their own)."""
    rc, out, err = revlab("stats", db, "--json", check=False)
    if rc != 0:
        fails.add(where, "revlab stats cannot open the store: %s" %
                  err.strip())
        return
    st = json.loads(out)
    seen = (st["reviews"], st["tokenized"],
            max([r["id"] for r in st["last_runs"]] or [0]))
    rc, _, err = revlab("export", db, "--text", check=False)
    if rc != 0:
        fails.add(where, "revlab export fails: %s" % err.strip())
    c = connect_ro(db)
    ic = c.execute("PRAGMA integrity_check").fetchall()
    if ic != [("ok",)]:
        fails.add(where, "integrity_check: %s" % ic[:5])
    fk = c.execute("PRAGMA foreign_key_check").fetchall()
    if fk:
        fails.add(where, "foreign_key_check: %d rows, %s" % (len(fk),
                                                             fk[:3]))
    # What the killed process committed is still in the WAL: revlab,
    # opening read-only, must see it as SQLite does.
    sql = c.execute("SELECT (SELECT count(*) FROM reviews), (SELECT "
                    "count(*) FROM review_tokens), (SELECT coalesce(max(id), "
                    "0) FROM runs WHERE status = 'ok')").fetchone()
    if seen != sql:
        fails.add(where, "revlab stats sees reviews, tokenized, last run "
                  "%s, SQLite %s" % (seen, sql))
    for what, sql in INVARIANTS:
        bad = c.execute(sql).fetchone()[0]
        if bad:
            fails.add(where, "%s: %d" % (what, bad))
    running = [s for s, in c.execute("SELECT stage FROM runs WHERE "
                                     "status <> 'ok'")]
    c.close()
    if [s for s in running if s != killed]:
        fails.add(where, "runs not 'ok' of other stages than the killed "
                  "one: %s" % running)
    if states is None:
        return running
    got, settings = digests(db)
    for t in got:
        if got[t] not in [s[0][t] for s in states]:
            fails.add(where, "table %s is in none of the states of a "
                      "clean run" % t)
    for k in set(settings).union(*[s[1] for s in states]):
        if settings.get(k) not in [s[1].get(k) for s in states]:
            fails.add(where, "setting %s is %r, in none of the states of "
                      "a clean run" % (k, settings.get(k)))
    return running


def compare(db, ref, where, fails):
    """The store after the rerun against the clean one."""
    csv, jsonl = exports(db)
    if csv != ref["csv"]:
        fails.add(where, "export --text differs from the clean run's")
    if jsonl != ref["jsonl"]:
        fails.add(where, "export --format jsonl differs from the clean "
                  "run's")
    st = stats_counts(db)
    if st != ref["stats"]:
        fails.add(where, "stats differ: %s against %s" % (st, ref["stats"]))
    got = digests(db)
    for t in got[0]:
        if got[0][t] != ref["digests"][0][t]:
            fails.add(where, "table %s differs from the clean run's" % t)
    if got[1] != ref["digests"][1]:
        fails.add(where, "settings differ: %s" % sorted(
            k for k in set(got[1]) | set(ref["digests"][1])
            if got[1].get(k) != ref["digests"][1].get(k)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reviews", type=int, default=2000)
    ap.add_argument("--kills", type=int, default=len(TARGETS),
                    help="kill points, spread evenly over the %d targets "
                    "(default: one each)" % len(TARGETS))
    ap.add_argument("--seed", type=int,
                    help="seed of the kill points (default: a new one, "
                    "printed)")
    ap.add_argument("--seeds", type=int, default=20,
                    help="hand labels per class")
    ap.add_argument("--data", default=os.path.join(TOP, "..", "shared",
                                                    "data"))
    ap.add_argument("--keep", help="keep the work folder here, with the "
                    "store each failed kill left (failed-K.db)")
    a = ap.parse_args()
    if a.seed is None:
        a.seed = random.SystemRandom().randrange(1, 1 << 31)
    print("seed %d (again: %s --reviews %d --kills %d --seed %d)" %
          (a.seed, sys.argv[0], a.reviews, a.kills, a.seed), flush=True)
    if not os.path.isdir(a.data):
        sys.exit("no data folder %s: give --data" % a.data)
    if not os.access(REVLAB, os.X_OK):
        sys.exit("no %s: build revlab first (or set REVLAB)" % REVLAB)
    tmp = tempfile.mkdtemp(prefix="crash-") if not a.keep else a.keep
    os.makedirs(tmp, exist_ok=True)
    fails = Failures()
    try:
        run_all(a, tmp, fails)
    finally:
        if not a.keep and not fails:
            shutil.rmtree(tmp)
        elif fails:
            print("work folder kept: %s" % tmp)
    sys.exit(1 if fails else 0)


def run_all(a, tmp, fails):
    n_labels, n_new, n_changed = make_corpus(a, tmp)
    print("corpus: %d reviews, %d classes x %d hand labels, %d rules; "
          "import --replace: %d new, %d changed" %
          (a.reviews, n_labels, a.seeds, RULES.count("\n") - 1, n_new,
           n_changed), flush=True)
    # The starting stores: empty; imported with hand labels and rules;
    # labelled.
    p = lambda name: os.path.join(tmp, name)
    revlab("init", p("empty.db"))
    copy_store(p("empty.db"), p("loaded.db"))
    revlab("import", "-q", p("loaded.db"), p("reviews.tsv"))
    revlab("seed", p("loaded.db"), p("seeds.tsv"))
    revlab("rules", p("loaded.db"), p("rules.txt"))
    start = {"import": p("empty.db"), "run": p("loaded.db")}

    # The clean runs: references and stage times. A stage's time is the
    # shortest seen: on a shared machine the same work takes up to twice
    # as long now and then, and a fraction of the longest would often
    # land past the stage's end.
    ref, times = {}, {}
    dur = lambda key: min(times[key])
    for sc in ("import", "run", "train", "replace"):
        if sc in ("train", "replace"):
            start[sc] = p("labelled.db")
        db = p("ref-%s.db" % sc)
        walls = []
        for rep in range(1 if sc == "run" else 3):
            copy_store(start[sc], db)
            pr = Proc(command(sc, db, tmp), p("ref.err"))
            if pr.finish() != 0:
                sys.exit("clean %s failed: %s" % (sc, open(
                    p("ref.err")).read()))
            walls.append(pr.wall)
        if sc == "run":
            if stage_times(pr, times) < len(RUN_STAGES):
                sys.exit("the clean run did not print every stage's line: "
                         "a stage had no work")
            copy_store(db, p("labelled.db"))
        else:
            times[sc] = walls
        check_store(db, "clean %s" % sc, fails)
        csv, jsonl = exports(db)
        ref[sc] = {"csv": csv, "jsonl": jsonl, "stats": stats_counts(db),
                   "digests": digests(db), "wall": pr.wall}
        ref[sc]["states"] = [digests(start[sc]), ref[sc]["digests"]]
        if sc == "run":
            # The state after propagate, by the stages one at a time.
            mid = p("ref-mid.db")
            copy_store(start[sc], mid)
            for cmd in ("tokenize", "vectorize", "graph", "rules apply",
                        "propagate"):
                revlab(*(cmd.split() + [mid]))
            ref[sc]["states"].append(digests(mid))
        if sc == "run" and "up to date" not in revlab("run", db)[1].decode():
            sys.exit("a second clean run is not up to date")
    print("clean runs (s): import %.2f, import --replace %.2f, train %.2f, "
          "run %.1f = %s" % (dur("import"), dur("replace"), dur("train"),
                             ref["run"]["wall"], ", ".join(
                                 "%s %.2f" % (s, dur(s))
                                 for s, _, _ in RUN_STAGES)), flush=True)

    # The kill points: target i % 10 in a seeded order, a fraction each.
    rng = random.Random(a.seed)
    order = list(range(len(TARGETS)))
    rng.shuffle(order)
    plan = [(TARGETS[order[i % len(order)]], rng.uniform(0.05, 0.95))
            for i in range(a.kills)]
    landed, tally = [], {}
    for i, ((name, sc, stage), f) in enumerate(plan):
        where = "kill %d (%s at %.2f)" % (i + 1, name, f)
        db = p("kill.db")
        copy_store(start[sc], db)
        base = max_run(db)
        pr = Proc(command(sc, db, tmp), p("kill.err"))
        if sc == "run":
            k = [s for s, _, _ in RUN_STAGES].index(stage)
            t0 = 0.0 if k == 0 else pr.wait_line(RUN_STAGES[k - 1][1])
            t = None if t0 is None else t0 + f * dur(stage)
        else:
            t = f * dur(sc)
        used = dur(stage or sc)
        alive = t is not None and pr.kill_at(t)
        if t is None:
            pr.finish()
        done = committed(db, base)
        store_open = os.path.realpath(db) in getattr(pr, "open_files", ())
        if not alive:
            at, killed = "after the end (missed)", None
        elif not store_open and not done:
            at, killed = "startup (store not open yet)", None
        elif not store_open:
            at, killed = "exit (store closed)", None
        elif sc == "run":
            at, killed = "after label (saving, closing)", None
            for s, _, run_name in RUN_STAGES:
                if run_name not in done:
                    at, killed = s, run_name
                    break
            # What stdout says, for the record.
            printed = [s for s, line, _ in RUN_STAGES
                       if pr.line_time(line) is not None]
            if at in printed:
                at += " (its line printed)"
        else:
            stage_name = "import" if sc in ("import", "replace") else sc
            killed = stage_name
            at = name if stage_name not in done else \
                name + ", after its commit"
        print("kill %2d: %-16s at %.2f of %.2f s (%.2f s): landed: %s" %
              (i + 1, name, f, used, t or 0, at), flush=True)
        if sc == "run":
            stage_times(pr, times)
        tally.setdefault(name, {}).setdefault(at, 0)
        tally[name][at] += 1
        landed.append(at)
        n_fail = len(fails)
        running = check_store(db, where, fails, ref[sc]["states"], killed)
        if running:
            print("    'running' rows left: %s" % running)
        if a.keep:
            copy_store(db, p("killed.db"))
        rc = subprocess.run([REVLAB] + command(sc, db, tmp),
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
        if rc.returncode != 0:
            fails.add(where, "rerun failed (%d): %s" % (
                rc.returncode, rc.stderr.decode().strip()))
        else:
            compare(db, ref[sc], where, fails)
            if sc == "run":
                up = revlab("run", db, check=False)[1].decode()
                if "up to date" not in up:
                    fails.add(where, "a run after the rerun is not up to "
                              "date")
        if len(fails) > n_fail and a.keep:
            # The store as the kill left it, for a look.
            copy_store(p("killed.db"), p("failed-%d.db" % (i + 1)))

    print("\nkills per target, by where they landed:")
    for name, _, _ in TARGETS:
        if name in tally:
            print("  %-17s %s" % (name, ", ".join(
                "%d %s" % (c, w) for w, c in sorted(tally[name].items()))))
    inside = sum(1 for (t, _), at in zip(plan, landed)
                 if at == t[0] or at.startswith(t[0] + " ("))
    print("%d of %d kills landed inside the stage aimed at" %
          (inside, len(plan)))
    if fails:
        print("\n%d failed checks:" % len(fails))
        for f in fails:
            print("  " + f)
    else:
        print("all checks passed: after every kill the store was whole "
              "and consistent, and the rerun equal to the clean run")


if __name__ == "__main__":
    main()
