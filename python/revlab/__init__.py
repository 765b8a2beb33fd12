"""revlab - label product reviews from a few hand labels and keyword rules.

A binding over librevlab's public C API (include/revlab.h), through the
cffi extension revlab._revlab that the build generates (python/build_ffi.py
says why cffi's API mode). Two objects:

- Store(path): the SQLite store the pipeline lives in; import a DataFrame,
  add hand labels and rules, run, export a labelled DataFrame.
- Model: a trained labeller on its own (Store.model(), Model.load(path)),
  whose predict() labels texts with the GIL released.

revlab.dask.predict labels a dask DataFrame with a saved model file.

Every failure of the library raises revlab.Error (or a subclass by kind)
carrying the library's message; a failed call leaves the store as it was,
as every stage of the library commits in one transaction.
"""
import json
import os
import re
import tempfile

import numpy as np
import pandas as pd

from ._revlab import ffi, lib

__all__ = ["Store", "Model", "Error", "NoMemory", "FileError", "InputError",
           "InvalidError", "DatabaseError", "VersionError", "ExistsError",
           "NotFound", "Empty", "Canceled", "version"]


def version():
    """The library's version string."""
    return ffi.string(lib.rl_version()).decode()


# ---- Errors ---------------------------------------------------------------

class Error(Exception):
    """A librevlab failure: str(e) is the library's message, e.code the
    RL_E* status, e.need what the store lacked when that was the cause
    ("reviews", "hand labels", ...; None otherwise)."""

    def __init__(self, message, code=None, need=None):
        super().__init__(message)
        self.code = code
        self.need = need


class NoMemory(Error, MemoryError):
    """RL_ENOMEM."""


class FileError(Error, OSError):
    """RL_EIO: a file could not be read or written."""


class InputError(Error, ValueError):
    """RL_EINPUT: malformed input (a bad row, rules line, text, model
    file)."""


class InvalidError(Error, ValueError):
    """RL_EINVAL: a bad argument or option value."""


class DatabaseError(Error):
    """RL_EDB: the database failed or is not a store."""


class VersionError(Error):
    """RL_EVERSION: a store or model file of an unknown version."""


class ExistsError(Error):
    """RL_EEXIST: the thing already exists (e.g. an imported id)."""


class NotFound(Error, LookupError):
    """RL_ENOTFOUND: the thing does not exist (an id, a label, a model)."""


class Empty(Error):
    """RL_EEMPTY: nothing to work on (no reviews, no hand labels, ...)."""


class Canceled(Error):
    """RL_ECANCELED."""


_ERRORS = {
    lib.RL_ENOMEM: NoMemory, lib.RL_EIO: FileError,
    lib.RL_EINPUT: InputError, lib.RL_EINVAL: InvalidError,
    lib.RL_EDB: DatabaseError, lib.RL_EVERSION: VersionError,
    lib.RL_EEXIST: ExistsError, lib.RL_ENOTFOUND: NotFound,
    lib.RL_EEMPTY: Empty, lib.RL_ECANCELED: Canceled,
}

_NEEDS = [None, "store", "reviews", "tokens", "vectors", "graph",
          "hand labels", "label", "model", "clusters"]


def _error(code, message, need=None):
    if not message:
        message = ffi.string(lib.rl_strerror(code)).decode()
    return _ERRORS.get(code, Error)(message, code, need)


def _str(p):
    return None if p == ffi.NULL else ffi.string(p).decode("utf-8",
                                                           "replace")


def _cstr(s):
    """A C string for `s` (str or os.PathLike), kept alive by the caller."""
    return ffi.new("char[]", os.fsencode(s) if not isinstance(s, str)
                   else s.encode("utf-8"))


def _value(v):
    if isinstance(v, bool):
        return "1" if v else "0"
    return str(v)


def _set_params(setter, opts, params, what):
    """Sets "name=value" for each of params on opts; the strings are kept
    (the options borrow them), and returned for the caller to hold."""
    keep = []
    for name, value in params.items():
        s = _cstr("%s=%s" % (name, _value(value)))
        keep.append(s)
        rc = setter(opts, s)
        if rc != lib.RL_OK:
            raise _error(rc, "%s: unknown %s parameter %s, or a bad value "
                         "%r" % (name, what, name, value))
    return keep


# ---- Callbacks (declared extern "Python" in build_ffi.py) -----------------

