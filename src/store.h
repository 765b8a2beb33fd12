/*
 * store.h - the store's internal interface. The store is the only part
 * that speaks SQL or includes sqlite3.h, in files named for what they
 * store, whose sections this header follows: store.c (the engine: the
 * handle, transactions, runs, settings, reading JSON), store_corpus.c
 * (reviews, tokens, vectors, neighbours), store_labels.c (labels, hand
 * labels, rules, scores and assignments, clusters), store_models.c
 * (models, predictions, evaluations) and store_read.c (the report's
 * queries, and the public read queries of revlab.h).
 *
 * Stages call these to load their input in bulk and save their output;
 * each stage wraps its work in rl_stage_begin() / rl_stage_end() (stage.c,
 * over rl_store_begin, commit and rollback), so the store never holds
 * half a run. The blobs' byte formats live in the file of their table,
 * encoder beside decoder: callers hand over and get back flat arrays.
 * Text handed to callbacks is borrowed for the duration of the callback.
 */
#ifndef RL_STORE_H
#define RL_STORE_H

#include "internal.h"
#include "kernels.h"

/* SQL: the vectors row v is of a review that exists. A store edited
 * outside revlab with its foreign-key checks off can keep the vectors
 * of a deleted review; the stages that write with the checks off
 * (stage.h) read their ids through this, so never name such a review.
 * In id order it is a sequential lookup: about 0.4 CPU s a million
 * rows. */
#define REVIEW_EXISTS \
	"EXISTS (SELECT 1 FROM reviews r WHERE r.id = v.review_id)"

/* Callbacks over rows: an (id, text) row, and a pair of ids. Each
 * function that takes one stops at and returns the callback's first
 * status other than RL_OK. */
typedef int (*rl_name_fn)(void *ctx, int64_t id, const char *name);
typedef int (*rl_pair_fn)(void *ctx, int64_t a, int64_t b);

/* ==== store.c: the handle, transactions, runs, settings ==== */

/* Transactions. begin takes the write lock at once (BEGIN IMMEDIATE). */
/* A thing a layer above keeps with the handle for a while (stage.c's
 * held graph): p replaces what was kept, which free_fn of its own frees;
 * rl_db_close frees the last. */
void rl_db_hold(rl_db *db, void *p, void (*free_fn)(void *));
void *rl_db_held(const rl_db *db);

int rl_store_begin(rl_db *db);
int rl_store_commit(rl_db *db);
void rl_store_rollback(rl_db *db);

/* Foreign-key checks on (1) or off (0) for this connection. Only outside
 * a transaction (SQLite ignores the switch inside one). Off is for a
 * stage that writes derived rows whose every id it read from `reviews`
 * under its own write lock, where the check is one lookup per id in the
 * largest table and proves nothing (stage.h, rl_stage_begin_derived). */
int rl_store_foreign_keys(rl_db *db, int on);
/* Whether they are on: 1, 0, or -1 if it cannot be read. */
int rl_store_foreign_keys_on(rl_db *db);

/* A read transaction, so the report's queries see one state of the
 * store; end it with rl_store_rollback(). */
int rl_store_read_begin(rl_db *db);
/* Whether a transaction is open on the handle. */
int rl_store_in_transaction(rl_db *db);
/* PRAGMA data_version: changes when another connection commits to the
 * store (never for this handle's own commits). */
int rl_store_data_version(rl_db *db, int64_t *v);

/* Rows changed by the last statement. */
int rl_store_changes(rl_db *db);

/* Runs: a row in `runs`, inside the stage's transaction. */
int rl_store_run_start(rl_db *db, const char *stage, const char *params,
		       int64_t *run_id);
int rl_store_run_finish(rl_db *db, int64_t run_id, double seconds,
			const char *counts);

/* Settings: RL_ENOTFOUND if the key is absent; the value goes to *out. */
int rl_store_setting_get(rl_db *db, const char *key, rl_buf *out);
int rl_store_setting_set(rl_db *db, const char *key, const char *value);
int rl_store_setting_del(rl_db *db, const char *key);

/* What labelling chose, kept for the stages after it
 * (rl_propagate_prepare): the class shares (seeds, uniform or none) and the
 * neighbours per review. RL_ENOTFOUND when none was recorded; a new
 * graph drops the neighbour count. */
