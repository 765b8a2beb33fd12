/*
 * revlab.h - the public interface of librevlab, a semi-supervised labeller
 * for product-review text.
 *
 * The data lives in one SQLite file, the store (see schema.sql). Each stage
 * of the pipeline reads its input from the store and writes its output back
 * in one transaction: a stage that fails leaves the store as it was.
 *
 * Conventions, stated once:
 * - Every function that can fail returns an int status: RL_OK (0) or a
 *   negative RL_E* code. rl_strerror() turns a code into generic text;
 *   rl_db_errmsg() gives the detail of the last failure on a handle
 *   ("reviews.csv:7: unterminated quoted field").
 * - Constructors return a status and hand the object back through an
 *   out-parameter; destructors accept NULL.
 * - Ownership: the library copies whatever it keeps. A returned const
 *   pointer is borrowed and valid until the next call on the same handle.
 *   Anything else the library returns belongs to the caller, who frees it
 *   with the matching function.
 * - Options are plain structs filled with defaults by rl_<stage>_opts_init()
 *   and changed field by field, or by name with rl_<stage>_opts_set(), which
 *   is driven by the same parameter table that rl_param_at() lists.
 * - The ABI: a struct the caller allocates (options, stats) ends with
 *   reserved space that new fields take, so its size stays the same within
 *   a major version; leave it zero (the _init functions do). A struct the
 *   library allocates (rl_eval_report, rl_run_report, the infos handed to
 *   callbacks) only grows at its end; the handles (rl_db, rl_model,
 *   rl_tokenizer) are opaque and read through functions.
 * - The library never prints, exits or reads the environment. Progress and
 *   per-row problems reach the caller through callbacks.
 * - Handles are not shared between threads; separate handles may be used
 *   from separate threads. A model (rl_model) is the exception: nothing
 *   changes it once made, so threads may predict with one at once.
 */
#ifndef REVLAB_H
#define REVLAB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(RL_BUILDING_LIBRARY) && defined(__GNUC__)
#define RL_API __attribute__((visibility("default")))
#else
#define RL_API
#endif

#define RL_VERSION "0.5.0"
/* The same as numbers, for #if: RL_VERSION_NUMBER is major * 10000 +
 * minor * 100 + patch (0.4.0 is 400). */
#define RL_VERSION_MAJOR 0
#define RL_VERSION_MINOR 5
#define RL_VERSION_PATCH 0
#define RL_VERSION_NUMBER \
	(RL_VERSION_MAJOR * 10000 + RL_VERSION_MINOR * 100 + RL_VERSION_PATCH)

/* Status codes. */
enum {
	RL_OK = 0,
	RL_ENOMEM = -1,		/* out of memory */
	RL_EIO = -2,		/* a file could not be read or written */
	RL_EINPUT = -3,		/* malformed input data */
	RL_EINVAL = -4,		/* bad argument or option value */
	RL_EDB = -5,		/* the database failed or is not a store */
	RL_EVERSION = -6,	/* store or model file of an unknown
				   version */
	RL_EEXIST = -7,		/* the thing already exists */
	RL_ENOTFOUND = -8,	/* the thing does not exist */
	RL_EEMPTY = -9,		/* nothing to work on */
	RL_ECANCELED = -10	/* the progress callback asked to stop */
};

/* Generic text for a status code; never NULL. */
RL_API const char *rl_strerror(int code);

/* The library's version string, RL_VERSION at build time. */
RL_API const char *rl_version(void);

/* Progress callback: `stage` names the work, `done` of `total` units
 * (total is 0 when unknown; the units of one stage's steps may differ:
 * rows, iterations). A stage of several passes over the reviews names
 * each, "vectorize (2/4: LSA sample)", each counting from 0. Called a few times a second at most, besides a
 * handful of calls as a long step begins, and only ever on the thread
 * that called the stage, never on a worker thread, so it may take a
 * lock such as an interpreter's. Returning non-zero cancels: the stage
 * stops there (its kernels' long loops are heard within a fraction of a
 * second; one bulk read or write of the store runs to its end first),
 * rolls its transaction back (the store is as it was before the stage)
 * and returns RL_ECANCELED. */
typedef int (*rl_progress_fn)(void *ctx, const char *stage, uint64_t done,
			       uint64_t total);

/* Problem callback: one line of text describing a skipped input row. */
typedef void (*rl_report_fn)(void *ctx, const char *msg);

/* ---- Parameter tables ------------------------------------------------ */

/* One tunable of a stage: its name for `-p name=value`, its type
 * ("int", "double", "bool", "string" or "enum"), its default as text, a
 * one-line help, and for an "enum" the values it takes (NULL-terminated,
 * in the order of the C enum's constants; NULL for other types). */
typedef struct rl_param {
	const char *name;
	const char *type;
	const char *def;
	const char *help;
	const char *const *choices;
} rl_param;

/* The i-th parameter of `stage` ("tokenize", ...), counting from 0;
 * NULL past the last one or for a stage without parameters. */
RL_API const rl_param *rl_param_at(const char *stage, size_t i);

/* Settings with a fixed set of values. In options they are these enums;
 * as `-p name=value` text they are the names the rl_*_name functions
 * give (a name not in the list is refused, RL_EINVAL). Each name
 * function returns static text, "unknown" for a value outside the enum. */

/* The class shares propagation normalises to. */
typedef enum rl_prior {
	RL_PRIOR_SEEDS = 0,	/* the hand labels' */
	RL_PRIOR_UNIFORM,	/* equal */
	RL_PRIOR_AUTO,		/* `revlab run` picks by cross-validation
				   (a multi-label store: none); elsewhere
				   the one labelling last used, else seeds
				   (multi-label: none) */
	RL_PRIOR_NONE		/* none: each label keeps the share the
				   spreading gives it */
} rl_prior;

/* How rule votes count in propagation. */
typedef enum rl_vote {
	RL_VOTE_WEIGHTED = 0,	/* by each rule's precision on the seeds */
	RL_VOTE_MAJORITY	/* each vote alike */
} rl_vote;

/* The classifier trained on propagation's labels. */
typedef enum rl_classifier {
	RL_CLASSIFIER_LOGREG = 0,	/* multinomial logistic regression */
	RL_CLASSIFIER_NB,		/* multinomial naive Bayes */
	RL_CLASSIFIER_CNB,		/* complement naive Bayes */
	RL_CLASSIFIER_AUTO,		/* the store's default: the pool
					   in a single-label store,
					   logreg in a multi-label one */
	RL_CLASSIFIER_POOL,		/* the three above trained alike,
					   their weights summed, each
					   scaled to the same spread of
					   logits: one linear model */
	RL_CLASSIFIER_CHOOSE		/* `revlab run` picks one of the
					   first three by cross-validation;
					   elsewhere as auto */
} rl_classifier;

/* The vectors neighbours and clusters are found on. */
typedef enum rl_vectors {
	RL_VECTORS_TFIDF = 0,	/* sparse TF-IDF */
	RL_VECTORS_LSA,		/* dense LSA projection */
	RL_VECTORS_AUTO		/* tfidf below auto_tfidf_below reviews,
				   lsa above */
} rl_vectors;

RL_API const char *rl_prior_name(rl_prior p);
RL_API const char *rl_vote_name(rl_vote v);
RL_API const char *rl_classifier_name(rl_classifier c);
RL_API const char *rl_vectors_name(rl_vectors v);

/* ---- The store ------------------------------------------------------- */

typedef struct rl_db rl_db;

/* Flags for rl_db_open(). */
enum {
	RL_OPEN_CREATE = 1,	/* create the file and schema if missing */
	RL_OPEN_READONLY = 2,	/* only read: works where the file or its
				   folder cannot be written; every stage
				   then fails with RL_EDB */
	RL_OPEN_MULTI_LABEL = 4	/* with RL_OPEN_CREATE, a new store is
				   multi-label; an existing single-label
				   store then fails with RL_EINVAL (a
				   store's mode is chosen when it is made) */
};

/* The schema version this library reads and writes. */
#define RL_SCHEMA_VERSION 5

/* Opens the store at `path`. Without RL_OPEN_CREATE the file must exist and
 * be a revlab store of a known version. On failure *out may still hold a
 * handle whose rl_db_errmsg() explains; always rl_db_close() it. */
RL_API int rl_db_open(const char *path, unsigned flags, rl_db **out);

/* Closes the store; NULL is harmless. */
RL_API void rl_db_close(rl_db *db);

/* 1 for a multi-label store, where a review carries any number of labels
 * (hand labels, rules and labelling alike), 0 for a single-label one (one
 * label per review, the default). Set when the store is made
 * (RL_OPEN_MULTI_LABEL) and never changed. */
RL_API int rl_db_multi_label(const rl_db *db);

/* The path the store was opened with. Borrowed. */
RL_API const char *rl_db_path(const rl_db *db);

/* Detail of the last failure on `db`; "" if none. Borrowed. */
RL_API const char *rl_db_errmsg(const rl_db *db);

/* What the last failure on `db` found missing, when that was its cause:
 * a front end turns it into advice (the CLI names the command that makes
 * it), as the library's own message only says what is missing. */
typedef enum rl_need {
	RL_NEED_NOTHING = 0,	/* the failure was of another kind */
	RL_NEED_STORE,		/* the path is not a store (yet) */
	RL_NEED_REVIEWS,	/* the store has no reviews */
	RL_NEED_TOKENS,		/* no review is tokenized */
	RL_NEED_VECTORS,	/* no vectors */
	RL_NEED_GRAPH,		/* no neighbour graph */
	RL_NEED_HAND_LABELS,	/* no hand labels */
	RL_NEED_LABEL,		/* a label that is not declared */
	RL_NEED_MODEL,		/* no model trained on the current vectors */
	RL_NEED_CLUSTERS	/* no clusters */
} rl_need;

RL_API rl_need rl_db_need(const rl_db *db);

/* ---- Files written whole ------------------------------------------ */

/* A file written whole or not at all (what rl_model_save and
 * rl_report_file use, and the CLI's `export -o`): the content goes to
 * rl_outfile_stream, under a new name beside `path`; rl_outfile_commit
 * syncs it and renames it over `path`. A failed commit (a full disk, say)
 * or rl_outfile_abort removes the new file and leaves whatever `path`
 * was. Both free the handle; abort accepts NULL. Failures write a message
 * naming `path` into err (errlen bytes). */
typedef struct rl_outfile rl_outfile;
RL_API int rl_outfile_open(const char *path, rl_outfile **out, char *err,
			   size_t errlen);
RL_API FILE *rl_outfile_stream(rl_outfile *o);
RL_API int rl_outfile_commit(rl_outfile *o, char *err, size_t errlen);
RL_API void rl_outfile_abort(rl_outfile *o);