@ffi.def_extern(onerror=lambda *exc: 1)
def rl_py_labelled(ctx, row):
    ffi.from_handle(ctx)(row)
    return 0


@ffi.def_extern(onerror=lambda *exc: 1)
def rl_py_next(ctx, item):
    ffi.from_handle(ctx)(item)
    return 0


@ffi.def_extern(onerror=lambda *exc: 1)
def rl_py_suspect(ctx, s):
    ffi.from_handle(ctx)(s)
    return 0


@ffi.def_extern(onerror=lambda *exc: 1)
def rl_py_name(ctx, name):
    ffi.from_handle(ctx)(name)
    return 0


class _Collect:
    """A callback target that keeps the first Python exception it raised,
    so a failed callback (which stops the C iteration) is re-raised."""

    def __init__(self, fn):
        self.fn = fn
        self.exc = None

    def __call__(self, arg):
        try:
            self.fn(arg)
        except BaseException as e:
            self.exc = e
            raise


def _iterate(call, fn):
    c = _Collect(fn)
    h = ffi.new_handle(c)
    rc = call(h)
    if c.exc is not None:
        raise c.exc
    return rc


# ---- Temporary input files ------------------------------------------------

class _TempFile:
    """A temporary file with `suffix`, removed on exit; for handing a
    DataFrame to a library function that reads files."""

    def __init__(self, suffix):
        fd, self.path = tempfile.mkstemp(prefix="revlab-", suffix=suffix)
        self.f = os.fdopen(fd, "w", encoding="utf-8", newline="")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.f.close()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


def _records(data, columns):
    """(is_frame, data): a DataFrame as is, a mapping of id -> value as a
    two-column frame, anything else as a list of dicts."""
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, dict):
        return pd.DataFrame({columns[0]: list(data.keys()),
                             columns[1]: list(data.values())})
    return pd.DataFrame.from_records(list(data))


# ---- The store ------------------------------------------------------------