int rl_store_prior_get(rl_db *db, rl_prior *p);
int rl_store_prior_set(rl_db *db, rl_prior p);
int rl_store_neighbours_get(rl_db *db, uint32_t *k);
int rl_store_neighbours_set(rl_db *db, uint32_t k);
int rl_store_neighbours_del(rl_db *db);

/* The tokenizer options the stored tokens were made with; language and
 * lexicon_dir point into the two buffers. */
int rl_store_tokenizer_opts(rl_db *db, rl_tokenize_opts *o, rl_buf *lang,
			    rl_buf *dir);

/* ---- reading JSON (SQLite's JSON functions) ---- */

/* A JSONL record's fields, parsed by SQLite's JSON functions. The
 * strings live in the buffers, which the caller owns and reuses. */
typedef struct rl_json_record {
	rl_buf id, text, meta;
	int has_id, has_text;
	const char *id_type, *text_type;	/* JSON type names, static */
} rl_json_record;

/* Parses one JSON object text. RL_EINPUT with a message in err (no file or
 * line; the caller adds them) if it is not valid JSON or not an object. */
int rl_store_json_record(rl_db *db, const char *json, size_t len,
			 const char *id_key, const char *text_key,
			 rl_json_record *out, char *err, size_t errlen);

/* Every number under `path` of the JSON text, in document order, into a
 * malloc'd *v of *n; none if the path is missing or the text malformed. */
int rl_store_json_numbers(rl_db *db, const char *json, const char *path,
			  double **v, size_t *n);
/* The text of the value at `path` ("" if missing or malformed). */
int rl_store_json_text(rl_db *db, const char *json, const char *path,
		       rl_buf *out);
/* Calls fn(ctx, index, text) for each string of the array at `path`. */
int rl_store_json_strings(rl_db *db, const char *json, const char *path,
			  rl_name_fn fn, void *ctx);

/* ==== store_size.c: size on disk, upkeep ==== */

/* 1 if the handle cannot write the store (opened read-only). */
int rl_store_readonly(rl_db *db);
/* 1 if `table` is one rl_store_drop_derived empties. */
int rl_store_is_derived(const char *table);
/* Deletes every row of review_tokens, vectors, rule_hits and rule_scans
 * inside the caller's transaction; *rows gets the rows deleted. */
int rl_store_drop_derived(rl_db *db, uint64_t *rows);
/* SQLite's VACUUM, then a checkpoint that truncates the -wal file.
 * Outside any transaction. */
int rl_store_vacuum(rl_db *db);

/* ---- fault injection for tests ---- */

/* Makes the n-th SQLite step from now fail with an I/O error (n >= 1);
 * 0 turns it off. */
void rl_store_fail_step(rl_db *db, int n);

/* ==== store_corpus.c: reviews, tokens, vectors, neighbours ==== */

/* ---- reviews ---- */

typedef struct rl_review_in {
	const char *ext_id;
	size_t id_len;
	const char *text;
	size_t text_len;
	const char *meta;	/* JSON object text, NUL-terminated */
	const char *source;
	int64_t line;
} rl_review_in;

/* Inserts a new review. RL_EEXIST if the id is taken, with *id, *run and
 * *line set to the stored review's rowid, import run and source line. */
int rl_store_review_insert(rl_db *db, const rl_review_in *r, int64_t run_id,
			   int64_t *id, int64_t *run, int64_t *line);

/* Replaces text and metadata of review `id`. If the text changed, every
 * derived row of the review (tokens, vectors, hits, its neighbours,
 * scores, assignments, predictions) is deleted; *changed says whether it
 * did. If only the metadata changed, its rule hits are deleted and it is
 * marked unscanned, since rules may test metadata. The edges of other
 * reviews to it stay until rl_store_neighbours_prune, called once after
 * the last replacement: neighbour_id has no index, so deleting them here
 * scanned every edge for every review replaced. */
int rl_store_review_replace(rl_db *db, int64_t id, const rl_review_in *r,
			    int64_t run_id, int *changed);

/* revlab's id of the review with external id ext_id, or RL_ENOTFOUND. */
int rl_store_review_id(rl_db *db, const char *ext_id, size_t len,
		       int64_t *id);
/* Every review id, ascending (caller frees *ids); or only of those that
 * have vectors (and so a place in the graph). */
int rl_store_review_ids(rl_db *db, int64_t **ids, uint32_t *n);
int rl_store_review_ids_vectorized(rl_db *db, int64_t **ids, uint32_t *n);
int rl_store_count_reviews(rl_db *db, uint64_t *n);

