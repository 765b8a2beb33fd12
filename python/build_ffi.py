#!/usr/bin/env python3
"""build_ffi.py - writes the C source of revlab._revlab, the Python
extension the `revlab` package calls librevlab through.

usage: build_ffi.py OUTPUT.c

Why cffi in API mode and not the CPython API or cffi's ABI mode: the
declarations below are checked by the C compiler against include/revlab.h
itself (the generated file includes it; every struct marked `...` takes
its layout and every constant its value from the header, so a field the
library moves or a code it renumbers is a build error or is followed, not
a silent misread as in ABI mode), while the binding's logic stays in
Python, a few hundred lines instead of the thousands of reference-counting
C a hand-written CPython extension over this API would take. API-mode
calls release the GIL around every C function, so threads predicting with
one model run at once. Meson compiles the file (python/revlab/meson.build)
with the project's flags and links it to the built librevlab: only cffi's
code generator runs here, not its distutils build.

Only the public API appears below: what the package uses of it.
"""
import sys

import cffi

CDEF = r"""
/* Status codes and enum constants: values from revlab.h. */
static const int RL_OK, RL_ENOMEM, RL_EIO, RL_EINPUT, RL_EINVAL, RL_EDB,
    RL_EVERSION, RL_EEXIST, RL_ENOTFOUND, RL_EEMPTY, RL_ECANCELED;
static const int RL_OPEN_CREATE, RL_OPEN_READONLY;
static const int RL_FORMAT_JSONL;
static const int RL_EXISTING_ERROR, RL_EXISTING_REPLACE, RL_EXISTING_SKIP;
static const int RL_STEP_TOKENIZE, RL_STEP_VECTORIZE, RL_STEP_GRAPH,
    RL_STEP_RULES, RL_STEP_PROPAGATE, RL_STEP_SETTINGS, RL_STEP_CLASSIFIER,
    RL_STEP_LABEL, RL_STEP_COUNT;
static const int RL_METHOD_COUNT, RL_METHOD_CANDIDATES;

typedef int... rl_format;
typedef int... rl_existing;
typedef int... rl_prior;
typedef int... rl_classifier;
typedef int... rl_method;
typedef int... rl_need;
typedef int... rl_vote;
typedef int... rl_vectors;

const char *rl_strerror(int code);
const char *rl_version(void);
const char *rl_method_name(rl_method m);
const char *rl_classifier_name(rl_classifier c);
const char *rl_prior_name(rl_prior p);

typedef struct rl_db rl_db;
int rl_db_open(const char *path, unsigned flags, rl_db **out);
void rl_db_close(rl_db *db);
const char *rl_db_path(const rl_db *db);
int rl_db_multi_label(const rl_db *db);
const char *rl_db_errmsg(const rl_db *db);
rl_need rl_db_need(const rl_db *db);

void free(void *p);

/* Import */
typedef struct rl_import_opts {
    rl_format format;
    const char *id_col;
    const char *text_col;
    rl_existing existing;
    int skip_bad;
    ...;
} rl_import_opts;
typedef struct rl_import_stats {
    uint64_t rows, imported, replaced, skipped, bad, bytes;
    ...;
} rl_import_stats;
void rl_import_opts_init(rl_import_opts *o);
int rl_import_file(rl_db *db, const char *path, const rl_import_opts *o,
                   rl_import_stats *st);

/* Hand labels and rules */
typedef struct rl_seed_stats {
    uint64_t rows, set, labels_created;
    ...;
} rl_seed_stats;
int rl_seed_file(rl_db *db, const char *path, rl_seed_stats *st);
int rl_seed_file_as(rl_db *db, const char *path, const char *annotator,
                    rl_seed_stats *st);

typedef struct rl_rules_opts {
    int create_labels;
    ...;
} rl_rules_opts;
typedef struct rl_rules_stats {
    uint64_t rules, kept, matched, reviews, hits;
    ...;
} rl_rules_stats;
int rl_rules_load(rl_db *db, const char *path, const rl_rules_opts *o,
                  rl_rules_stats *st);

/* Stage statistics that run reports */
typedef struct rl_tokenize_stats {
    uint64_t reviews, tokens, new_terms, bytes;
    int retokenized_all;
    ...;
} rl_tokenize_stats;
typedef struct rl_vectorize_stats {
    uint64_t reviews, features, nnz;
    int refit;
    ...;
} rl_vectorize_stats;
typedef struct rl_graph_stats {
    uint64_t reviews, edges;
    int exact, incremental;
    double recall;
    const char *vectors;
    ...;
} rl_graph_stats;
typedef struct rl_propagate_stats {
    uint64_t reviews, seeds, cluster_seeds, labelled, abstained, rule_only;
    uint32_t iterations;
    ...;
} rl_propagate_stats;
typedef struct rl_propagate_opts { ...; } rl_propagate_opts;

/* Evaluation */
typedef struct rl_eval_opts { ...; } rl_eval_opts;
typedef struct rl_eval_report {
    rl_method best;
    rl_method top;
    ...;
} rl_eval_report;
void rl_eval_opts_init(rl_eval_opts *o);
int rl_eval_opts_set(rl_eval_opts *o, const char *assignment);
int rl_eval(rl_db *db, const rl_eval_opts *o, rl_eval_report **out);
void rl_eval_report_free(rl_eval_report *r);
int rl_eval_report_json(const rl_eval_report *r, char **out);

/* The whole job */
typedef struct rl_run_opts { ...; } rl_run_opts;
typedef struct rl_run_setting {
    int neighbours;
    rl_prior class_prior;
    double macro_f1, se;
} rl_run_setting;
typedef struct rl_run_classifier {
    rl_classifier kind;
    double macro_f1, se;
} rl_run_classifier;
typedef struct rl_run_report {
    int ran[...];
    double seconds[...];
    rl_tokenize_stats tokenize;
    rl_vectorize_stats vectorize;
    int dim;
    rl_graph_stats graph;
    int graph_k;
    rl_rules_stats rules;
    rl_propagate_stats propagate;
    size_t n_settings;
    rl_run_setting settings[...];
    size_t setting_chosen;
    rl_classifier settings_model;
    size_t n_classifiers;
    rl_run_classifier classifiers[...];
    size_t classifier_chosen;
    rl_eval_report *eval;
    char why_not[...];
    rl_method method;
    rl_classifier model;
    int neighbours;
    rl_prior class_prior;
    double temperature;
    uint64_t labelled;
    int model_stored;
    int up_to_date;
    ...;
} rl_run_report;
void rl_run_opts_init(rl_run_opts *o);
int rl_run_opts_set(rl_run_opts *o, const char *assignment);
int rl_run(rl_db *db, const rl_run_opts *o, rl_run_report **out);
void rl_run_report_free(rl_run_report *r);

/* Guiding hand labels */
typedef struct rl_next_opts { ...; } rl_next_opts;
typedef struct rl_next_item {
    const char *ext_id;
    const char *text;
    double score, uncertainty, disagreement, density;
    const char *reason;
    ...;
} rl_next_item;
void rl_next_opts_init(rl_next_opts *o);
int rl_next_opts_set(rl_next_opts *o, const char *assignment);
int rl_next(rl_db *db, const rl_next_opts *o, size_t limit,
            int (*fn)(void *, const rl_next_item *), void *ctx);

typedef struct rl_suspect {
    const char *ext_id;
    const char *text;
    const char *given, *suggested;
    double p_given, p_suggested;
    ...;
} rl_suspect;
typedef struct rl_suspects_stats {
    uint64_t seeds, suspects;
    uint32_t folds;
    ...;
} rl_suspects_stats;
int rl_suspects(rl_db *db, const rl_eval_opts *o, size_t limit,
                int (*fn)(void *, const rl_suspect *), void *ctx,
                rl_suspects_stats *st);

/* Export */
typedef struct rl_labelled_row {
    const char *id, *label, *source, *meta, *text;
    double confidence;
    size_t n_labels;
    const char *const *labels;
    const double *confidences;
    const char *const *sources;
    const char *annotations;
    ...;
} rl_labelled_row;
typedef struct rl_export_filter {
    const char *label;
    const char *source;
    double min_confidence;
} rl_export_filter;
int rl_labelled_rows(rl_db *db, const rl_export_filter *f,
                     int (*fn)(void *, const rl_labelled_row *), void *ctx);
int rl_labels_unruled(rl_db *db, int (*fn)(void *, const char *), void *ctx);

/* Models */
typedef struct rl_model rl_model;
int rl_model_get(rl_db *db, int64_t id, rl_model **out);
int rl_model_save(const rl_model *m, const char *path, char *err,
                  size_t errlen);
int rl_model_load(const char *path, rl_model **out, char *err,
                  size_t errlen);
void rl_model_free(rl_model *m);
size_t rl_model_n_labels(const rl_model *m);
const double *rl_model_thresholds(const rl_model *m);
const char *rl_model_label(const rl_model *m, size_t i);
const char *rl_model_kind(const rl_model *m);
int rl_model_predict(const rl_model *m, const char *const *texts,
                     const size_t *lens, size_t n, int top,
                     int32_t *labels, double *conf, char *err,
                     size_t errlen);

/* The callbacks, implemented in Python (revlab/__init__.py). */
extern "Python" int rl_py_labelled(void *, const rl_labelled_row *);
extern "Python" int rl_py_next(void *, const rl_next_item *);
extern "Python" int rl_py_suspect(void *, const rl_suspect *);
extern "Python" int rl_py_name(void *, const char *);
"""


def main():
    out = sys.argv[1]
    ffi = cffi.FFI()
    ffi.cdef(CDEF)
    ffi.set_source("revlab._revlab", "#include <stdlib.h>\n"
                   "#include <revlab.h>\n")
    ffi.emit_c_code(out)


if __name__ == "__main__":
    main()