class Store:
    """The store at `path`, created with an empty schema when missing, else
    opened (it must then be a revlab store). Use as a context manager or
    call close(); the handle is not shared between threads."""

    def __init__(self, path, readonly=False):
        self._db = ffi.NULL
        out = ffi.new("rl_db **")
        flags = lib.RL_OPEN_READONLY if readonly else lib.RL_OPEN_CREATE
        rc = lib.rl_db_open(_cstr(path), flags, out)
        db = out[0]
        if rc != lib.RL_OK:
            msg = _str(lib.rl_db_errmsg(db)) if db != ffi.NULL else ""
            lib.rl_db_close(db)
            raise _error(rc, msg)
        self._db = db
        self.path = os.fspath(path)

    def close(self):
        """Closes the store; later calls raise revlab.Error."""
        if self._db != ffi.NULL:
            lib.rl_db_close(self._db)
            self._db = ffi.NULL

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()

    def __repr__(self):
        return "revlab.Store(%r)" % self.path

    def _handle(self):
        if self._db == ffi.NULL:
            raise Error("the store is closed")
        return self._db

    @property
    def multi_label(self):
        """True for a multi-label store (made with `revlab init
        --multi-label`), where a review carries any number of labels."""
        return bool(lib.rl_db_multi_label(self._handle()))

    def _check(self, rc, rename=None):
        """Raises for a failed status with the handle's message; `rename`
        (path, name) puts `name` for a temporary file's path in it."""
        if rc == lib.RL_OK:
            return
        msg = _str(lib.rl_db_errmsg(self._db)) or ""
        if rename:
            msg = msg.replace(rename[0], rename[1])
        need = _NEEDS[lib.rl_db_need(self._db)] \
            if lib.rl_db_need(self._db) < len(_NEEDS) else None
        raise _error(rc, msg, need)

    # -- input

    def import_df(self, data, id="id", text="text", existing="error",
                  skip_bad=False):
        """Imports reviews from a pandas DataFrame or an iterable of dicts:
        column `id` (integers are taken as their decimal text) and `text`;
        every other column is kept as the review's metadata. `existing`
        says what an id already in the store does: "error" (fail the
        import), "replace" or "skip". One transaction: on any bad row
        (InputError naming it, "dataframe:LINE" where LINE is the row's
        position from 1) nothing is imported. Returns the counts as a
        dict. The rows reach the library as a temporary JSONL file, read
        by the same importer as `revlab import`."""
        db = self._handle()
        modes = {"error": lib.RL_EXISTING_ERROR,
                 "replace": lib.RL_EXISTING_REPLACE,
                 "skip": lib.RL_EXISTING_SKIP}
        if existing not in modes:
            raise InvalidError("existing=%r: one of error, replace, skip"
                               % (existing,), lib.RL_EINVAL)
        df = _records(data, (id, text))
        if id in df.columns and pd.api.types.is_integer_dtype(df[id]):
            df = df.assign(**{id: df[id].astype(str)})
        o = ffi.new("rl_import_opts *")
        lib.rl_import_opts_init(o)
        o.format = lib.RL_FORMAT_JSONL
        id_c, text_c = _cstr(id), _cstr(text)
        o.id_col, o.text_col = id_c, text_c
        o.existing = modes[existing]
        o.skip_bad = 1 if skip_bad else 0
        st = ffi.new("rl_import_stats *")
        with _TempFile(".jsonl") as t:
            if len(df):
                df.to_json(t.f, orient="records", lines=True,
                           force_ascii=False, date_format="iso")
            t.f.close()
            rc = lib.rl_import_file(db, _cstr(t.path), o, st)
            self._check(rc, (t.path, "dataframe"))
        return {k: getattr(st, k) for k in
                ("rows", "imported", "replaced", "skipped", "bad")}

    def seed(self, data, id="id", label="label", annotator=None):
        """Sets hand labels: from a file of `id<TAB>label` lines (a path;
        CSV when it ends in .csv), or from a DataFrame with columns `id`
        and `label`, an iterable of such dicts, or a dict of id -> label.
        One transaction: an unknown id or a bad label sets nothing.
        The labels are `annotator`'s (None: the unnamed annotator's; a
        file's lines may name theirs after the header
        `id<TAB>label<TAB>annotator`). Returns the counts as a dict."""
        db = self._handle()
        st = ffi.new("rl_seed_stats *")
        who = ffi.NULL if annotator is None else _cstr(annotator)
        if isinstance(data, (str, os.PathLike)):
            self._check(lib.rl_seed_file_as(db, _cstr(data), who, st))
        else:
            df = _records(data, (id, label))
            with _TempFile(".tsv") as t:
                t.f.write("id\tlabel\n")
                for i, (k, v) in enumerate(zip(df[id], df[label])):
                    k, v = str(k), str(v)
                    if any(c in s for s in (k, v) for c in "\t\r\n"):
                        raise InputError("row %d: an id or label with a "
                                         "tab or line break" % i,
                                         lib.RL_EINPUT)
                    t.f.write("%s\t%s\n" % (k, v))
                t.f.close()
                self._check(lib.rl_seed_file_as(db, _cstr(t.path), who,
                                                st), (t.path, "seeds"))
        return {"rows": st.rows, "set": st.set,
                "labels_created": st.labels_created}

    def rules(self, rules, create_labels=True):
        """Replaces the rule set: `rules` is a rules file (a path, or a
        string without tab or line break naming one) or the text of one
        (`label<TAB>pattern[<TAB>weight]` lines). A bad line (InputError,
        "rules:LINE:COLUMN: ...") leaves the previous rules in place.
        Labels not yet known are created unless create_labels is False.
        Returns the counts as a dict."""
        db = self._handle()
        o = ffi.new("rl_rules_opts *")
        o.create_labels = 1 if create_labels else 0
        st = ffi.new("rl_rules_stats *")
        if isinstance(rules, os.PathLike) or not any(
                c in rules for c in "\t\n"):
            self._check(lib.rl_rules_load(db, _cstr(rules), o, st))
        else:
            with _TempFile(".txt") as t:
                t.f.write(rules)
                t.f.close()
                self._check(lib.rl_rules_load(db, _cstr(t.path), o, st),
                            (t.path, "rules"))
        return {k: getattr(st, k) for k in
                ("rules", "kept", "matched", "reviews", "hits")}

    # -- the job

    def run(self, **params):
        """Runs every stage whose inputs changed and labels the corpus
        (rl_run). Keyword arguments are parameters as for `revlab run -p`:
        run(k=15), or with a stage, run(**{"train.model": "nb"}). Returns
        what was done and chosen, and why, as a dict: steps (each step
        that ran with its seconds and counts), settings and classifiers
        (the candidates scored, the one taken marked), method, model,
        neighbours, class_prior, temperature, labelled, up_to_date,
        eval (the cross-validation the method was chosen by, as
        Store.eval returns it; None with too few hand labels, and
        why_not says why), and unruled: the labels no rule votes for
        (a rule for every label was worth more than any setting on the
        development suite; `revlab run` names them too)."""
        db = self._handle()
        o = ffi.new("rl_run_opts *")
        lib.rl_run_opts_init(o)
        keep = _set_params(lib.rl_run_opts_set, o, params, "run")
        out = ffi.new("rl_run_report **")
        rc = lib.rl_run(db, o, out)
        r = out[0]
        try:
            self._check(rc)
            report = _run_dict(r)
        finally:
            lib.rl_run_report_free(r)
            del keep
        report["unruled"] = self.unruled()
        return report

    def unruled(self):
        """The labels no rule votes for (rl_labels_unruled): none of
        their rules, if any, matches a review (a `!label` rule votes
        against its label). Those with hand labels first, each group in
        name order."""
        names = []
        db = self._handle()
        self._check(_iterate(
            lambda h: lib.rl_labels_unruled(db, lib.rl_py_name, h),
            lambda n: names.append(_str(n))))
        return names

    def eval(self, **params):
        """Cross-validates every way of labelling, and the baselines, on
        the hand labels (rl_eval; parameters as for `revlab eval -p`, e.g.
        folds=5, model="nb"). Returns the report as a dict: the JSON of
        `revlab eval --json`, with "best" and "top" added."""
        db = self._handle()
        o = ffi.new("rl_eval_opts *")
        lib.rl_eval_opts_init(o)
        keep = _set_params(lib.rl_eval_opts_set, o, params, "train")
        out = ffi.new("rl_eval_report **")
        rc = lib.rl_eval(db, o, out)
        try:
            self._check(rc)
            return _eval_dict(out[0])
        finally:
            lib.rl_eval_report_free(out[0])
            del keep

    # -- output

    def export(self, label=None, source=None, min_confidence=None,
               text=False, meta=False, annotators=False):
        """The labelled table as a DataFrame, in import order: id, label,
        confidence, source (label and source None, confidence NaN, where
        the review abstained), and with text=True the text, with
        meta=True the metadata (a dict per review). In a multi-label
        store the columns are labels, confidences and sources instead,
        a list each (in label-name order; empty where the review
        abstained). Filters as for `revlab export`: a label, a source
        (seed, rule, propagation, model, cluster), a least confidence.
        With annotators=True a column annotations: who gave the review's
        hand labels, a dict of annotator -> list of labels ("" is the
        unnamed annotator), None where nobody did."""
        db = self._handle()
        f = ffi.new("rl_export_filter *")
        keep = []
        if label is not None:
            keep.append(_cstr(label))
            f.label = keep[-1]
        if source is not None:
            keep.append(_cstr(source))
            f.source = keep[-1]
        f.min_confidence = -1.0 if min_confidence is None \
            else float(min_confidence)
        multi = self.multi_label
        cols = {"id": [], "labels": [], "confidences": [], "sources": []} \
            if multi else {"id": [], "label": [], "confidence": [],
                           "source": []}
        if text:
            cols["text"] = []
        if meta:
            cols["meta"] = []
        if annotators:
            cols["annotations"] = []

        def row(r):
            cols["id"].append(_str(r.id))
            if annotators:
                a = _str(r.annotations)
                cols["annotations"].append(json.loads(a) if a else None)
            if multi:
                n = r.n_labels
                cols["labels"].append([_str(r.labels[i]) for i in range(n)])
                cols["confidences"].append([r.confidences[i]
                                            for i in range(n)])
                cols["sources"].append([_str(r.sources[i])
                                        for i in range(n)])
                if text:
                    cols["text"].append(_str(r.text))
                if meta:
                    m = _str(r.meta)
                    cols["meta"].append(json.loads(m) if m else {})
                return
            lab = _str(r.label)
            cols["label"].append(lab)
            cols["confidence"].append(r.confidence if lab is not None
                                      else np.nan)
            cols["source"].append(_str(r.source))
            if text:
                cols["text"].append(_str(r.text))
            if meta:
                m = _str(r.meta)
                cols["meta"].append(json.loads(m) if m else {})

        rc = _iterate(lambda h: lib.rl_labelled_rows(
            db, f, lib.rl_py_labelled, h), row)
        self._check(rc)
        df = pd.DataFrame(cols)
        if not multi:
            df["confidence"] = df["confidence"].astype("float64")
        return df

    def next(self, limit=10, **params):
        """The reviews a hand label would help most, best first, as a
        DataFrame (id, text, score, uncertainty, disagreement, density,
        reason); parameters as for `revlab next -p`. Changes nothing."""
        db = self._handle()
        o = ffi.new("rl_next_opts *")
        lib.rl_next_opts_init(o)
        keep = _set_params(lib.rl_next_opts_set, o, params, "next")
        rows = []

        def item(it):
            rows.append((_str(it.ext_id), _str(it.text), it.score,
                         it.uncertainty, it.disagreement, it.density,
                         _str(it.reason)))

        rc = _iterate(lambda h: lib.rl_next(db, o, limit, lib.rl_py_next,
                                            h), item)
        del keep
        self._check(rc)
        return pd.DataFrame(rows, columns=[
            "id", "text", "score", "uncertainty", "disagreement",
            "density", "reason"])

    def suspects(self, limit=20, **params):
        """Hand labels that predictions made without them disagree with,
        least likely first, as a DataFrame (id, text, given, suggested,
        p_given, p_suggested); parameters as for Store.eval."""
        db = self._handle()
        o = ffi.new("rl_eval_opts *")
        lib.rl_eval_opts_init(o)
        keep = _set_params(lib.rl_eval_opts_set, o, params, "train")
        rows = []

        def sus(s):
            rows.append((_str(s.ext_id), _str(s.text), _str(s.given),
                         _str(s.suggested), s.p_given, s.p_suggested))

        st = ffi.new("rl_suspects_stats *")
        rc = _iterate(lambda h: lib.rl_suspects(
            db, o, limit, lib.rl_py_suspect, h, st), sus)
        del keep
        self._check(rc)
        return pd.DataFrame(rows, columns=[
            "id", "text", "given", "suggested", "p_given", "p_suggested"])

    def model(self, id=0):
        """The store's model `id` (0: the newest, as the last run stored
        it) as a revlab.Model. NotFound without one."""
        db = self._handle()
        out = ffi.new("rl_model **")
        rc = lib.rl_model_get(db, id, out)
        if rc != lib.RL_OK:
            lib.rl_model_free(out[0])
            self._check(rc)
        return Model(out[0])