typedef int (*rl_review_fn)(void *ctx, int64_t id, const char *ext_id,
			    const char *text, size_t len);
/* Up to `limit` reviews with id > after (only those not matched against
 * the rules if `unscanned`), in id order; *last gets the last id. */
int rl_store_reviews_batch(rl_db *db, int unscanned, int64_t after,
			   int limit, rl_review_fn fn, void *ctx,
			   int64_t *last);

/* rl_store_reviews_batch with each review's metadata, the JSON object
 * text of its other imported columns (borrowed for the call). */
typedef int (*rl_review_meta_fn)(void *ctx, int64_t id, const char *ext_id,
				 const char *text, size_t len,
				 const char *meta);
int rl_store_reviews_batch_meta(rl_db *db, int unscanned, int64_t after,
				int limit, rl_review_meta_fn fn, void *ctx,
				int64_t *last);

/* Calls fn with each key and value of the metadata object meta (JSON
 * text): strings as they are, numbers as their JSON text, true and false
 * as those words, arrays and objects as JSON; null values left out. The
 * strings are borrowed for the call. RL_EDB if meta is not JSON. */
typedef int (*rl_meta_field_fn)(void *ctx, const char *key,
				const char *value);
int rl_store_meta_each(rl_db *db, const char *meta, rl_meta_field_fn fn,
		       void *ctx);

/* ---- tokens ---- */

/* Puts the vocabulary's terms into m (only those whose id i < n_keep has
 * keep[i] set, when keep is not NULL); max_id gets the largest id of all. */
int rl_store_terms_load(rl_db *db, const uint8_t *keep, size_t n_keep,
			rl_strmap *m, int64_t *max_id);
int rl_store_term_add(rl_db *db, int64_t id, const char *term, size_t len);
/* Calls fn with every term's (id, text), by id; stops at and returns
 * fn's first status other than RL_OK. */
int rl_store_terms_each(rl_db *db, rl_name_fn fn, void *ctx);
/* Deletes every review's tokens and the vocabulary (before a full
 * re-tokenization). */
int rl_store_tokens_clear(rl_db *db);
/* Number of reviews without tokens. */
int rl_store_untokenized_count(rl_db *db, uint64_t *n);

typedef int (*rl_text_fn)(void *ctx, int64_t id, const char *ext_id,
			  const char *text, size_t len);
/* Calls fn for up to `limit` reviews without tokens and with id > after,
 * in id order; *last gets the last id seen (unchanged if none). */
int rl_store_untokenized(rl_db *db, int64_t after, int limit, rl_text_fn fn,
			 void *ctx, int64_t *last);
/* Stores review review_id's tokens, the term ids ids [n] in order. */
int rl_store_tokens_put(rl_db *db, int64_t review_id, const uint32_t *ids,
			uint32_t n);

/* Loads the tokens of every tokenized review, or with unvectorized only
 * of those without vectors, as one batch of rl_store_tokens_next. Free
 * with rl_token_set_free. */
int rl_store_tokens_load(rl_db *db, int unvectorized, rl_token_set *out);

/* How many reviews have tokens (with unvectorized: and no vectors). */
int rl_store_tokens_count(rl_db *db, int unvectorized, uint64_t *n);

/* A walk over the tokenized reviews (with unvectorized: those without
 * vectors) in review id order, a batch at a time, so a stage holds one
 * batch and not the corpus. set is the current batch; its arrays are
 * reused and grow to the largest batch. Zero it, set unvectorized, and
 * free it with rl_token_walk_free. */
typedef struct rl_token_walk {
	rl_token_set set;	/* the batch */
	int unvectorized;
	int64_t after;		/* the last review id handed over */
	uint32_t cap;		/* room for reviews in set */
	uint64_t tok_cap;	/* room for tokens in set */
} rl_token_walk;

/* The next batch of at most `limit` reviews (limit >= 1) into w->set;
 * w->set.n is 0 once all have been read. On an error (RL_ENOMEM, RL_EDB
 * with "FILE: review ID: corrupt tokens") the walk must not go on. A
 * caller that writes vectors between batches of an unvectorized walk
 * still sees each review once. */
int rl_store_tokens_next(rl_db *db, rl_token_walk *w, uint32_t limit);
void rl_token_walk_free(rl_token_walk *w);