/* ---- Import ---------------------------------------------------------- */

typedef enum rl_format {
	RL_FORMAT_AUTO = 0,	/* by the file's extension */
	RL_FORMAT_CSV,
	RL_FORMAT_TSV,
	RL_FORMAT_JSONL
} rl_format;

/* What to do with an id that is already in the store. */
typedef enum rl_existing {
	RL_EXISTING_ERROR = 0,	/* fail the import */
	RL_EXISTING_REPLACE,	/* replace text and metadata */
	RL_EXISTING_SKIP	/* keep the stored review, skip the row */
} rl_existing;

typedef struct rl_import_opts {
	rl_format format;
	const char *id_col;	/* column or JSON key of the id; "id" */
	const char *text_col;	/* column or JSON key of the text; "text" */
	rl_existing existing;
	int skip_bad;		/* import good rows, report bad ones */
	size_t max_record;	/* longest record in bytes; 1 MiB */
	rl_progress_fn progress;
	rl_report_fn report;	/* bad rows when skip_bad is set */
	void *ctx;		/* passed to both callbacks */
	uint64_t reserved_[4];	/* zero; room for fields to come */
} rl_import_opts;

typedef struct rl_import_stats {
	uint64_t rows;		/* records read, header excluded */
	uint64_t imported;	/* new reviews */
	uint64_t replaced;	/* existing reviews replaced */
	uint64_t skipped;	/* existing reviews left alone */
	uint64_t bad;		/* bad rows skipped (skip_bad) */
	uint64_t bytes;		/* bytes read */
	uint64_t reserved_[4];	/* zero; room for fields to come */
} rl_import_stats;

RL_API void rl_import_opts_init(rl_import_opts *o);

/* Guesses a format from a file name's extension (.csv, .tsv, .tab,
 * .jsonl, .ndjson); RL_FORMAT_AUTO if it cannot tell. */
RL_API rl_format rl_format_from_name(const char *path);

/* Parses "csv", "tsv" or "jsonl"; RL_EINVAL for anything else. */
RL_API int rl_format_parse(const char *name, rl_format *out);

/* Imports reviews from the file at `path` in one transaction. Every
 * record needs a non-empty id and a non-empty, valid UTF-8 text; other
 * columns are kept as the review's metadata (a JSON object). An error
 * names the file and line; the store is then unchanged. `st` may be NULL. */
RL_API int rl_import_file(rl_db *db, const char *path,
			  const rl_import_opts *o, rl_import_stats *st);

/* The same, reading an open stream; `name` is used in messages (e.g.
 * "stdin"). The format must be given, as there is no extension. */
RL_API int rl_import_stream(rl_db *db, FILE *in, const char *name,
			    const rl_import_opts *o, rl_import_stats *st);

/* ---- Tokenizer ------------------------------------------------------- */

typedef struct rl_tokenize_opts {
	const char *lexicon_dir;	/* folder holding <language>/ files */
	const char *language;		/* "en" */
	int stopwords;			/* drop stop words; 1 */
	int stem;			/* Snowball stemming; 1 */
	int negation;			/* words in a negation's scope:
					   0 as they are, 1 "not_x" (the
					   default), 2 "x" and "not_x" */
	int min_len;			/* drop shorter word tokens; 1 */
	int threads;			/* reviews tokenized at once; the
					   tokens are the same for any
					   number; 2 */
	rl_progress_fn progress;
	void *ctx;
	uint64_t reserved_[4];	/* zero; room for fields to come */
} rl_tokenize_opts;

/* Fills defaults. lexicon_dir defaults to the folder given at build time;
 * callers may point it elsewhere. */
RL_API void rl_tokenize_opts_init(rl_tokenize_opts *o);

/* Sets one parameter from "name=value". String values are borrowed and
 * must outlive the options. RL_EINVAL for an unknown name or bad value. */
RL_API int rl_tokenize_opts_set(rl_tokenize_opts *o, const char *assignment);

typedef struct rl_tokenizer rl_tokenizer;

/* Loads the lexicons of o->language. On failure writes a message naming
 * the file into err (errlen bytes) and returns a negative status. */
RL_API int rl_tokenizer_new(const rl_tokenize_opts *o, rl_tokenizer **out,
			    char *err, size_t errlen);
RL_API void rl_tokenizer_free(rl_tokenizer *tk);

/* Token callback: a NUL-terminated, normalised token (borrowed). */
typedef void (*rl_token_fn)(void *ctx, const char *tok, size_t len);

/* Tokenizes `len` bytes of UTF-8 `text`, calling `fn` once per token in
 * order. RL_EINPUT if the text is not valid UTF-8. */
RL_API int rl_tokenize_text(rl_tokenizer *tk, const char *text, size_t len,
			    rl_token_fn fn, void *ctx);

typedef struct rl_tokenize_stats {
	uint64_t reviews;	/* reviews tokenized by this call */
	uint64_t tokens;	/* tokens they produced */
	uint64_t new_terms;	/* terms added to the vocabulary */
	uint64_t bytes;		/* text bytes read */
	int retokenized_all;	/* settings changed, so all were redone */
	uint64_t reserved_[4];	/* zero; room for fields to come */
} rl_tokenize_stats;

/* Tokenizes every review of the store that has no tokens yet, or all of
 * them when the tokenizer settings differ from those of the stored
 * tokens. One transaction. `st` may be NULL. */
RL_API int rl_tokenize(rl_db *db, const rl_tokenize_opts *o,
		       rl_tokenize_stats *st);

/* ---- Vectors --------------------------------------------------------- */

typedef struct rl_vectorize_opts {
	int ngram_max;		/* 1: unigrams, 2: and bigrams; 2 */
	int min_df;		/* drop features in fewer documents; 2 */
	double max_df;		/* drop those in more than this share; 1 */
	int max_features;	/* keep the most frequent; 200000 */
	int sublinear;		/* tf -> 1 + ln tf; 1 */
	int dim;		/* LSA dimensions; 100 */
	int lsa_features;	/* LSA learns from the most frequent
				   features only; 50000 */
	int n_iter;		/* power iterations of the randomized SVD; 3 */
	int seed;		/* of every random choice; 1 */
	int threads;		/* worker threads; 2 */
	rl_progress_fn progress;
	void *ctx;
	int lsa_sample;		/* LSA is learned from at most this many
				   reviews, drawn with seed; 0: all;
				   500000 */
	int batch;		/* reviews read, vectorized and written at
				   a time; 16384 */
	uint64_t reserved_[3];	/* zero; room for fields to come */
} rl_vectorize_opts;

RL_API void rl_vectorize_opts_init(rl_vectorize_opts *o);
RL_API int rl_vectorize_opts_set(rl_vectorize_opts *o,
				 const char *assignment);

typedef struct rl_vectorize_stats {
	uint64_t reviews;	/* reviews vectorized by this call */
	uint64_t features;	/* TF-IDF features in the vocabulary */
	uint64_t nnz;		/* stored TF-IDF entries */
	int refit;		/* vocabulary and LSA were fitted anew */
	uint64_t reserved_[4];	/* zero; room for fields to come */
} rl_vectorize_stats;

/* Computes TF-IDF vectors (kind "tfidf") and their LSA projection (kind
 * "lsa") for every tokenized review. The vocabulary and the projection
 * are fitted on the whole corpus when none exists, when the settings
 * changed, or when the corpus grew by more than a quarter since the last
 * fit; otherwise only reviews without vectors are transformed with the
 * stored fit. The vocabulary counts every review; the projection is
 * learned from lsa_sample of them (all if there are no more). Reviews
 * are read and written `batch` at a time: memory does not grow with the
 * corpus beyond the LSA sample. RL_EEMPTY if no review has tokens. One
 * transaction. */
RL_API int rl_vectorize(rl_db *db, const rl_vectorize_opts *o,
			rl_vectorize_stats *st);

/* ---- Neighbour graph ------------------------------------------------- */

typedef struct rl_graph_opts {
	rl_vectors vectors;	/* RL_VECTORS_AUTO */
	int auto_tfidf_below;	/* auto: tfidf below this many reviews,
				   lsa above; 50000 */
	int k;			/* neighbours per review; 10 */
	int exact_below;	/* brute force below this many reviews;
				   60000 */
	int pool;		/* NN-descent candidates per review; 0: 4k */
	int max_iters;		/* NN-descent rounds; 12 */
	int recall_sample;	/* reviews whose recall@k is measured
				   against brute force; 200 */
	int seed;		/* 1 */
	int threads;		/* 2 */
	rl_progress_fn progress;
	void *ctx;
	int compact_above;	/* NN-descent on LSA vectors keeps them as
				   int16 rows from this many reviews on
				   (half the memory; recall@10 0.969 at
				   10^6, float rows 0.968); 3000000 */
	int unused_;		/* zero */
	uint64_t reserved_[3];	/* zero; room for fields to come */
} rl_graph_opts;

RL_API void rl_graph_opts_init(rl_graph_opts *o);
RL_API int rl_graph_opts_set(rl_graph_opts *o, const char *assignment);

typedef struct rl_graph_stats {
	uint64_t reviews;	/* nodes in the graph */
	uint64_t edges;		/* stored neighbour rows */
	int exact;		/* built by brute force */
	int incremental;	/* refined an earlier graph */
	double recall;		/* measured recall@k; 1 if exact; -1 if
				   not measured */
	const char *vectors;	/* the kind used, static text */
	uint64_t changed;	/* refined (few reviews new): the reviews
				   whose lists were written again, the new
				   ones among them; recall then -1 */
	uint64_t rounds;	/* NN-descent's rounds (0: exact, or up
				   to date) */
	uint64_t capped;	/* 1 if its cap (max_iters) ended them
				   rather than too few updates: more
				   rounds would have gone on improving
				   the lists */
	uint64_t pool;		/* NN-descent's pool, candidates kept per
				   review (0: exact, or up to date) */
} rl_graph_stats;

/* Builds the k-nearest-neighbour graph (cosine) over the chosen vectors
 * and stores it in `neighbours`. RL_EEMPTY without vectors. */
RL_API int rl_graph(rl_db *db, const rl_graph_opts *o, rl_graph_stats *st);

/* ---- Labels and seeds ------------------------------------------------ */

/* Creates the label if it does not exist. Names are non-empty, without
 * tabs or line breaks, and do not start with '!' (which negates in rules
 * files). RL_EINVAL for a bad name. */
RL_API int rl_label_add(rl_db *db, const char *name);

/* One label with its counts: hand labels, and reviews whose final label
 * it is, by source. */
