/*
 * internal.h - declarations shared inside librevlab, hidden from users.
 *
 * The library has two layers. Kernels (tokenize.c, vectorize.c, lsa.c,
 * knn.c, propagate.c, votes.c, logreg.c, methods.c, eval.c, cluster.c,
 * guide.c; declared in kernels.h and evidence.h) take flat arrays and
 * know nothing of SQLite or files. The stage layer (stage_*.c, import.c,
 * seeds.c, suggest.c, predict.c; stage.h) loads a stage's input through
 * the store (store.h; store.c and the store_*.c files named for what they
 * store are the only ones that speak SQL), runs the kernel and writes back
 * in one transaction (rl_stage_begin / rl_stage_end). Tests link the
 * static library and may use all of this.
 */
#ifndef RL_INTERNAL_H
#define RL_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "revlab.h"

/* ---- errors (error.c; the handle's last failure in store.c) ---- */

/* Records a formatted message as the handle's detail and returns code. */
int rl_fail(rl_db *db, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The same for a failure whose cause is something missing that an earlier
 * step makes (rl_db_need); the message says what is missing, never which
 * command of a front end makes it. */
int rl_fail_need(rl_db *db, int code, rl_need need, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Reports progress to fn (if any); RL_ECANCELED, recorded as the
 * handle's detail ("graph cancelled"), when fn asks to stop. */
int rl_progress_call(rl_db *db, rl_progress_fn fn, void *ctx,
		     const char *stage, uint64_t done, uint64_t total);
/* Clears the handle's detail. */
void rl_clear_error(rl_db *db);

/* ---- choosing (eval.c, stage_propagate.c), for run.c ---- */

/* The standard error of a cross-validated score whose method got a share
 * `accuracy` of n held-out hand labels right: sqrt(a (1 - a) / n), as
 * for a binomial share. What run treats as a tie. */
double rl_eval_se(double accuracy, uint64_t n);

/* The standard error of method m's cross-validated score in r: of its
 * accuracy over the hand-labelled reviews; in a multi-label store of its
 * micro-F1 over the hand labels (a review's labels are several answers,
 * and exact match, often 0 there, would claim no error at all). */
struct rl_eval_report;
double rl_eval_report_se(const struct rl_eval_report *r, int m);

/* The one-standard-error rule: of n candidates scored score[] with
 * standard errors se[], in order of preference, the first whose score is
 * within se of the top one's (of the first top, on ties). */
size_t rl_one_se(const double *score, const double *se, size_t n);

/* The neighbour counts `run` chooses among (rl_propagate_opts.neighbours)
 * for the stored graph of k neighbours: k itself first, then 5, 10, 20,
 * ... below k. Writes at most max to ks and their count to *n (0 without
 * a graph). */
int rl_neighbour_choices(rl_db *db, uint32_t *ks, size_t max,
				size_t *n);

/* ---- shipped files (paths.c) ---- */

/* The lexicons folder: the installed one beside the library, or the
 * source tree's when the library runs from its build tree. Static. */
const char *rl_lexicon_default_dir(void);

/* ---- UTF-8 (tokenize.c, the only user of utf8proc) ---- */

/* Returns the byte offset of the first invalid UTF-8 sequence in s[0..len),
 * or len if s is valid. NUL bytes count as valid here. */
size_t rl_utf8_check(const char *s, size_t len);

/* A stable text that changes whenever the tokens the tokenizer would make
 * may change: options, lexicon contents, tokenizer version. Borrowed. */
const char *rl_tokenizer_fingerprint(const rl_tokenizer *tk);

struct rl_lexicon_files;

/* A tokenizer with o's language, stopwords, stem, negation and min_len
 * around lexicon files already in memory (lexicon.h), as a model carries
 * them; o->lexicon_dir is not used. origin prefixes the files' names in
 * messages. Errors as rl_tokenizer_new's. */
int rl_tokenizer_new_files(const rl_tokenize_opts *o,
			   const struct rl_lexicon_files *files,
			   const char *origin, rl_tokenizer **out, char *err,
			   size_t errlen);

/* A tokenizer making the same tokens as proto, sharing its word sets
 * (read only; proto must outlive the clone) but with a stemmer, cache
 * and buffers of its own: tokenizing writes to those, so each thread
 * tokenizes with its own clone of one shared proto. RL_ENOMEM. */
int rl_tokenizer_clone(const rl_tokenizer *proto, rl_tokenizer **out);

/* The version of the tokenizer's rules, static text: tokens made under
 * another may differ. */
const char *rl_tokenizer_version(void);

/* The negation mode a setting means: 0 none, 2 words kept beside their
 * not_ forms, any other value 1 (not_ marks). The tokenizer and the model
 * it is recorded in read a setting alike through this. */
static inline int rl_negation_mode(int setting)
{
	return setting == 2 ? 2 : setting != 0;
}

/* ---- growable byte buffer (buf.c) ---- */

typedef struct rl_buf {
	char *data;
	size_t len, cap;
} rl_buf;

int rl_buf_reserve(rl_buf *b, size_t extra);
int rl_buf_append(rl_buf *b, const void *p, size_t n);
int rl_buf_putc(rl_buf *b, char c);
/* Appends printf-formatted text. */
int rl_buf_vprintf(rl_buf *b, const char *fmt, va_list ap);
int rl_buf_printf(rl_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Appends an unsigned LEB128 varint. */
int rl_buf_put_varint(rl_buf *b, uint64_t v);
/* Reads a varint from p[0..end); returns bytes used, 0 if truncated. */
size_t rl_varint_get(const unsigned char *p, const unsigned char *end,
		     uint64_t *v);
void rl_buf_free(rl_buf *b);

/* ---- words for word lists (tokenize.c) ---- */

/* Scratch space for rl_words_each, reused from call to call; zero it to
 * start, rl_wordbuf_free it at the end. */
typedef struct rl_wordbuf {
	int32_t *v;		/* codepoints */
	size_t cap;
	rl_buf out;		/* the current word */
} rl_wordbuf;

/* A word's callback: the normalised word w[0..n) (NUL-terminated,
 * borrowed until the next call) and its byte range [start, end) in the
 * text; a non-zero return stops rl_words_each, which returns it. */
typedef int (*rl_word_fn)(void *ctx, const char *w, size_t n, size_t start,
			  size_t end);

/* Calls fn for each word of UTF-8 text[0..len), in order: a maximal run
 * of letters, marks and digits (an apostrophe between two of them joins
 * them; format characters such as soft hyphens are dropped), or one
 * ideograph. Each is normalised as the tokenizer normalises (NFKC, case
 * folding, typographic apostrophes made ASCII) but neither stemmed nor
 * filtered nor negated. RL_EINPUT for invalid UTF-8, RL_ENOMEM. */
int rl_words_each(const char *text, size_t len, rl_wordbuf *b,
		  rl_word_fn fn, void *ctx);
void rl_wordbuf_free(rl_wordbuf *b);

/* ---- string -> id hash map (strmap.c) ---- */

typedef struct rl_strmap rl_strmap;

int rl_strmap_new(rl_strmap **out);
void rl_strmap_free(rl_strmap *m);
/* Value of key, or -1 if absent. */
int64_t rl_strmap_get(const rl_strmap *m, const char *key, size_t len);
/* Inserts or overwrites; copies the key. */
int rl_strmap_put(rl_strmap *m, const char *key, size_t len, int64_t val);
size_t rl_strmap_size(const rl_strmap *m);

/* ---- parameter tables (params.c) ---- */

typedef enum rl_ptype {
	RL_PT_INT, RL_PT_DOUBLE, RL_PT_BOOL, RL_PT_STRING,
	RL_PT_ENUM		/* an int-sized enum field; pub.choices are
				   its values' names, by value */
} rl_ptype;

typedef struct rl_param_def {
	rl_param pub;		/* name, type text, default text, help,
				   choices */
	rl_ptype type;
	size_t offset;		/* of the field in the options struct */
	double lo, hi;		/* inclusive range for numbers */
} rl_param_def;

/* Sets the field named in "name=value" of `opts` from `table`. */
int rl_params_set(const rl_param_def *table, size_t n, void *opts,
		  const char *assignment);
/* Applies every default of `table` to `opts`. */
void rl_params_defaults(const rl_param_def *table, size_t n, void *opts);
/* Writes the parameters as a JSON object into b. */
int rl_params_json(const rl_param_def *table, size_t n, const void *opts,
		   rl_buf *b);

extern const rl_param_def rl_tokenize_params[];
extern const size_t rl_tokenize_nparams;
extern const rl_param_def rl_vectorize_params[];
extern const size_t rl_vectorize_nparams;
extern const rl_param_def rl_graph_params[];
extern const size_t rl_graph_nparams;
extern const rl_param_def rl_propagate_params[];
extern const size_t rl_propagate_nparams;
extern const rl_param_def rl_train_params[];
extern const size_t rl_train_nparams;
extern const rl_param_def rl_clusters_params[];
extern const size_t rl_clusters_nparams;
extern const rl_param_def rl_next_params[];
extern const size_t rl_next_nparams;

/* ---- labels (seeds.c) ---- */

/* RL_OK for a good label name; RL_EINVAL, with the reason as the
 * handle's detail, for one that is empty, has a tab or line break,
 * quotes or spaces at its ends, starts with '!' or '#', or is not UTF-8. */
int rl_label_name_check(rl_db *db, const char *s);

/* ---- JSON text (json.c) ---- */

/* Appends s[0..len) as a JSON string literal, escaping every control
 * character. */
int rl_json_string(rl_buf *b, const char *s, size_t len);

/* ---- HTML text (svg.c) ---- */

/* Appends s[0..len) escaped for HTML text and attribute values (and for
 * the XML of inline SVG): & < > " ' as entities, control characters other
 * than tab and line breaks as U+FFFD. */
int rl_html_escape(rl_buf *b, const char *s, size_t len);

/* ---- clock ---- */
double rl_now(void);	/* monotonic seconds */

/* The index of id in ids[n] (ascending), or -1 if it is not there. */
static inline int64_t rl_find_id(const int64_t *ids, size_t n, int64_t id)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && ids[lo] == id ? (int64_t)lo : -1;
}

/* rl_find_id in ids[n] strictly ascending (review ids): where the ids
 * have no gaps, as a store's usually do, id - ids[0] is the index, tried
 * first; the search only after a miss. At ten million reviews, loading
 * the graph's 100 million rows spent most of its time in the search. */
static inline int64_t rl_find_unique_id(const int64_t *ids, size_t n,
					int64_t id)
{
	if (n > 0 && id >= ids[0]) {
		uint64_t g = (uint64_t)id - (uint64_t)ids[0];
		if (g < n && ids[g] == id)
			return (int64_t)g;
	}
	return rl_find_id(ids, n, id);
}

#endif /* RL_INTERNAL_H */