/* ---- the vectorizer and vectors ---- */

/* Replaces the stored vocabulary (features) and, if l, the projection. */
int rl_store_vectorizer_save(rl_db *db, const rl_tfidf *m, const rl_lsa *l);
/* Loads them; RL_ENOTFOUND if no projection was stored. */
int rl_store_vectorizer_load(rl_db *db, uint32_t n_docs, int sublinear,
			     rl_tfidf *m, rl_lsa *l);
int rl_store_features_count(rl_db *db, uint32_t *n);
/* Every feature's (id, readable text), by id. */
int rl_store_feature_names(rl_db *db, rl_name_fn fn, void *ctx);

int rl_store_vectors_clear(rl_db *db);
/* Stores the vectors of reviews ids [X->n_rows]: row i of X as the
 * review's TF-IDF vector, lsa [n_rows][dim] row i as its LSA vector. */
int rl_store_vectors_put(rl_db *db, const int64_t *ids, const rl_csr *X,
			 const float *lsa, uint32_t dim);

/* Every vector of a kind (RL_VECTORS_TFIDF or RL_VECTORS_LSA) in review
 * id order: dense [n][dim] for lsa, CSR for tfidf. Free with
 * rl_vector_set_free. */
int rl_store_vectors_load(rl_db *db, rl_vectors kind, rl_vector_set *out);

/* The classifier's features of the reviews ids [n] (ascending) into X
 * (X->n_cols = nf + dim): row i holds review ids[i]'s TF-IDF entries,
 * then its LSA vector at columns nf .. nf + dim - 1; a review without
 * vectors gets an empty row. Reads those reviews' vectors only (a range
 * scan when the ids are packed, a look-up each when scattered), so a
 * batch of a large corpus costs its own size. RL_EDB, with the review
 * named, for an LSA vector of another size or a corrupt one. On failure
 * X is empty. */
int rl_store_features_rows(rl_db *db, const int64_t *ids, uint32_t n,
			   uint32_t nf, uint32_t dim, rl_csr *X);

/* ---- dense vectors a chunk at a time (store_graph.c) ---- */

/* How many LSA vectors there are, and their dimension (the largest). */
int rl_store_lsa_count(rl_db *db, uint64_t *n, uint32_t *dim);

/* A walk over the LSA vectors in review id order, each dim floats. */
typedef struct rl_vector_walk rl_vector_walk;
int rl_store_lsa_walk_begin(rl_db *db, uint32_t dim, rl_vector_walk **w);
/* The next rows, up to m: their ids into ids [m] (unless NULL) and their
 * vectors into x [m][dim]; *got says how many (fewer than m only at the
 * end). RL_EDB, with the review named, for a vector of another size. */
int rl_store_lsa_walk_next(rl_vector_walk *w, uint32_t m, int64_t *ids,
			   float *x, uint32_t *got);
/* Ends the walk; w may be NULL. */
void rl_store_lsa_walk_end(rl_vector_walk *w);

/* ---- neighbours ---- */

int rl_store_neighbours_clear(rl_db *db);
/* Deletes the edges to reviews without vectors (those whose text was
 * replaced), in one pass over the graph. */
int rl_store_neighbours_prune(rl_db *db);
int rl_store_neighbour_put(rl_db *db, int64_t review_id, int rank,
			   int64_t neighbour_id, double similarity);
/* The stored graph as rows of `ids` (sorted): init[row][rank-1] = row of
 * the neighbour, -1 where unknown; *found counts the edges placed. */
int rl_store_neighbours_load(rl_db *db, const int64_t *ids, uint32_t n,
			     uint32_t k, int32_t *init, float *sim,
			     uint64_t *found);
/* The graph's k: the largest stored rank (0 without a graph). */
int rl_store_max_rank(rl_db *db, uint64_t *k);

/* ---- the graph's changes (store_graph.c) ---- */

/* The setting saying whether graph_changes names every review whose
 * neighbour list changed since labelling last read it ("tracked") or
 * the whole graph changed ("all", or no setting: an older store). */
#define GRAPH_CHANGES_KEY "graph_changes"

/* Replaces review_id's neighbour list by nb [k] (review ids, -1 for none)
 * with similarities sim [k], and records it in graph_changes. */
int rl_store_neighbours_replace(rl_db *db, int64_t review_id, uint32_t k,
				const int64_t *nb, const float *sim);