typedef struct rl_label_info {
	int64_t id;
	const char *name;
	uint64_t seeds;		/* hand labels */
	uint64_t rule_votes;	/* reviews a rule votes for it */
	uint64_t propagated;	/* reviews labelled by propagation */
	uint64_t model;		/* reviews labelled by a model */
	uint64_t cluster;	/* cluster-named labels (not hand labels) */
} rl_label_info;

typedef int (*rl_label_fn)(void *ctx, const rl_label_info *label);

/* Calls fn for every label, in name order. Strings are borrowed for the
 * duration of the call. */
RL_API int rl_labels(rl_db *db, rl_label_fn fn, void *ctx);

typedef int (*rl_label_name_fn)(void *ctx, const char *name);

/* Calls fn with every label no rule votes for: no rule of the label (a
 * `!label` rule votes against it) matches a review, of those the rules
 * have been matched against (rl_rules_apply; `revlab run` does it
 * first). Labels with hand labels come first, then the others, each in
 * name order; the name is borrowed for the call. One index look-up per
 * rule, so cheap at any size (rl_labels counts each label's reviews). A
 * nonzero return from fn stops the walk and is returned. */
RL_API int rl_labels_unruled(rl_db *db, rl_label_name_fn fn, void *ctx);

/* Gives review `ext_id` the hand label `label`, creating the label on
 * first use: in a single-label store it replaces any hand label the
 * review had; in a multi-label store it is added to the review's hand
 * labels (nothing changes if the review has it already). A cluster-named
 * label of the same label becomes a hand label. RL_ENOTFOUND for an
 * unknown id, RL_EINVAL for a bad label name. */
RL_API int rl_seed_set(rl_db *db, const char *ext_id, const char *label);

/* Removes every hand label of review `ext_id` (its one, in a single-label
 * store). RL_ENOTFOUND if it had none or the id is unknown. */
RL_API int rl_seed_unset(rl_db *db, const char *ext_id);

/* Removes the hand label `label` of review `ext_id` and leaves its others
 * (in a single-label store this is rl_seed_unset, when the label is the
 * review's). RL_ENOTFOUND for an unknown id or label, or if the review
 * does not carry that hand label (the detail names the id and the label,
 * and the hand labels the review has). */
RL_API int rl_seed_unset_label(rl_db *db, const char *ext_id,
			       const char *label);

typedef struct rl_seed_stats {
	uint64_t rows;		/* id/label lines read */
	uint64_t set;		/* hand labels set: the file's distinct
				   (review, label) pairs */
	uint64_t labels_created;
	uint64_t reserved_[4];	/* zero; room for fields to come */
} rl_seed_stats;

/* Loads hand labels from a file of `id<TAB>label` lines (TSV; CSV with
 * `id,label` when the name ends in .csv), an optional header line
 * `id<TAB>label` first; each line is as rl_seed_set (added in a
 * multi-label store, so a review listed with two labels has both). A line
 * repeating an earlier one is harmless. One transaction: an unknown id,
 * an empty or bad label, a malformed line, or in a single-label store a
 * second, different label for a review ("FILE:LINE: review ID already has
 * label A (line N)") is RL_EINPUT with FILE:LINE: message, nothing set. */
RL_API int rl_seed_file(rl_db *db, const char *path, rl_seed_stats *st);

/* ---- Annotators ------------------------------------------------------
 *
 * A hand label is given by an annotator: a name of at most 100 bytes of
 * UTF-8 without control characters or spaces at its ends, or "" for the
 * unnamed annotator (who gave every hand label of a store made before
 * annotators, and every one set through the functions above). The
 * library never picks a name itself (the CLI takes REVLAB_ANNOTATOR or
 * USER). Several annotators may label the same review; each one's
 * answers are kept (the store's table annotations), and the review's hand
 * labels, which everything else reads, follow from all of them: in a
 * single-label store the label most of the review's annotators gave, a
 * tie going to the tied label given last; in a multi-label store each
 * label more than half of the review's annotators gave (an annotator of
 * a review gave it at least one label), at exactly half on or off as the
 * annotator of the review's last answer has it. With one annotator that
 * is what they gave. RL_EINVAL for a bad annotator name. ABI: these
 * functions came after 0.4.0; none before changed. */

/* As rl_seed_set, as annotator `annotator` (NULL: the unnamed one): in
 * a single-label store it replaces that annotator's answer on the
 * review. */
RL_API int rl_seed_set_as(rl_db *db, const char *ext_id, const char *label,
			  const char *annotator);

/* As rl_seed_unset for one annotator's answers (annotator NULL:
 * everyone's, which is rl_seed_unset). RL_ENOTFOUND if they gave the
 * review none; the detail says who gave what. */
RL_API int rl_seed_unset_as(rl_db *db, const char *ext_id,
			    const char *annotator);

/* As rl_seed_unset_label for one annotator's answer (annotator NULL:
 * everyone's, which is rl_seed_unset_label). */
RL_API int rl_seed_unset_label_as(rl_db *db, const char *ext_id,
				  const char *label, const char *annotator);

/* As rl_seed_file, the lines' annotator `annotator` (NULL: the unnamed
 * one) unless a line names its own: after the header
 * `id<TAB>label<TAB>annotator` (commas in a .csv) a line may have a third
 * field, the annotator, an empty one meaning `annotator`; without that
 * header a third field is an error, as before.
 * In a single-label store the conflict refused is a second, different
 * label from the same annotator ("FILE:LINE: review ID already has label
 * A from NAME (line N)"); different annotators may disagree.
 * st->set counts the file's distinct (review, label, annotator)
 * answers. */
RL_API int rl_seed_file_as(rl_db *db, const char *path, const char *annotator,
			   rl_seed_stats *st);

/* How far the annotators agree (rl_agreement). A statistic that is
 * undefined (no shared review; every answer one and the same label) is
 * NaN. */
typedef struct rl_agreement_pair {
	uint32_t a, b;		/* annotator indices, a < b */
	uint64_t reviews;	/* reviews both labelled */
	uint64_t agree;		/* of those, given the same answer (the
				   same label set, in a multi-label store) */
	double kappa;		/* Cohen's kappa over those reviews */
} rl_agreement_pair;

/* A review its annotators answered differently: each annotator's answer
 * (labels joined by '|' in name order), and the hand label(s) it
 * resolved to, joined alike ("" for none). */
typedef struct rl_disagreement {
	const char *id;
	const char *resolved;
	uint32_t n;
	const uint32_t *annotators;	/* [n] indices, ascending */
	const char *const *answers;	/* [n] */
} rl_disagreement;

typedef struct rl_agreement_report {
	int multi;			/* a multi-label store */
	uint32_t n_annotators;
	const char *const *annotators;	/* [n_annotators] byte order; ""
					   is the unnamed annotator */
	const uint64_t *labelled;	/* [n_annotators] reviews each
					   labelled */
	uint32_t n_labels;
	const char *const *labels;	/* [n_labels], those annotators
					   gave, by name */
	uint64_t reviews;	/* reviews with a hand label from anyone */
	uint64_t shared;	/* of those, labelled by two or more */
	uint64_t n_answers;	/* (review, annotator) pairs */
	/* Overall: Krippendorff's alpha (nominal), over the shared
	 * reviews; in a multi-label store over (review, label) units,
	 * each label given or not by each annotator of the review. */
	double alpha;
	uint32_t n_pairs;
	/* [n_pairs] every two annotators, (0,1), (0,2) ... by index */
	const rl_agreement_pair *pairs;
	/* Per label, each as a yes/no question on the reviews (single-
	 * label: "is the answer l?"): alpha [n_labels] and each pair's
	 * kappa [n_labels][n_pairs]. */
	const double *label_alpha;
	const double *label_kappa;
	size_t n_disagreements;
	const rl_disagreement *disagreements;	/* import order */
} rl_agreement_report;

/* Measures the agreement of the annotators of the store's hand labels
 * (only reviews two or more of them labelled count) into *out, which the
 * caller frees with rl_agreement_free. Reads the store, changes nothing.
 * RL_EEMPTY when no hand label has an annotation. */
RL_API int rl_agreement(rl_db *db, rl_agreement_report **out);

/* Frees a report of rl_agreement; NULL is harmless. */
RL_API void rl_agreement_free(rl_agreement_report *a);

/* Orders in which to offer reviews for hand labelling. */
typedef enum rl_order {
	RL_ORDER_RANDOM = 0	/* a seeded shuffle of the unlabelled */
} rl_order;

typedef struct rl_review_info {
	const char *ext_id;
	const char *text;
} rl_review_info;

typedef int (*rl_review_info_fn)(void *ctx, const rl_review_info *r);

/* Calls fn for up to `limit` reviews without a hand label, in `order`
 * (the same seed gives the same order). Strings are borrowed for the
 * duration of the call. */
RL_API int rl_unlabelled(rl_db *db, rl_order order, uint64_t seed,
			 size_t limit, rl_review_info_fn fn, void *ctx);

/* Calls fn for up to `limit` reviews that another annotator labelled and
 * `annotator` (NULL: the unnamed one) has not, in a seeded shuffle as
 * rl_unlabelled: the reviews a second opinion is wanted on, to measure
 * agreement. The others' answers are not handed over (a blind second
 * look). Strings are borrowed for the duration of the call. */
RL_API int rl_second_opinions(rl_db *db, const char *annotator, uint64_t seed,
			      size_t limit, rl_review_info_fn fn, void *ctx);

/* ---- Rules ----------------------------------------------------------- */

typedef struct rl_rules_opts {
	int create_labels;	/* unknown labels are created, not errors */
	rl_progress_fn progress;
	void *ctx;
	int threads;		/* reviews matched at once; 0: 2. The hits
				   are the same for any count. (Taken from
				   the reserved words: a caller that zeroed
				   them gets 2.) */
	uint64_t reserved_[3];	/* zero; room for fields to come */
} rl_rules_opts;

typedef struct rl_rules_stats {
	uint64_t rules;		/* in the new rule set */
	uint64_t kept;		/* unchanged patterns whose hits were kept */
	uint64_t matched;	/* rules matched against the reviews */
	uint64_t reviews;	/* reviews matched against the rules */
	uint64_t hits;		/* new (rule, review) hits */
	uint64_t reserved_[4];	/* zero; room for fields to come */
} rl_rules_stats;

/* Replaces the rule set with the rules file at `path`, atomically: a bad
 * line (FILE:LINE:COLUMN: message), an unknown label or a pattern that
 * fails on some review (the review's id is named) leaves the previous rule
 * set and its hits as they were. Rules whose pattern is unchanged keep
 * their hits; only new patterns are matched against the reviews. */
RL_API int rl_rules_load(rl_db *db, const char *path,
			 const rl_rules_opts *o, rl_rules_stats *st);