_STEPS = ["tokenize", "vectorize", "graph", "rules", "propagate",
          "settings", "classifier", "label"]


def _stats(s, names):
    return {n: getattr(s, n) for n in names}


def _eval_dict(er):
    js = ffi.new("char **")
    rc = lib.rl_eval_report_json(er, js)
    if rc != lib.RL_OK:
        raise _error(rc, "")
    try:
        d = json.loads(ffi.string(js[0]).decode())
    finally:
        lib.free(js[0])
    d["best"] = _str(lib.rl_method_name(er.best))
    d["top"] = _str(lib.rl_method_name(er.top))
    return d


def _run_dict(r):
    steps = {}
    detail = {
        "tokenize": lambda: _stats(r.tokenize, (
            "reviews", "tokens", "new_terms", "retokenized_all")),
        "vectorize": lambda: dict(_stats(r.vectorize, (
            "reviews", "features", "nnz", "refit")), dim=r.dim),
        "graph": lambda: dict(_stats(r.graph, (
            "reviews", "edges", "exact", "incremental", "recall")),
            vectors=_str(r.graph.vectors), k=r.graph_k),
        "rules": lambda: _stats(r.rules, (
            "rules", "reviews", "hits")),
        "propagate": lambda: _stats(r.propagate, (
            "reviews", "seeds", "cluster_seeds", "labelled", "abstained",
            "rule_only", "iterations")),
    }
    for i, name in enumerate(_STEPS):
        if r.ran[i]:
            steps[name] = dict(seconds=r.seconds[i],
                               **(detail[name]() if name in detail else {}))
    settings = [dict(neighbours=s.neighbours,
                     class_prior=_str(lib.rl_prior_name(s.class_prior)),
                     macro_f1=s.macro_f1, se=s.se,
                     chosen=(i == r.setting_chosen))
                for i, s in enumerate(r.settings[0:r.n_settings])]
    classifiers = [dict(model=_str(lib.rl_classifier_name(c.kind)),
                        macro_f1=c.macro_f1, se=c.se,
                        chosen=(i == r.classifier_chosen))
                   for i, c in enumerate(r.classifiers[0:r.n_classifiers])]
    ev = _eval_dict(r.eval) if r.eval != ffi.NULL else None
    labelled = bool(r.ran[lib.RL_STEP_LABEL])
    return {
        "up_to_date": bool(r.up_to_date),
        "steps": steps,
        "settings": settings,
        "settings_model": _str(lib.rl_classifier_name(r.settings_model))
        if settings else None,
        "classifiers": classifiers,
        "method": _str(lib.rl_method_name(r.method)) if ev else None,
        "model": _str(lib.rl_classifier_name(r.model)),
        "neighbours": r.neighbours,
        "class_prior": _str(lib.rl_prior_name(r.class_prior)),
        "temperature": r.temperature,
        "labelled": r.labelled if labelled else 0,
        "model_stored": bool(r.model_stored),
        "eval": ev,
        "why_not": ffi.string(r.why_not).decode() or None,
    }