/* Empties graph_changes and sets GRAPH_CHANGES_KEY to mode ("all" after
 * a graph built afresh, "tracked" after a labelling of every review). */
int rl_store_graph_changes_clear(rl_db *db, const char *mode);
/* *tracked 1 when graph_changes is tracked, and then its reviews, in
 * ascending order, into *ids [*n] (the caller frees); else *ids NULL. */
int rl_store_graph_changes(rl_db *db, int *tracked, int64_t **ids,
			   uint32_t *n);
/* The reviews with vectors but no assignment (added since the last
 * labelling), ascending, into *ids [*n] (the caller frees). */
int rl_store_unlabelled_ids(rl_db *db, int64_t **ids, uint32_t *n);
/* The corpus's part of rl_store_labelling_inputs (count, newest id,
 * newest import) over the reviews imported before the last labelling
 * began. */
int rl_store_corpus_before_label(rl_db *db, rl_buf *out);

/* Propagation's spread before normalising (table spread): emptied, one
 * review's f [L] stored (replacing), and every stored row of ids [n]
 * (sorted) read into P [n][L] (rows without one, or of another label
 * count, all zero, has[i] 0). */
int rl_store_spread_clear(rl_db *db);
int rl_store_spread_put(rl_db *db, int64_t review_id, const float *f,
			uint32_t L);
int rl_store_spread_load(rl_db *db, const int64_t *ids, uint32_t n,
			 uint32_t L, double *P, uint8_t *has);
/* Deletes a review's scores, its assignment (unless from a named
 * cluster) and model_id's prediction of it, so a labelling of a few
 * reviews can write them again. */
int rl_store_review_labels_del(rl_db *db, int64_t review_id,
			       int64_t model_id);

/* ==== store_labels.c: labels, seeds, rules, assignments, clusters ==== */

/* ---- labels and hand labels ---- */

/* The id of label `name`; with create, made if missing (*created says
 * so), else RL_ENOTFOUND. */
int rl_store_label_get(rl_db *db, const char *name, int create, int64_t *id,
		       int *created);
/* Every label's (id, name), by id; names borrowed during the call. */
int rl_store_labels_each(rl_db *db, rl_name_fn fn, void *ctx);
/* Replaces the review's hand labels by label_id (one it had already
 * stays as it was); label_id < 0 only removes them (rl_store_changes
 * then tells whether any were). Cluster-named labels stay. */
int rl_store_seed_set(rl_db *db, int64_t review_id, int64_t label_id);
/* Adds label_id to the review's hand labels: nothing changes if it has
 * it (rl_store_changes is then 0); a cluster-named label of the same
 * label becomes a hand label. */
int rl_store_seed_add(rl_db *db, int64_t review_id, int64_t label_id);
/* Removes one hand label; rl_store_changes tells whether it was there. */
int rl_store_seed_drop(rl_db *db, int64_t review_id, int64_t label_id);
/* The review's hand label names, by name, joined by ", " ("" if none),
 * into out (NUL-terminated). */
int rl_store_seed_names(rl_db *db, int64_t review_id, rl_buf *out);
/* (review_id, label_id) of every hand label, by review. */
int rl_store_seeds_each(rl_db *db, rl_pair_fn fn, void *ctx);

/* ---- annotations: who said what (annotator '' is the unnamed) ---- */

/* Makes the review's hand labels the unnamed annotator's when no
 * annotation backs any of them yet (see schema.sql). */
int rl_store_ann_adopt(rl_db *db, int64_t review_id);
/* Removes annotator's answers on the review but label `keep` (-1: all
 * of them); annotator NULL: every annotator's. rl_store_changes tells
 * how many went. */
int rl_store_ann_clear(rl_db *db, int64_t review_id, const char *annotator,
		       int64_t keep);
/* Records that annotator gave the review label_id; nothing changes if
 * they had (rl_store_changes is then 0). */
int rl_store_ann_add(rl_db *db, int64_t review_id, int64_t label_id,
		     const char *annotator);
/* Removes annotator's label_id on the review (NULL: everyone's). */
int rl_store_ann_drop(rl_db *db, int64_t review_id, int64_t label_id,
		      const char *annotator);
typedef int (*rl_ann_fn)(void *ctx, int64_t label_id, const char *annotator);
/* The review's annotations, oldest first; strings borrowed for the
 * call. */