/* Matches the rule set against reviews it has not seen yet. */
RL_API int rl_rules_apply(rl_db *db, const rl_rules_opts *o,
			  rl_rules_stats *st);

/* Quality of one rule. precision is its share of correct votes on the
 * hand-labelled reviews it matches (-1 if it matches none), with a 95%
 * Wilson interval; a rule `!x` is correct where the seed is not x. */
typedef struct rl_rule_report {
	int64_t id;
	int line;
	char *label;
	int negate;
	char *pattern;
	double weight;
	uint64_t hits;		/* reviews matched */
	uint64_t overlaps;	/* of those, matched by another rule too */
	uint64_t conflicts;	/* of those, another rule votes otherwise */
	uint64_t seed_hits;	/* hand-labelled reviews matched */
	uint64_t seed_correct;
	double precision, ci_low, ci_high;
	unsigned lint;		/* RL_LINT_* findings, by rl_rules_lint */
	int subset_of;		/* RL_LINT_REDUNDANT: line of the rule whose
				   hits hold all of this one's, else 0 */
	char *source;		/* rules file it came from, or "" */
} rl_rule_report;

typedef struct rl_rules_report {
	size_t n;		/* rules, in file order */
	rl_rule_report *rules;
	uint64_t reviews;	/* in the store */
	uint64_t covered;	/* matched by at least one rule */
	uint64_t conflicted;	/* with votes that disagree */
	uint64_t *overlap;	/* [n][n] reviews matched by both */
	uint64_t *conflict;	/* [n][n] reviews where the two disagree */
} rl_rules_report;

/* Computes the report from the stored hits and seeds; free it with
 * rl_rules_report_free. */
RL_API int rl_rules_report_get(rl_db *db, rl_rules_report **out);
RL_API void rl_rules_report_free(rl_rules_report *r);

/* What `rules lint` finds in a rule set. */
enum {
	RL_LINT_NEVER = 1,	/* matches no review */
	RL_LINT_REDUNDANT = 2,	/* every review it matches, a rule with the
				   same label and sign matches too (of two
				   with the same hits, the later one) */
	RL_LINT_BROAD = 4	/* matches more than max_coverage of the
				   reviews and its precision's lower bound
				   is under min_precision, or no hand label
				   says how precise it is */
};

typedef struct rl_lint_opts {
	double max_coverage;	/* share of the reviews; 0.30 */
	double min_precision;	/* Wilson lower bound on the hand labels;
				   0.5 */
	uint64_t reserved_[4];	/* zero; room for fields to come */
} rl_lint_opts;

RL_API void rl_lint_opts_init(rl_lint_opts *o);

/* Sets each rule's lint and subset_of in r from its counts (NULL o: the
 * defaults; rl_rules_report_get applies them) and returns the number of
 * rules with a finding. */
RL_API size_t rl_rules_lint(rl_rules_report *r, const rl_lint_opts *o);

/* One stored hit: review, its text (borrowed) and the first match's byte
 * range, and its hand label if any (NULL). */
typedef struct rl_hit_info {
	const char *ext_id;
	const char *text;
	size_t start, end;
	const char *seed;
} rl_hit_info;

typedef int (*rl_hit_fn)(void *ctx, const rl_hit_info *hit);

/* Calls fn for the reviews matched by the rule on line `line` of the
 * rules file; with wrong_only, only hand-labelled reviews the rule gets
 * wrong. RL_ENOTFOUND if no rule is on that line. */
RL_API int rl_rule_hits(rl_db *db, int line, int wrong_only, rl_hit_fn fn,
			void *ctx);

/* ---- Propagation ----------------------------------------------------- */

typedef struct rl_propagate_opts {
	double alpha;		/* weight of the neighbours vs own evidence;
				   0.5 */
	double tol;		/* stop when no score moves more; 1e-6 */
	int max_iter;		/* 200 */
	double rule_strength;	/* a rule vote's weight next to a seed's 1;
				   0.5 */
	double cluster_strength;	/* evidence of a cluster-named label,
					   not clamped; 1 */
	rl_vote rule_vote;	/* RL_VOTE_WEIGHTED */
	rl_prior class_prior;	/* RL_PRIOR_AUTO: the one labelling last
				   used, else seeds */
	double min_confidence;	/* abstain below this; 0 */
	int neighbours;		/* nearest neighbours used per review, of
				   those the graph stored; 0: the count
				   labelling last used, else all */
	int threads;		/* 2 */
	rl_progress_fn progress;
	void *ctx;
	uint64_t reserved_[4];	/* zero; room for fields to come */
} rl_propagate_opts;

RL_API void rl_propagate_opts_init(rl_propagate_opts *o);
RL_API int rl_propagate_opts_set(rl_propagate_opts *o,
				 const char *assignment);

typedef struct rl_propagate_stats {
	uint64_t reviews;	/* nodes */
	uint64_t seeds;		/* clamped hand labels */
	uint64_t cluster_seeds;	/* cluster-named labels, as evidence */
	uint64_t labelled;	/* reviews given a label */
	uint64_t abstained;	/* no evidence reached them, or too unsure */
	uint64_t rule_only;	/* labelled with rule votes as the only
				   evidence they had themselves */
	uint32_t iterations;
	uint64_t reserved_[4];	/* zero; room for fields to come */
} rl_propagate_stats;

/* Spreads the hand labels (clamped), cluster-named labels (soft evidence
 * of cluster_strength, not clamped) and rule votes (soft evidence, each
 * weighted by the rule's weight and its precision on the hand labels)
 * over the neighbour graph, and stores each review's label scores and
 * its label, confidence and margin (source 'seed' or 'propagation'; a
 * review with a cluster-named label keeps it, source 'cluster').
 * RL_EEMPTY without hand or cluster-named labels or without a graph. One
 * transaction. */
RL_API int rl_propagate(rl_db *db, const rl_propagate_opts *o,
			rl_propagate_stats *st);

/* ---- Evaluation and the choice of method ----------------------------- */

/* The ways revlab can combine evidence into labels, and after them two
 * baselines that evaluation scores beside them (in the same folds, by the
 * same code) so a user sees what the pipeline adds; a baseline is never
 * chosen and does not label (rl_label_with refuses it). ABI: 0.4.0 added
 * the baselines, so RL_METHOD_COUNT went from 4 to 6 and with it the
 * arrays rl_eval_report.methods and rl_curve_point.macro_f1, which moved
 * the fields of rl_eval_report after methods: the one exception to its
 * growing at the end, made with the bump to 0.4.0; build again against
 * 0.4. */
typedef enum rl_method {
	RL_METHOD_RULES = 0,	/* rule votes alone, weighted by precision */
	RL_METHOD_PROPAGATION,	/* label spreading of seeds and rule votes */
	RL_METHOD_MODEL,	/* logistic regression on TF-IDF + LSA,
				   trained on the propagated soft labels */
	RL_METHOD_BLEND,	/* model and propagation as a product of
				   experts, each on a common scale */
	RL_METHOD_MAJORITY,	/* baseline: the rules that match a review,
				   one vote each (a `!label` rule's vote
				   spread over the other labels), weights
				   and precision ignored; a tie for the
				   most votes or no match abstains */
	RL_METHOD_SEEDS,	/* baseline: the classifier trained on the
				   hand labels alone, without rules,
				   propagation or cluster-named labels */
	RL_METHOD_COUNT
} rl_method;

/* The methods below this are the candidates `revlab run` chooses among
 * (rl_eval_report.best and top); the rest are baselines. */
#define RL_METHOD_CANDIDATES 4

RL_API const char *rl_method_name(rl_method m);

typedef struct rl_eval_opts {
	rl_classifier model;	/* RL_CLASSIFIER_AUTO: the store's
				   default (RL_CLASSIFIER_CHOOSE:
				   `revlab run` picks by
				   cross-validation) */
	int folds;		/* cross-validation folds over the seeds; 5 */
	int seed;		/* of the fold assignment; 1 */
	double l2;		/* logreg: L2 strength; 3 */
	int max_iter;		/* logreg: L-BFGS iterations; 200 */
	double tol;		/* logreg: stop once the last 10 iterations
				   lowered the loss by less than this
				   fraction of it; 0.001 */
	double smoothing;	/* nb, cnb: additive smoothing; 0.1 */
	int threads;		/* 2 */
	double temperature;	/* the model's probabilities are
				   softmax(logits / temperature); 1 */
	int max_per_label;	/* learning curves: train each fold on at
				   most this many seeds per label; 0: all */
	rl_progress_fn progress;	/* rl_train and rl_label_with report
					   "train" (iterations) and "write"
					   (reviews); NULL */
	void *ctx;
	int curve;		/* also a learning curve: the methods
				   trained on 1, 2, 3, 5, 8, 10, ... seeds
				   per label; 0 */
	int save;		/* store the report in the evals table for
				   `revlab report`; 1 */
	rl_propagate_opts prop;	/* propagation inside each fold */
	/* rl_label_with: the confidences of a way of labelling other than
	 * the model (whose own is `temperature`) tempered by this, as
	 * rl_eval_report's method_temperature fits them; 0 or 1: as they
	 * are. */
	double label_temperature;
	/* In a multi-label store, a review is given every label whose
	 * probability reaches the label's threshold, and its likeliest
	 * when none does: thresholds [n_labels] are the classifier's (kept
	 * with the model for predict, used by rl_train and by rl_label_with
	 * with the model), label_thresholds those of another way of
	 * labelling, both as rl_eval_report chose them
	 * (rl_multi_score.threshold); NULL: 0.5 for every label. Ignored
	 * in a single-label store. Borrowed. */
	const double *thresholds;
	const double *label_thresholds;
	/* In a multi-label store the model adds the rules' evidence to the
	 * classifier's, the way naive Bayes adds evidence: per label, the
	 * log-odds the rules for it move the label by on the hand labels,
	 * where they fire and where they keep silent, times this weight;
	 * 1 (0: the classifier alone). The model file carries the rules,
	 * so new reviews get the same. */
	double rule_weight;
	/* Self-training, in a single-label store: the classifier trained
	 * on propagation's labels labels the reviews it trained on, and is
	 * trained again on a mix of those labels and propagation's, this
	 * the share of its own (each review weighed by how sure the mix
	 * is; hand labels stay as given, held-out ones out); 0.5 (0:
	 * trained once). Multi-label stores train once. */
	double self_train;
	uint64_t reserved_[4];	/* zero; room for fields to come */
} rl_eval_opts;

RL_API void rl_eval_opts_init(rl_eval_opts *o);
/* Sets one of the "train" parameters (model, folds, seed, l2, max_iter,
 * smoothing, threads) from "name=value". */
RL_API int rl_eval_opts_set(rl_eval_opts *o, const char *assignment);