# ---- Models ---------------------------------------------------------------

_ERRLEN = 512

# Texts Model.predict_arrays hands the library in one call: enough that
# the call's own cost (about 10 microseconds) is nothing beside the
# labelling, few enough that the texts' UTF-8 copy stays small (some
# 20 MB of reviews of a few sentences).
PREDICT_CHUNK = 65536


class Model:
    """A trained labeller, without the store: Store.model() or
    Model.load(path). Nothing changes it once made, so threads may
    predict with one model at once; each predict call releases the GIL
    while the library works."""

    def __init__(self, handle):
        """Takes ownership of an rl_model *; use load() or Store.model()."""
        self._m = ffi.gc(handle, lib.rl_model_free)
        n = lib.rl_model_n_labels(self._m)
        self.labels = [_str(lib.rl_model_label(self._m, i))
                       for i in range(n)]
        self.kind = _str(lib.rl_model_kind(self._m))
        self._names = np.array(self.labels, dtype=object)
        thr = lib.rl_model_thresholds(self._m)
        # A multi-label model's per-label thresholds, else None.
        self.thresholds = None if thr == ffi.NULL else \
            np.array([thr[i] for i in range(n)], dtype=np.float64)
        self.multi_label = self.thresholds is not None

    def __repr__(self):
        return "revlab.Model(%s, labels=%r)" % (self.kind, self.labels)

    @classmethod
    def load(cls, path):
        """Reads a model file written by save(). InputError for a file that
        is not a model or is damaged, VersionError for another format
        version, FileError for an unreadable one."""
        out = ffi.new("rl_model **")
        err = ffi.new("char[]", _ERRLEN)
        rc = lib.rl_model_load(_cstr(path), out, err, _ERRLEN)
        if rc != lib.RL_OK:
            lib.rl_model_free(out[0])
            raise _error(rc, ffi.string(err).decode("utf-8", "replace"))
        return cls(out[0])

    def save(self, path):
        """Writes the model to `path` whole or not at all."""
        err = ffi.new("char[]", _ERRLEN)
        rc = lib.rl_model_save(self._m, _cstr(path), err, _ERRLEN)
        if rc != lib.RL_OK:
            raise _error(rc, ffi.string(err).decode("utf-8", "replace"))

    def predict_arrays(self, texts, top=1):
        """Labels `texts` (str or UTF-8 bytes each): returns (labels,
        confidence), int32 indexes into self.labels and their
        probabilities, each [n] for top=1 or else [n][top], best first.
        The library labels them without the GIL, PREDICT_CHUNK texts a
        call, so memory beyond the result stays the same for any n; a
        text that is not valid UTF-8 (e.g. a lone surrogate) fails the
        whole call with InputError ("text N: ...", N counted from 0).
        None is refused as TypeError."""
        if isinstance(texts, (pd.Series, np.ndarray)):
            texts = texts.tolist()  # iterating a Series is slower
        elif not isinstance(texts, (list, tuple)):
            texts = list(texts)
        n = len(texts)
        labels = np.empty((n, top), dtype=np.int32)
        conf = np.empty((n, top), dtype=np.float64)
        err = ffi.new("char[]", _ERRLEN)
        for a in range(0, n, PREDICT_CHUNK):
            b = min(n, a + PREDICT_CHUNK)
            self._predict_chunk(texts, a, b, top, labels[a:b], conf[a:b],
                                err)
        if top == 1:
            return labels[:, 0], conf[:, 0]
        return labels, conf

    def predict_proba(self, texts):
        """Every label's probability for each of `texts`: a DataFrame
        [n][labels] in self.labels order (a distribution per row for a
        single-label model, independent per label for a multi-label
        one), indexed as a Series' index, else from 0."""
        index = texts.index if isinstance(texts, pd.Series) else None
        L = len(self.labels)
        lab, conf = self.predict_arrays(texts, L)
        lab = lab.reshape(-1, L)
        prob = np.empty((lab.shape[0], L), dtype=np.float64)
        np.put_along_axis(prob, lab.astype(np.intp), conf.reshape(-1, L),
                          axis=1)
        return pd.DataFrame(prob, columns=self.labels, index=index)

    def _predict_multi(self, texts):
        """A multi-label model's labels: every label whose probability
        reaches its threshold, or the likeliest when none does, best
        first, as `revlab predict` prints them."""
        index = texts.index if isinstance(texts, pd.Series) else None
        L = len(self.labels)
        lab, conf = self.predict_arrays(texts, L)
        lab = lab.reshape(-1, L)
        conf = conf.reshape(-1, L)
        keep = conf >= self.thresholds[lab]
        keep[:, 0] |= ~keep.any(axis=1)
        names, confs = [], []
        for i in range(lab.shape[0]):
            k = keep[i]
            names.append(list(self._names[lab[i][k]]))
            confs.append(list(conf[i][k]))
        return pd.DataFrame({"labels": names, "confidences": confs},
                            index=index)

    def _predict_chunk(self, texts, a, b, top, labels, conf, err):
        """texts[a:b] labelled into labels and conf ([b - a][top] each,
        contiguous): one library call on one buffer of the texts, UTF-8
        one after another, and an array of pointers into it, so no C
        object per text."""
        enc = []
        for i in range(a, b):
            t = texts[i]
            if isinstance(t, str):
                enc.append(t.encode("utf-8", "surrogatepass"))
            elif isinstance(t, (bytes, bytearray, memoryview)):
                enc.append(bytes(t))    # bytes: itself, no copy
            else:
                raise TypeError("text %d: %s, not a string"
                                % (i, type(t).__name__))
        k = b - a
        lens = np.fromiter(map(len, enc), dtype=np.uintp, count=k)
        blob = np.frombuffer(b"".join(enc) + b"\0", dtype=np.uint8)
        del enc
        base = int(ffi.cast("uintptr_t", ffi.from_buffer(blob)))
        ptrs = np.zeros(k, dtype=np.uintp)
        np.cumsum(lens[:-1], out=ptrs[1:])
        ptrs += np.uintp(base)
        rc = lib.rl_model_predict(
            self._m, ffi.cast("const char *const *", ffi.from_buffer(ptrs)),
            ffi.cast("const size_t *", ffi.from_buffer(lens)), k, top,
            ffi.cast("int32_t *", ffi.from_buffer(labels)),
            ffi.cast("double *", ffi.from_buffer(conf)), err, _ERRLEN)
        del blob
        if rc != lib.RL_OK:
            msg = ffi.string(err).decode("utf-8", "replace")
            m = re.match(r"text (\d+):", msg)
            if m:   # the library counts from the chunk's first text
                msg = "text %d:%s" % (a + int(m.group(1)),
                                      msg[m.end():])
            raise _error(rc, msg)

    def predict(self, texts, top=1):
        """Labels `texts` (a list, a pandas Series, any iterable of str):
        returns a DataFrame with columns label and confidence (for top > 1
        label_1, confidence_1, ... best first), indexed as a Series'
        index, else from 0. A multi-label model gives columns labels and
        confidences instead, a list each: every label that reaches its
        threshold, the likeliest when none does, best first (top does
        not apply). See predict_arrays for errors."""
        if self.multi_label:
            if top != 1:
                raise ValueError("top does not apply to a multi-label "
                                 "model: every label that reaches its "
                                 "threshold is given")
            if not isinstance(texts, (list, tuple, pd.Series, np.ndarray)):
                texts = list(texts)
            return self._predict_multi(texts)
        index = texts.index if isinstance(texts, pd.Series) else None
        lab, conf = self.predict_arrays(texts, top)
        if top == 1:
            return pd.DataFrame({"label": self._names[lab],
                                 "confidence": conf}, index=index)
        cols = {}
        for j in range(top):
            cols["label_%d" % (j + 1)] = self._names[lab[:, j]]
            cols["confidence_%d" % (j + 1)] = conf[:, j]
        return pd.DataFrame(cols, index=index)