int rl_store_ann_of(rl_db *db, int64_t review_id, rl_ann_fn fn, void *ctx);
/* Who gave the review what, "alice: price, shipping; bob: price" by
 * annotator ("(unnamed)" for ''), into out ("" if nobody). */
int rl_store_ann_names(rl_db *db, int64_t review_id, rl_buf *out);
typedef struct rl_ann_row {
	int64_t review_id;
	const char *ext_id;
	int64_t label_id;
	const char *label;
	const char *annotator;
	int64_t order;		/* larger: given later */
} rl_ann_row;
typedef int (*rl_ann_row_fn)(void *ctx, const rl_ann_row *row);
/* Every annotation, by review, then annotator, then label name; strings
 * borrowed for the call. */
int rl_store_annotations_each(rl_db *db, rl_ann_row_fn fn, void *ctx);
/* How many answers on the review are not annotator's, into *n. */
int rl_store_ann_others(rl_db *db, int64_t review_id, const char *annotator,
			uint64_t *n);
/* The review's hand labels' ids, ascending: up to cap into ids, their
 * number into *n. */
int rl_store_seed_of(rl_db *db, int64_t review_id, int64_t *ids, size_t cap,
		     size_t *n);

/* ---- rules and their hits ---- */

typedef struct rl_rule_row {
	int64_t id;
	int line;
	int64_t label_id;
	const char *label, *pattern;
	const char *source;	/* rules file it came from, or NULL */
	int negate;
	double weight;
} rl_rule_row;

typedef int (*rl_rule_row_fn)(void *ctx, const rl_rule_row *r);
/* Every stored rule in line order. */
int rl_store_rules_each(rl_db *db, rl_rule_row_fn fn, void *ctx);
int rl_store_rule_delete(rl_db *db, int64_t id);
/* Inserts a rule when *id is 0 (setting *id), else updates rule *id's
 * line, label, negate, weight and source (its pattern stays). */
int rl_store_rule_put(rl_db *db, int64_t *id, int line, int64_t label_id,
		      int negate, const char *pattern, double weight,
		      const char *source);
int rl_store_hit_put(rl_db *db, int64_t rule_id, int64_t review_id,
		     size_t start, size_t end);
int rl_store_scanned_put(rl_db *db, int64_t review_id);
/* Marks every review as matched against the rule set (after a load that
 * matched every rule of the set against every review). */
int rl_store_scanned_all(rl_db *db);
/* (review_id, rule_id) of every hit, by review. */
int rl_store_hits_each(rl_db *db, rl_pair_fn fn, void *ctx);

/* ---- scores and assignments ---- */

/* Deletes label scores and every assignment but cluster-named ones. */
int rl_store_scores_clear(rl_db *db);
int rl_store_score_put(rl_db *db, int64_t review_id, int64_t label_id,
		       double score);
int rl_store_assignment_put(rl_db *db, int64_t review_id, int64_t label_id,
			    double confidence, double margin,
			    const char *source, const char *evidence,
			    int64_t run_id);
/* (review, label, confidence) of every label given by propagation or a
 * model, by review. */
typedef int (*rl_soft_fn)(void *ctx, int64_t review, int64_t label,
			  double confidence);
int rl_store_propagated_each(rl_db *db, rl_soft_fn fn, void *ctx);

/* ---- clusters ---- */

/* Deletes the clustering (clusters and members). */
int rl_store_clusters_clear(rl_db *db);
int rl_store_cluster_put(rl_db *db, int64_t id, uint64_t size,
			 const char *terms, int64_t run_id);
int rl_store_member_put(rl_db *db, int64_t review_id, int64_t cluster,
			double similarity);
/* *n_clusters gets the number of clusters; RL_ENOTFOUND, with a message,
 * when there are none or cluster `id` is not one of them. */
int rl_store_cluster_find(rl_db *db, int64_t id, uint64_t *n_clusters);
/* Replaces the review's cluster-named label (seed of origin 'cluster'
 * and assignment of source 'cluster') by label_id. */
int rl_store_cluster_seed_set(rl_db *db, int64_t review_id, int64_t label_id,
			      const char *evidence, int64_t run_id);
/* (review_id, label_id) of every cluster-named label of a review without
 * a hand label, by review. */
int rl_store_cluster_seeds_each(rl_db *db, rl_pair_fn fn, void *ctx);
typedef int (*rl_store_member_fn)(void *ctx, int64_t review_id,
				  const rl_cluster_member *m);