/* Equal-width confidence bins of the reliability diagram. */
#define RL_CALIB_BINS 10

/* The held-out answers whose confidence fell in one bin: how many, their
 * mean confidence and the share that was right (both 0 when n is 0). */
typedef struct rl_calib_bin {
	uint64_t n;
	double confidence;
	double accuracy;
} rl_calib_bin;

typedef struct rl_method_score {
	double accuracy;	/* on held-out hand labels; abstain = wrong */
	double macro_f1;
	double coverage;	/* share of held-out seeds given a label */
	double ece;		/* expected calibration error of the
				   confidence, over the bins below */
	rl_calib_bin bins[RL_CALIB_BINS];	/* bin b: [b/10, (b+1)/10) */
	double *precision, *recall, *f1;	/* [n_labels] */
	uint64_t *confusion;	/* [n_labels][n_labels], gold x predicted */
} rl_method_score;

/* One point of a learning curve: macro-F1 of each method when every fold
 * trains on at most per_label seeds of each label. */
typedef struct rl_curve_point {
	uint32_t per_label;
	double macro_f1[RL_METHOD_COUNT];
} rl_curve_point;

/* What a multi-label store's evaluation adds per method. Thresholds are
 * chosen per label on out-of-fold probabilities to maximise the label's
 * F1; each fold is scored with thresholds chosen on the other folds only,
 * so no held-out hand label picks the threshold it is scored with;
 * threshold is then chosen on all folds, for labelling. */
typedef struct rl_multi_score {
	double micro_f1;	/* F1 over all (review, label) decisions */
	double hamming;		/* share of (review, label) pairs wrong */
	double cardinality;	/* labels per held-out review given */
	double gold_cardinality;	/* hand labels per held-out review */
	double *threshold;	/* [n_labels], on tempered probabilities */
} rl_multi_score;

typedef struct rl_eval_report {
	uint32_t n_labels;
	char **labels;		/* [n_labels] */
	uint32_t folds;
	uint64_t seeds;
	uint32_t min_per_label;	/* fewest seeds of any label */
	/* [RL_METHOD_COUNT], by rl_method: the baselines too */
	rl_method_score methods[RL_METHOD_COUNT];
	/* The choice, by the one-standard-error rule: of the methods whose
	 * macro-F1 is within se of the top one's, the first in the order
	 * model, blend, propagation, rules (the model first: on the
	 * development suite its labels of the corpus beat the blend's on
	 * every file). With few hand labels the scores' differences are mostly
	 * noise, and the rule keeps to the robust choice. Only the
	 * candidates (below RL_METHOD_CANDIDATES) are chosen, never a
	 * baseline. */
	rl_method best;
	rl_method top;		/* highest macro-F1 of the candidates */
	double se;		/* its standard error, rl_eval_se */
	/* Temperature scaling of the model, fitted on its held-out
	 * predictions (out of sample), and its calibration error after. */
	double temperature;
	double model_ece_calibrated;
	rl_calib_bin model_calibrated[RL_CALIB_BINS];
	rl_classifier model;	/* the classifier scored (never auto) */
	size_t n_curve;		/* learning curve (opts curve), or 0 */
	rl_curve_point *curve;	/* [n_curve], fewest seeds first */
	int64_t id;		/* its row in evals once saved, else 0 */
	/* Each method's temperature, fitted like the model's on its own
	 * held-out answers (abstentions left out), so the confidence the
	 * labelling stores means the share that is right. */
	double method_temperature[RL_METHOD_COUNT];
	/* A multi-label store's report (multi 1): every method's
	 * probabilities are per label, independent, and a review gets every
	 * label whose probability reaches the label's threshold (its
	 * likeliest when none does). methods[m] then holds macro-F1 over
	 * labels, per-label precision, recall and F1, accuracy as the
	 * exact-match ratio (all of a review's labels right), coverage as
	 * the share of held-out reviews given any label, calibration over
	 * (review, label) pairs, and confusion[g][p] counting reviews that
	 * carry hand label g and were given p; multi_scores[m] the rest. */
	int multi;
	rl_multi_score multi_scores[RL_METHOD_COUNT];
	/* The corpus's reviews (with vectors), and how many of them the
	 * cross-validation worked on: all, or past 100,000 a sample of
	 * about 100,000 (the hand-labelled reviews, their neighbourhood
	 * in the graph and an even draw of the rest). Added after 0.4.0. */
	uint64_t reviews;
	uint64_t sampled;
} rl_eval_report;

/* Cross-validates every method and baseline on the hand labels: in each
 * fold the held-out seeds are hidden from every step that is scored (rule
 * quality, propagation, class shares, training). Cluster-named labels are
 * evidence in every fold and never scored: they were made from the same
 * data, so they are not gold. Labels, rules, models and assignments stay
 * as they were; with o->save the report is added to the evals table (and
 * a run to runs) in a short transaction of its own.
 * RL_EEMPTY without a graph or with fewer than 2 seeds per label for 2
 * folds. */
RL_API int rl_eval(rl_db *db, const rl_eval_opts *o, rl_eval_report **out);
RL_API void rl_eval_report_free(rl_eval_report *r);

/* Adds the report to the evals table, as the JSON of
 * rl_eval_report_json, and sets r->id; one transaction. For a report made
 * with save off, e.g. the one `revlab run` picks its method by. */
RL_API int rl_eval_save(rl_db *db, rl_eval_report *r);

/* The report as one line of JSON (what `revlab eval --json` prints and
 * the evals table holds): counts, the label names, per method (keyed by
 * rl_method_name; a baseline's with "baseline":true) its scores,
 * per-label precision, recall and F1, confusion matrix and reliability
 * bins, the calibrated model's bins, and the learning curve if any.
 * *out is NUL-terminated; free it with free(). */
RL_API int rl_eval_report_json(const rl_eval_report *r, char **out);

/* Labels every review with method m using all hand labels, replacing the
 * assignments of the previous labelling (sources rule, propagation,
 * model); hand labels stay 'seed'. RL_EINVAL for a baseline
 * (RL_METHOD_MAJORITY, RL_METHOD_SEEDS): those are for comparison. */
RL_API int rl_label_with(rl_db *db, rl_method m, const rl_eval_opts *o,
			 uint64_t *labelled);

/* Trains the classifier (as RL_METHOD_MODEL does) on the propagated
 * labels of all hand labels and stores it with its predictions for the
 * corpus, leaving the assignments alone: what `predict` uses. */
RL_API int rl_train(rl_db *db, const rl_eval_opts *o);

/* One prediction: the review's id, its `n` most likely labels, best
 * first, and their probabilities. Borrowed for the callback. */
typedef struct rl_prediction {
	const char *id;
	const char *const *labels;
	const double *confidence;
	int n;
} rl_prediction;

typedef int (*rl_prediction_fn)(void *ctx, const rl_prediction *p);

/* Labels the reviews of a file (any import format; `io` as for import,
 * NULL for defaults) that are not in the corpus, with model `model` (0:
 * the newest), calling fn once per review in file order with its `top`
 * labels. The file is checked whole before the first call, so a bad file
 * yields no prediction. *n gets the count. The same as rl_model_get then
 * rl_predict_file_model. */
RL_API int rl_predict_file(rl_db *db, const char *path,
			   const rl_import_opts *io, int64_t model, int top,
			   rl_prediction_fn fn, void *ctx, uint64_t *n);

/* Calls fn with the stored prediction of model `model` (0: the newest)
 * for every review of the corpus, in import order, top label only. */
RL_API int rl_predictions(rl_db *db, int64_t model, rl_prediction_fn fn,
			  void *ctx);

/* ---- The whole job -------------------------------------------------- */

/* The steps of rl_run, in the order of their numbers; they are reported
 * as they end, which puts RL_STEP_PROPAGATE after RL_STEP_SETTINGS. */
typedef enum rl_run_step {
	RL_STEP_TOKENIZE = 0,
	RL_STEP_VECTORIZE,
	RL_STEP_GRAPH,
	RL_STEP_RULES,		/* the rule set matched against new reviews */
	RL_STEP_PROPAGATE,	/* what the labelling's spreading reached:
				   reported after the choosing (it spreads
				   with the chosen settings), and not when
				   nothing spread (no hand labels, the
				   rules alone, a reused choice) */
	RL_STEP_SETTINGS,	/* propagation's settings chosen */
	RL_STEP_CLASSIFIER,	/* the classifier chosen */
	RL_STEP_LABEL,		/* the way of labelling chosen, and used */
	RL_STEP_COUNT
} rl_run_step;

typedef struct rl_run_report rl_run_report;

/* Called after each step that ran, with the report so far (borrowed for
 * the call): lets a caller show what was done as it is done. It may be
 * called inside a stage's open transaction (RL_STEP_PROPAGATE is told
 * from inside labelling's): it must not use the store's handle, and
 * a step told may still be rolled back if a later part of its stage
 * fails (rl_run then returns the failure, and the report's `ran` no
 * longer shows it). */
typedef void (*rl_run_step_fn)(void *ctx, rl_run_step step,
			       const rl_run_report *r);

typedef struct rl_run_opts {
	rl_tokenize_opts tok;
	rl_vectorize_opts vec;
	rl_graph_opts graph;
	rl_propagate_opts prop;	/* class_prior RL_PRIOR_AUTO and
				   neighbours 0 are chosen by
				   cross-validation */
	rl_eval_opts train;	/* model RL_CLASSIFIER_CHOOSE is chosen
				   likewise */
	rl_progress_fn progress;	/* given to every stage; NULL */
	rl_run_step_fn step;	/* NULL */
	void *ctx;		/* passed to both */
	uint64_t reserved_[4];	/* zero; room for fields to come */
} rl_run_opts;

/* Fills every stage's defaults. */
RL_API void rl_run_opts_init(rl_run_opts *o);

/* Sets "[stage.]name=value": with a stage (tokenize, vectorize, graph,
 * propagate, train) in that stage's options; without one, in every
 * stage that has a parameter of that name. RL_EINVAL for an unknown
 * name or a bad value, before any work. */
RL_API int rl_run_opts_set(rl_run_opts *o, const char *assignment);

/* One candidate setting of propagation that run scored: the best
 * cross-validated macro-F1 of the ways that use the graph, and its
 * standard error. */
typedef struct rl_run_setting {
	int neighbours;
	rl_prior class_prior;	/* seeds or uniform */
	double macro_f1, se;
} rl_run_setting;

/* One candidate classifier: its model's cross-validated macro-F1. */
typedef struct rl_run_classifier {
	rl_classifier kind;	/* never auto */
	double macro_f1, se;
} rl_run_classifier;

#define RL_RUN_MAX_SETTINGS 16
#define RL_RUN_MAX_CLASSIFIERS 3

/* What run did and chose, and why. The library allocates it, so fields
 * added at the end in later versions do not change the layout that
 * older callers read. */
struct rl_run_report {
	int ran[RL_STEP_COUNT];		/* the step ran */
	double seconds[RL_STEP_COUNT];	/* its wall time */
	rl_tokenize_stats tokenize;
	rl_vectorize_stats vectorize;
	int dim;			/* LSA dimensions used */
	rl_graph_stats graph;
	int graph_k;			/* neighbours per review stored */
	rl_rules_stats rules;
	rl_propagate_stats propagate;
	/* Propagation's settings: the candidates in order of preference
	 * (none when there was nothing to choose), scored with the
	 * classifier settings_model, and the index taken. */
	size_t n_settings;
	rl_run_setting settings[RL_RUN_MAX_SETTINGS];
	size_t setting_chosen;
	rl_classifier settings_model;	/* never auto */
	/* The classifiers (none when the caller named one). */
	size_t n_classifiers;
	rl_run_classifier classifiers[RL_RUN_MAX_CLASSIFIERS];
	size_t classifier_chosen;
	/* The choice of the way of labelling, by the one-standard-error
	 * rule on the cross-validation eval (owned by the report; NULL when
	 * the hand labels were too few to cross-validate, and then
	 * `why_not` says why and propagation's labels stay). */
	rl_eval_report *eval;
	char why_not[256];
	rl_method method;
	rl_classifier model;		/* the classifier used (auto
					   when none was chosen) */
	int neighbours;			/* propagation's, as used */
	rl_prior class_prior;		/* as used (auto when none
					   was chosen) */
	double temperature;		/* the model's calibration */
	uint64_t labelled;		/* reviews labelled */
	int model_stored;		/* a model for predict was stored */
	/* Nothing a labelling depends on changed since the last run that
	 * labelled (corpus, hand labels, rules, fits, options): propagation,
	 * the choices and the labelling were skipped, and the store's labels
	 * and model are those of that run. */
	int up_to_date;
	/* The hand labels, rules, fits and options were those the stored
	 * choice rests on (made at `reused_when`, UTC), on a corpus grown
	 * by at most a quarter since: its way of labelling, classifier,
	 * neighbours, class shares and calibration were taken without
	 * propagating and cross-validating again (eval NULL). new_only:
	 * only what changed was labelled, the rest kept: with the model
	 * the reviews without a label (the new ones), by the stored model;
	 * with propagation or the blend, started from the stored spread,
	 * also those whose neighbours changed or whose distribution moved;
	 * else every review, as chosen. Added after 0.4.0. */
	int reused;
	char reused_when[32];
	int new_only;
};

/* The whole job that exists, each stage redoing only what its changed
 * inputs need: tokenize, vectorize, graph, match the rules against new
 * reviews; then, given hand labels (or cluster-named ones): propagate
 * (its counts reported, nothing written: the labelling below writes every
 * review), choose propagation's open settings (neighbours per review, class
 * shares), the classifier and the way of combining evidence by
 * cross-validation on the hand labels (each fold's held-out labels hidden
 * from rule quality, propagation and training; the one-standard-error
 * rule over a fixed order of preference, see rl_eval_report.best), label
 * every review with it and store a model for prediction. Each stage is
 * one transaction: a failure leaves the stages before it done and the
 * failing one undone. RL_EEMPTY for a store without reviews. *out gets
 * the report (also on some failures, with what was done), freed with
 * rl_run_report_free. */
RL_API int rl_run(rl_db *db, const rl_run_opts *o, rl_run_report **out);
RL_API void rl_run_report_free(rl_run_report *r);

/* ---- Models ---------------------------------------------------------- */

/* A trained labeller that lives without the store: tokenizer settings
 * and the lexicons' contents, the vocabulary with its idf, the TF-IDF
 * settings, the LSA projection, the classifier's weights and calibration
 * (temperature), and the label names: all that prediction uses, so a
 * model predicts exactly what the store would, with no store and no
 * lexicon folder. Nothing in it changes once made: threads may predict
 * with one model at once. */
typedef struct rl_model rl_model;

/* The store's model `id` (0: the newest) as a model object. Reads the
 * lexicon files the store's tokens were made with. RL_ENOTFOUND without
 * such a model; RL_EINPUT if the store's vectors or lexicons changed
 * since it was trained (it would not predict what it learned). The
 * detail is in rl_db_errmsg(db). Free *out with rl_model_free. */
RL_API int rl_model_get(rl_db *db, int64_t id, rl_model **out);

/* Writes the model to the file at `path`, atomically: to a temporary
 * file beside it, synced and renamed, so a failure leaves no file (and
 * an older one at `path` untouched). The file is one standalone binary
 * (see model.c) of a few bytes per vocabulary term and LSA weight. On
 * failure writes a message naming the file into err (errlen bytes; err
 * may be NULL) and returns RL_EIO or RL_ENOMEM. */
RL_API int rl_model_save(const rl_model *m, const char *path, char *err,
			 size_t errlen);

/* Reads a model file written by rl_model_save. The file is untrusted:
 * every length, count and index is checked. A file that is not a model
 * is RL_EINPUT ("FILE: not a revlab model file"), one of another format
 * version RL_EVERSION (saying both versions), a damaged or cut one
 * RL_EINPUT ("FILE: damaged: checksum mismatch", "FILE: truncated"); an
 * unreadable one RL_EIO. Messages go to err as for rl_model_save. */
RL_API int rl_model_load(const char *path, rl_model **out, char *err,
			 size_t errlen);

/* Frees the model; NULL is harmless. */
RL_API void rl_model_free(rl_model *m);

/* The number of labels, and label i's name (borrowed from the model; NULL
 * for i past the last). Predictions index into this order. */
RL_API size_t rl_model_n_labels(const rl_model *m);
RL_API const char *rl_model_label(const rl_model *m, size_t i);

/* A multi-label model's per-label thresholds [rl_model_n_labels]
 * (borrowed): its probabilities are then per label and independent, and
 * a text is given every label whose probability reaches the label's
 * threshold (its likeliest when none does). NULL for a single-label
 * model, whose probabilities are a distribution over the labels. */
RL_API const double *rl_model_thresholds(const rl_model *m);

/* The rules a multi-label model adds to its classifier's evidence, and
 * (weight not NULL) the weight they are added at; 0 when it adds none. */
RL_API size_t rl_model_rules(const rl_model *m, double *weight);

/* The classifier: "logreg", "nb", "cnb" or "pool" (borrowed). */
RL_API const char *rl_model_kind(const rl_model *m);

/* What a model holds, for display. Strings are borrowed from the model. */
typedef struct rl_model_info {
	const char *kind;	/* as rl_model_kind */
	const char *made_by;	/* revlab version that made the model
				   object (for a loaded one: that wrote
				   the file) */
	const char *created;	/* when the store trained it, UTC */
	int64_t store_id;	/* its id in the store it came from */
	const char *language;	/* of the lexicons */
	int stopwords, stem, negation, min_len;	/* tokenizer settings
						   (negation 0-2, as
						   rl_tokenize_opts) */
	uint32_t n_labels;
	uint32_t n_terms;	/* words the features are made of */
	uint32_t n_features;	/* TF-IDF columns: unigrams, bigrams */
	int ngram_max, sublinear;	/* TF-IDF settings */
	uint32_t dim;		/* LSA dimensions */
	double temperature;	/* calibration: softmax(logits / t) */
} rl_model_info;

RL_API void rl_model_describe(const rl_model *m, rl_model_info *info);

/* Labels n texts (texts[i] of lens[i] bytes of UTF-8; lens NULL: each is
 * NUL-terminated). labels and conf are [n][top], row-major: each text's
 * `top` (1 to rl_model_n_labels) likeliest labels, best first (ties by
 * label index), as indexes into the model's labels, with their
 * probabilities: the same as prediction through the store. A text of no
 * known word still gets the model's answer. Const on the model; every
 * call has scratch of its own, so threads may share a model. A text that
 * is not UTF-8 fails the call with RL_EINPUT before anything is labelled
 * ("text 17: not valid UTF-8", counting from 0); RL_EINVAL for a bad
 * argument; messages go to err as for rl_model_save. */
RL_API int rl_model_predict(const rl_model *m, const char *const *texts,
			    const size_t *lens, size_t n, int top,
			    int32_t *labels, double *conf, char *err,
			    size_t errlen);

/* rl_predict_file with a model instead of a store: labels the reviews of
 * the file at `path` (`io` as for import, NULL for defaults), calling fn
 * once per review in file order with its `top` labels (at least 1, at
 * most the model's labels). The file is checked whole first, so a bad
 * file yields no prediction ("FILE:LINE: ..." in err). Stops early and
 * returns fn's value if it is non-zero. *n (n may be NULL) gets the
 * count of reviews labelled. */
RL_API int rl_predict_file_model(const rl_model *m, const char *path,
				 const rl_import_opts *io, int top,
				 rl_prediction_fn fn, void *ctx, uint64_t *n,
				 char *err, size_t errlen);

/* ---- Clusters -------------------------------------------------------- */

typedef struct rl_clusters_opts {
	int k;			/* clusters; 0: chosen by silhouette; 0 */
	int max_k;		/* largest k tried when choosing; 20 */
	int sample;		/* reviews the choice of k is measured on;
				   2000 */
	int restarts;		/* seedings tried, the best kept; 3 */
	int max_iter;		/* Lloyd iterations at most; 100 */
	int terms;		/* distinctive terms kept per cluster; 10 */
	rl_vectors vectors;	/* as for the graph; RL_VECTORS_AUTO */
	int auto_tfidf_below;	/* auto: tfidf below this many reviews;
				   50000 */
	int seed;		/* of the k-means++ seeding and sample; 1 */
	int threads;		/* 2 */
	rl_progress_fn progress;
	void *ctx;
	uint64_t reserved_[4];	/* zero; room for fields to come */
} rl_clusters_opts;

RL_API void rl_clusters_opts_init(rl_clusters_opts *o);
RL_API int rl_clusters_opts_set(rl_clusters_opts *o, const char *assignment);

#define RL_CLUSTERS_TRIED 16

typedef struct rl_clusters_stats {
	uint32_t k;		/* clusters made */
	int chosen;		/* k was chosen by silhouette */
	uint64_t reviews;	/* reviews clustered */
	uint64_t unclustered;	/* without a vector or with an empty one */
	uint32_t iterations;	/* Lloyd iterations of the kept run */
	int converged;		/* assignments stopped changing */
	double similarity;	/* mean cosine of a review to its centroid */
	double silhouette;	/* mean silhouette (cosine) of the result */
	const char *vectors;	/* the kind used, static text */
	uint32_t n_tried;	/* when chosen: the candidates, with the
				   mean silhouette on the sample */
	uint32_t tried_k[RL_CLUSTERS_TRIED];
	double tried_silhouette[RL_CLUSTERS_TRIED];
	uint64_t reserved_[4];	/* zero; room for fields to come */
} rl_clusters_stats;