/* Up to `limit` members of a cluster, most central first (ties by review
 * id); errors as rl_store_cluster_find. */
int rl_store_cluster_members(rl_db *db, int64_t cluster, size_t limit,
			     rl_store_member_fn fn, void *ctx);

/* ==== store_models.c: models, predictions, evaluations ==== */

/* ---- models and predictions ---- */

int rl_store_model_put(rl_db *db, const char *kind, const char *params,
		       const char *labels, const void *weights, size_t len,
		       const char *metrics, int64_t run_id, int64_t *id);

typedef struct rl_stored_model {
	int64_t id;
	rl_buf kind, fit;	/* fit: the vectorizer fit it was trained on */
	rl_buf created;		/* UTC, ISO 8601 */
	rl_buf params;		/* the JSON object of its settings */
	uint32_t n_cols;	/* feature columns */
	double temperature;	/* calibration: softmax(logits / t) */
	double *weights;	/* [n_cols + 1][n_labels] */
	size_t n_weights;
	double *thresholds;	/* a multi-label model's, [n_thresholds];
				   NULL for a single-label one */
	uint32_t n_thresholds;
	char **labels;
	uint32_t n_labels;
} rl_stored_model;

/* Model `want`, or the newest when want is 0. */
int rl_store_model_get(rl_db *db, int64_t want, rl_stored_model *m);
void rl_stored_model_free(rl_stored_model *m);
int rl_store_predictions_clear(rl_db *db, int64_t model_id);
/* Deletes all but the newest `keep` models (predictions go with them). */
int rl_store_models_prune(rl_db *db, int keep);
int rl_store_prediction_put(rl_db *db, int64_t review_id, int64_t model_id,
			    int64_t label_id, double confidence);

/* The history kept: the newest models (with their predictions; `predict
 * --model N` names one of them), evaluations and stage runs. Runs that
 * rows still refer to (an import's reviews, the assignments, a kept model
 * or evaluation, the clusters) are kept whatever their age. */
#define RL_KEEP_MODELS 5
#define RL_KEEP_EVALS 50
#define RL_KEEP_RUNS 1000
int rl_store_history_prune(rl_db *db, int models, int evals, int runs);

/* The newest evaluation: RL_ENOTFOUND if there is none. */

/* Adds an evaluation report (JSON text) made by run `run_id`. */
int rl_store_eval_put(rl_db *db, int64_t run_id, const char *result,
		      int64_t *id);

/* The newest evaluation: RL_ENOTFOUND if there is none. */
int rl_store_eval_last(rl_db *db, int64_t *id, rl_buf *created,
		       rl_buf *result);

/* ==== store_read.c: the report's queries, and what labelling reads ==== */

/* Replaces out's content by one text that changes whenever something a
 * labelling depends on changes: the corpus (size, newest review, newest
 * import), hand and cluster-named labels, the labels, the rules, and the
 * fits of tokenizer, vectors and graph. */
int rl_store_labelling_inputs(rl_db *db, rl_buf *out);

typedef enum rl_report_query {
	RL_Q_SOURCES,		/* label (NULL: abstained), source, count */
	RL_Q_RULE_LABELS,	/* label, label, reviews where rules voting
				   for both fire */
	RL_Q_HIST,		/* label, bin of a bins (a: bin count),
				   count; assignments that are no seed */
	RL_Q_LOWEST,		/* label, id, confidence, source, text (its
				   first b characters), cut; a per label,
				   least confident first; no seeds */
	RL_Q_LAST_LABEL,	/* started, method, labelled, model kind of
				   the last labelling run */
	/* A multi-label store's: */
	RL_Q_LABEL_PAIRS,	/* review id, label id, source, hand (1: a
				   hand label): every label each review
				   carries, as review_labels has them, by
				   review id */
	RL_Q_ML_HIST,		/* as RL_Q_HIST, of the labels of reviews
				   without a hand label */
	RL_Q_ML_LOWEST		/* as RL_Q_LOWEST, of the labels of
				   reviews without a hand label */
} rl_report_query;

/* One row: column c as text (NULL for NULL) and as a number. Borrowed. */
typedef int (*rl_row_fn)(void *ctx, int ncol, const char *const *text,
			 const double *num);
int rl_store_report_rows(rl_db *db, rl_report_query q, int64_t a,
			 int64_t b, rl_row_fn fn, void *ctx);

#endif /* RL_STORE_H */