/* Clusters the review vectors by spherical k-means (k-means++ seeding,
 * fixed seed: same store and options, same clusters) and replaces the
 * stored clustering: per cluster its size and most distinctive terms
 * (TF-IDF weight above the corpus mean), per review its cluster and
 * cosine to the centroid. Clusters are numbered from 0, largest first.
 * With k = 0 the k with the best mean silhouette among 2, 3, 4, 5, 6, 8,
 * 10, 12, 15, 20 (up to max_k) on a sample is used. RL_EEMPTY without
 * vectors, RL_EINVAL for a k above the reviews with features. One
 * transaction. */
RL_API int rl_clusters(rl_db *db, const rl_clusters_opts *o,
		       rl_clusters_stats *st);

/* One stored cluster: its terms (borrowed, most distinctive first, also
 * as the stored JSON array). */
typedef struct rl_cluster_info {
	int64_t id;
	uint64_t size;
	const char *const *terms;
	size_t n_terms;
	const char *terms_json;
} rl_cluster_info;

typedef int (*rl_cluster_fn)(void *ctx, const rl_cluster_info *c);

/* Calls fn for every stored cluster, by number. RL_ENOTFOUND before the
 * first `rl_clusters`. */
RL_API int rl_clusters_each(rl_db *db, rl_cluster_fn fn, void *ctx);

/* A review of a cluster: its cosine to the centroid and the label it
 * carries, if any (a hand label first; origin "hand" or "cluster").
 * Borrowed for the call. */
typedef struct rl_cluster_member {
	const char *id, *text;
	double similarity;
	const char *label, *origin;
} rl_cluster_member;

typedef int (*rl_cluster_member_fn)(void *ctx, const rl_cluster_member *m);

/* Calls fn for up to `limit` reviews of cluster `cluster`, most central
 * first. RL_ENOTFOUND without clusters or for an unknown cluster. */
RL_API int rl_cluster_members(rl_db *db, int64_t cluster, size_t limit,
			      rl_cluster_member_fn fn, void *ctx);

typedef struct rl_cluster_name_stats {
	uint64_t named;		/* reviews given the cluster's label */
	uint64_t hand;		/* central reviews left alone: they have a
				   hand label */
	int label_created;
	uint64_t reserved_[4];	/* zero; room for fields to come */
} rl_cluster_name_stats;

/* Names cluster `cluster`: its `n` most central reviews get `label` as
 * labelled evidence of origin 'cluster' (created on first use, as by
 * rl_seed_set), replacing any cluster-named label they had; a review with
 * a hand label is left alone. These labels act as evidence for
 * propagation and training and show as source 'cluster' in the labelled
 * table, but are never scored as gold by rl_eval. One transaction. */
RL_API int rl_cluster_name(rl_db *db, int64_t cluster, const char *label,
			   size_t n, rl_cluster_name_stats *st);

/* ---- Guiding hand labels --------------------------------------------- */

typedef struct rl_next_opts {
	double disagreement;	/* weight of model, propagation and rules
				   disagreeing, next to the model's
				   uncertainty (1); 0.5 */
	double explore;		/* weight of novelty, 1 - the review's
				   closeness to the hand labels (spread over
				   the graph) over the largest; 0 */
	double density;		/* the score is multiplied by the review's
				   relative density to this power; 1 */
	int balance;		/* at most limit / labels picks per likeliest
				   label (in a multi-label store, per label
				   a pick is most unsure of) while others
				   remain; 1 */
	rl_propagate_opts prop;	/* propagation, redone with the current
				   hand labels */
	uint64_t reserved_[4];	/* zero; room for fields to come */
} rl_next_opts;

RL_API void rl_next_opts_init(rl_next_opts *o);
/* Sets one of the "next" parameters (disagreement, explore, density,
 * balance) from "name=value". */
RL_API int rl_next_opts_set(rl_next_opts *o, const char *assignment);

/* A review worth labelling and why. uncertainty is 1 - the margin
 * between the two likeliest labels of the model and propagation together
 * (their mean); disagreement the share of pairs of model, propagation and
 * rules (those that answer) whose best labels differ; density the
 * review's mean similarity to its neighbours over that of the densest
 * candidate. reason says it in words ("unsure: price 0.41 vs quality
 * 0.38; rules say shipping; dense region (density 0.83)").
 *
 * In a multi-label store each label is a question of its own. A label's
 * evidence is the model's probability and propagation's (where it
 * answers), each mapped piecewise linearly so that its threshold (the
 * model's, kept with it; propagation's 0.5) falls at 0.5, then averaged;
 * the label's uncertainty is 1 - |2 evidence - 1|, and the review's the
 * largest of its labels' (the label a hand label settles most; a mean
 * would drown it in the many labels plainly absent). Model, propagation
 * and rules each decide as labelling does (every label at or above its
 * threshold, the likeliest when none is); disagreement is the mean, over
 * pairs of those that answer, of the share of the labels either gives
 * that only one gives. reason: "unsure: shipping 0.47, price 0.58;
 * likely price; model says price|shipping; rules say shipping; dense
 * region (density 0.83)", the labels with their evidence.
 *
 * unsure [n_unsure] names what the review is unsure of, most unsure
 * first: the two likeliest labels it is torn between (one if only one
 * has a probability), or in a multi-label store the labels whose
 * uncertainty is above 0.5 (evidence within 0.25 of the line), at least
 * the most unsure one and at most three; none when nothing answers.
 * Strings are borrowed for the call. */
typedef struct rl_next_item {
	const char *ext_id;
	const char *text;
	double score, uncertainty, disagreement, density;
	const char *reason;
	uint32_t n_unsure;
	const char *const *unsure;
} rl_next_item;

typedef int (*rl_next_fn)(void *ctx, const rl_next_item *it);

/* Calls fn for up to `limit` reviews without a hand label, those a hand
 * label would help most first: score = (uncertainty + disagreement *
 * o->disagreement + novelty * o->explore) / (1 + o->disagreement +
 * o->explore) * density^o->density, chosen greedily so that no pick is a
 * graph neighbour of an earlier one (near-duplicates are not offered
 * together) and, with o->balance, no likeliest label gets more than its
 * share of the picks, while others remain. Uses the newest stored model,
 * the graph, the rules' hits and propagation redone with the current hand
 * labels; changes nothing. Deterministic. RL_EEMPTY (saying to run
 * `revlab run`) without a graph, hand labels or a model; stops early
 * and returns fn's value if it is non-zero. */
RL_API int rl_next(rl_db *db, const rl_next_opts *o, size_t limit,
		   rl_next_fn fn, void *ctx);

/* A hand label that out-of-fold predictions disagree with: the label
 * given and the one suggested, with their probabilities, and every
 * label's probability p [n_labels] (in `labels` order).
 *
 * In a multi-label store a suspect is about one label, and the other
 * side is NULL: a hand label to drop has `given` (p_given its
 * probability) and suggested NULL, a missing label to add has
 * `suggested` (p_suggested its probability) and given NULL (the other
 * probability is 0); p holds each label's own probability (not a
 * distribution), bar the mean probability of the label that the
 * probability crossed (over the hand-labelled reviews without it for a
 * drop, with it for an add), and hand [n_hand] the review's hand labels.
 * In a single-label store bar is 0, hand the given label. Borrowed for
 * the call. */
typedef struct rl_suspect {
	const char *ext_id;
	const char *text;
	const char *given, *suggested;
	double p_given, p_suggested;
	uint32_t n_labels;
	const char *const *labels;
	const double *p;
	double bar;
	uint32_t n_hand;
	const char *const *hand;
} rl_suspect;

typedef int (*rl_suspect_fn)(void *ctx, const rl_suspect *s);

typedef struct rl_suspects_stats {
	uint64_t seeds;		/* hand labels checked */
	uint64_t suspects;	/* of those, flagged */
	uint32_t folds;
	uint64_t reserved_[4];	/* zero; room for fields to come */
} rl_suspects_stats;

/* Checks every hand label against the predictions of fits that never saw
 * it: the cross-validation of rl_eval (options `o`, NULL for defaults),
 * each seed's distribution the average of the temperature-calibrated
 * model and propagation. Confident learning: label l's threshold is the
 * mean probability of l over the seeds given l; a seed is suspect when
 * the likeliest label at or above its threshold is not the one given.
 * Calls fn for up to `limit` suspects, the lowest p(given) first.
 *
 * In a multi-label store, confident learning one label against the rest
 * (each label's probability the mean of the calibrated model's and
 * propagation's, out of fold): a hand label l is suspect when its
 * review's probability of l is at most the mean over the hand-labelled
 * reviews without l (drop it?), a missing one when it is at least the
 * mean over those with l (add it?); a label whose mean with it is not
 * above its mean without it is not judged. The least self-confident
 * first: p(l) for a drop, 1 - p(l) for an add; st->seeds counts
 * hand-labelled reviews, st->suspects (review, label) suspects.
 *
 * Changes nothing. RL_EEMPTY as rl_eval. `st` may be NULL. */
RL_API int rl_suspects(rl_db *db, const rl_eval_opts *o, size_t limit,
		       rl_suspect_fn fn, void *ctx, rl_suspects_stats *st);

/* One annotator's hand labels as the out-of-fold predictions of
 * rl_suspects judge them. Borrowed for the call. */
typedef struct rl_annotator_disputes {
	const char *annotator;	/* "" is the unnamed annotator */
	uint64_t reviews;	/* reviews of theirs judged */
	uint64_t labels;	/* labels they gave there that were judged */
	uint64_t disputed;	/* of those, ones the predictions dispute */
	uint64_t missed;	/* multi-label: labels they did not give
				   that the predictions say the review
				   has; 0 in a single-label store */
	double rate;		/* disputed / labels; 0 for no label */
} rl_annotator_disputes;

typedef int (*rl_annotator_fn)(void *ctx, const rl_annotator_disputes *a);

/* Ranks the annotators by how often the out-of-fold predictions of
 * rl_suspects (the same fits, thresholds and bars, made from the
 * reviews' resolved hand labels) dispute their own answers: in a
 * single-label store an answer l is disputed when the likeliest label at
 * or above its threshold is another; in a multi-label store an answer l
 * when its probability is at most the mean over the reviews without l,
 * and a label the annotator left out is missed when its probability is
 * at least the mean over those with it (a label those means do not tell
 * apart judges nothing). Calls fn for every annotator, the highest rate
 * first (then most disputed, then by name). A review's annotators are
 * judged by the same fit, so a minority answer on a review the
 * predictions side with the majority on counts against its giver.
 * Changes nothing. RL_EEMPTY as rl_eval; `st` (may be NULL) as
 * rl_suspects. ABI: added after 0.4.0. */
RL_API int rl_suspects_by_annotator(rl_db *db, const rl_eval_opts *o,
				    rl_annotator_fn fn, void *ctx,
				    rl_suspects_stats *st);

/* ---- Export ----------------------------------------------------------- */

/* One row of the labelled table (the labelled_reviews view): one review.
 * label and source are NULL where the review abstained. Borrowed for the
 * call.
 *
 * The arrays give every label the review carries (that passes the
 * filter), in name order: in a single-label store the one label (none
 * where the review abstained), pointing at label, confidence and source;
 * in a multi-label store (rl_db_multi_label) any number, each with its
 * own confidence and source, and then label and source are the names and
 * sources joined by '|' and confidence is the lowest, as the view shows
 * them. A joined name is ambiguous when a label's name holds '|'; the
 * arrays are exact. */
typedef struct rl_labelled_row {
	const char *id, *label, *source, *meta, *text;
	double confidence;
	size_t n_labels;
	const char *const *labels;	/* [n_labels] */
	const double *confidences;	/* [n_labels] */
	const char *const *sources;	/* [n_labels] */
	/* Who gave the review which hand labels, a JSON object of each
	 * annotator's labels by annotator and label name
	 * ({"alice":["price"],"bob":["shipping"]}; "" is the unnamed
	 * annotator), whatever the filter; NULL for a review nobody
	 * labelled. Added after 0.4.0. */
	const char *annotations;
} rl_labelled_row;

typedef int (*rl_labelled_fn)(void *ctx, const rl_labelled_row *row);

/* Which rows to export; NULL fields and a negative min_confidence filter
 * nothing. A filter on label, source or confidence drops reviews that
 * abstained. In a multi-label store source and min_confidence keep the
 * labels they match, label keeps the reviews that carry it among those,
 * and a review left with no label is dropped. */
typedef struct rl_export_filter {
	const char *label;
	const char *source;	/* seed, rule, propagation, model, cluster */
	double min_confidence;
} rl_export_filter;

/* Streams the rows passing `f` (NULL: all), in import order. */
RL_API int rl_labelled_rows(rl_db *db, const rl_export_filter *f,
			    rl_labelled_fn fn, void *ctx);

/* Writes the rows passing `f` as table labelled_reviews of a new SQLite
 * file at `path` (RL_EEXIST if the file exists). In a multi-label store
 * also table review_labels (id, label, confidence, source, evidence):
 * a row per label of those rows, as the review_labels view has it; and
 * the labels of labelled_reviews are those that pass `f`, shown as the
 * view shows them. Always also table annotations (id, label, annotator):
 * who gave each of those rows' reviews which hand label, by review,
 * annotator and label name. */
RL_API int rl_export_sqlite(rl_db *db, const rl_export_filter *f,
			    const char *path);

/* ---- Keyword suggestions --------------------------------------------- */

typedef struct rl_suggest_opts {
	int per_label;		/* suggestions per label; 10 */
	int min_seeds;		/* a term must be in this many of the
				   label's reviews (propagated ones count
				   their confidence); 2 */
	double prior;		/* strength of the corpus prior; 100 */
	const char *lexicon_dir;	/* as for tokenize; NULL: default */
	const char *language;
	uint64_t reserved_[4];	/* zero; room for fields to come */
} rl_suggest_opts;

RL_API void rl_suggest_opts_init(rl_suggest_opts *o);

/* One suggested rule: `label<TAB>pattern` ready for a rules file. */
typedef struct rl_suggestion {
	const char *label;
	const char *term;	/* the word or two-word phrase */
	const char *pattern;	/* a PCRE2 pattern matching it */
	double score;		/* z-score of the log-odds */
	uint64_t coverage;	/* reviews the pattern matches */
	uint64_t seed_hits;	/* hand-labelled reviews it matches */
	uint64_t seed_correct;	/* of those, with this label */
} rl_suggestion;

typedef int (*rl_suggest_fn)(void *ctx, const rl_suggestion *s);

/* Ranks the words and word pairs that separate each label (or only
 * `label`) from the others among the hand-labelled reviews (and, once
 * propagation has run, the reviews it labelled, weighted by their
 * confidence), by the
 * log-odds ratio with an informative Dirichlet prior from the whole
 * corpus (Monroe, Colaresi & Quinn 2008), and calls fn with the best,
 * best first per label. RL_EEMPTY without hand labels, RL_ENOTFOUND for
 * an unknown label. */
RL_API int rl_suggest(rl_db *db, const char *label, const rl_suggest_opts *o,
		      rl_suggest_fn fn, void *ctx);

/* ---- Report ---------------------------------------------------------- */

typedef struct rl_report_opts {
	const char *title;	/* heading and page title; "revlab report" */
	int samples;		/* least confident reviews shown per label;
				   5 */
	int text_chars;		/* of each review shown, in characters;
				   300 */
	uint64_t reserved_[4];	/* zero; room for fields to come */
} rl_report_opts;

/* Fills the defaults above. */
RL_API void rl_report_opts_init(rl_report_opts *o);

/* Writes a report of the store as one self-contained HTML page (inline
 * CSS and SVG charts; no script, nothing fetched): the corpus counts and
 * the last labelling run's method; labels by source; each rule's
 * coverage and precision on the hand labels with its Wilson interval;
 * the label-by-label matrix of reviews where rules for both labels fire;
 * from the last stored evaluation the methods' scores, the best one's
 * confusion matrix, the learning curve and the reliability diagram; the
 * confidence histogram of the assignments; and the least confident
 * reviews of each label. What the store lacks yet (labels, rules, an
 * evaluation) is a note saying how to get it. Reads the store, changes
 * nothing. The page is built whole before the first byte is written. */
RL_API int rl_report_write(rl_db *db, const rl_report_opts *o, FILE *out);

/* The same into the file at `path`, atomically: written to a temporary
 * file beside it and renamed, so a failure leaves no file (and an older
 * report at `path` untouched). */
RL_API int rl_report_file(rl_db *db, const rl_report_opts *o,
			  const char *path);

/* ---- Statistics ------------------------------------------------------ */

typedef struct rl_stats {
	uint64_t reviews;
	uint64_t tokenized;	/* reviews with tokens */
	uint64_t tokens;	/* tokens over all reviews */
	uint64_t terms;		/* distinct tokens */
	uint64_t labels;
	uint64_t seeds;		/* hand labels */
	uint64_t rules;
	uint64_t runs;		/* stage runs recorded */
	uint64_t cluster_seeds;	/* labels given by naming a cluster */
	uint64_t reserved_[4];	/* zero; room for fields to come */
} rl_stats;

RL_API int rl_stats_get(rl_db *db, rl_stats *st);

/* The last run of each stage, oldest first. Strings are borrowed for the
 * duration of the call; params and counts are JSON objects. */
typedef struct rl_run_info {
	int64_t id;
	const char *stage;
	const char *started;	/* UTC, ISO 8601 */
	double seconds;
	const char *params;
	const char *counts;
} rl_run_info;

typedef int (*rl_run_fn)(void *ctx, const rl_run_info *run);

/* Calls fn for the latest run of each stage; stops early and returns fn's
 * value if it is non-zero. */
RL_API int rl_runs_last(rl_db *db, rl_run_fn fn, void *ctx);

/* ---- Size on disk and vacuum ---------------------------------------- */

/* What the store takes on disk. file_bytes and wal_bytes are the sizes
 * of the database file and of its -wal file (0 without one) as the file
 * system reports them; page_count pages of page_size bytes are the
 * database as SQLite sees it (pages still in the -wal file included),
 * free_pages of them unused, which `VACUUM` gives back. */
typedef struct rl_db_size {
	uint64_t file_bytes;
	uint64_t wal_bytes;
	uint64_t page_size;
	uint64_t page_count;
	uint64_t free_pages;
	uint64_t reserved_[4];	/* zero; room for fields to come */
} rl_db_size;

/* Fills *out for the store. Changes nothing; works on a store opened
 * read-only. RL_EIO if the file cannot be examined (stat). */
RL_API int rl_db_size_get(rl_db *db, rl_db_size *out);

/* One table's share of the file: its pages and those of its indexes.
 * derived is 1 for the tables `rl_vacuum(db, 1, ...)` empties. */
typedef struct rl_table_size {
	const char *name;	/* borrowed for the duration of the call */
	uint64_t bytes;
	uint64_t pages;
	int derived;
} rl_table_size;

typedef int (*rl_table_size_fn)(void *ctx, const rl_table_size *t);

/* Calls fn for every table of the store, biggest first (ties by name),
 * measured by SQLite's dbstat virtual table; SQLite's own schema table
 * is named "sqlite_schema". Stops early and returns fn's value if it is
 * non-zero. RL_ENOTFOUND, saying so, when the SQLite linked was built
 * without dbstat (SQLITE_ENABLE_DBSTAT_VTAB); nothing is estimated
 * then. Changes nothing. */
RL_API int rl_table_sizes(rl_db *db, rl_table_size_fn fn, void *ctx);

typedef struct rl_vacuum_stats {
	rl_db_size before;
	rl_db_size after;
	uint64_t rows_dropped;	/* with derived: the rows deleted */
	uint64_t reserved_[4];
} rl_vacuum_stats;

/* Rebuilds the store's file without its free pages (SQLite's VACUUM),
 * then checkpoints the -wal file into it and truncates that. With
 * derived set it first deletes, in one transaction recorded as a run
 * of stage "vacuum", what `rl_run` makes again from the reviews, hand
 * labels, rules and settings, unchanged: every review's tokens and
 * vectors, and the rule hits with the record of which reviews the
 * rules were matched against. The vocabulary (terms), the vectorizer's
 * fit (features, projection), the neighbour graph, the assignments,
 * label scores, predictions, models, evaluations and clusters stay: they
 * are results, or what stored models and the labelling depend on (a
 * graph built anew forgets the neighbour count labelling chose on it),
 * and the next rl_run makes the rest again with them, byte for byte as
 * it was, finds the labels current and does not label again. Until then
 * the stages that read vectors report them missing.
 * RL_EINVAL on a store opened read-only (nothing changed); a failure
 * while deleting changes nothing; one in VACUUM itself leaves the
 * deletions committed and the file as SQLite left it (whole). st may be
 * NULL. */
RL_API int rl_vacuum(rl_db *db, int derived, rl_vacuum_stats *st);

#ifdef __cplusplus
}
#endif

#endif /* REVLAB_H */
