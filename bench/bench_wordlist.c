/*
 * bench_wordlist.c - word-list rules at scale (issue 17): a list of
 * entries (gen_wordlist.py) matched against every review of a corpus
 * (gen_corpus.py), and beside it PCRE2 with the same entries as one
 * alternation, \b(?:a|b c|...)\b, at the largest size PCRE2 compiles.
 * Prints load and match time, reviews per second, hits, and the peak
 * resident memory after each step.
 *
 * usage: bench_wordlist WORDS.txt CORPUS.tsv [PCRE2_ENTRIES]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "internal.h"
#include "rules.h"
#include "wordlist.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double peak_mb(void)
{
	struct rusage u;
	getrusage(RUSAGE_SELF, &u);
	return (double)u.ru_maxrss / 1024;
}

/* The whole file, NUL-terminated, or NULL. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	rl_buf b = { 0 };
	char chunk[1 << 16];
	size_t got;
	if (!f)
		return NULL;
	while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
		if (rl_buf_append(&b, chunk, got) != RL_OK)
			break;
	fclose(f);
	if (rl_buf_putc(&b, '\0') != RL_OK)
		return NULL;
	*len = b.len - 1;
	return b.data;
}

/* The alternation of the first n entries of the normalised list dump:
 * words joined by \W+ within an entry. */
static char *alternation(const char *dump, size_t n)
{
	rl_buf b = { 0 };
	size_t k = 0;
	rl_buf_append(&b, "\\b(?:", 5);
	for (const char *p = dump; *p && k < n; k++) {
		const char *nl = strchr(p, '\n');
		if (k)
			rl_buf_putc(&b, '|');
		for (const char *q = p; q < nl; q++) {
			if (*q == ' ')
				rl_buf_append(&b, "\\W+", 3);
			else
				rl_buf_putc(&b, *q);
		}
		p = nl + 1;
	}
	rl_buf_append(&b, ")\\b", 3);
	rl_buf_putc(&b, '\0');
	return b.data;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench_wordlist WORDS.txt CORPUS.tsv "
			"[PCRE2_ENTRIES]\n");
		return 2;
	}
	size_t len;
	char *corpus = slurp(argv[2], &len);
	if (!corpus) {
		fprintf(stderr, "%s: cannot read\n", argv[2]);
		return 1;
	}
	/* texts: the second column of each line after the header */
	size_t n = 0, cap = 1024;
	const char **text = malloc(cap * sizeof *text);
	size_t *tlen = malloc(cap * sizeof *tlen);
	char *p = strchr(corpus, '\n');
	while (p && *++p) {
		char *nl = strchr(p, '\n'), *tab = strchr(p, '\t');
		if (!nl)
			nl = p + strlen(p);
		if (tab && tab < nl) {
			if (n == cap) {
				cap *= 2;
				text = realloc(text, cap * sizeof *text);
				tlen = realloc(tlen, cap * sizeof *tlen);
			}
			text[n] = tab + 1;
			tlen[n++] = (size_t)(nl - tab - 1);
		}
		p = *nl ? nl : NULL;
	}
	printf("corpus: %zu reviews, %.1f MB; peak memory %.1f MB\n", n,
	       (double)len / 1e6, peak_mb());

	char err[512];
	rl_wordlist *w;
	double t0 = now();
	if (rl_wordlist_load(argv[1], &w, err, sizeof err) != RL_OK) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	double t1 = now();
	printf("word list: %zu entries (%zu duplicates folded) loaded in "
	       "%.3f s; peak memory %.1f MB\n", rl_wordlist_size(w),
	       rl_wordlist_duplicates(w), t1 - t0, peak_mb());
	size_t hits = 0, a, b;
	t0 = now();
	for (size_t i = 0; i < n; i++)
		hits += rl_wordlist_find(w, text[i], tlen[i], &a, &b) == 1;
	t1 = now();
	printf("word list: %zu of %zu reviews hit in %.3f s, %.0f reviews/s, "
	       "%.1f MB/s; peak memory %.1f MB\n", hits, n, t1 - t0,
	       (double)n / (t1 - t0), (double)len / 1e6 / (t1 - t0),
	       peak_mb());

	/* The peer: PCRE2, the same entries as one alternation, at the
	 * largest size that compiles (halving, then bisecting to 2%). */
	rl_buf dump = { 0 };
	rl_wordlist_dump(w, &dump);
	rl_buf_putc(&dump, '\0');
	size_t want = argc > 3 ? strtoul(argv[3], NULL, 10)
			       : rl_wordlist_size(w);
	size_t lo = 0, hi = want + 1;
	for (size_t k = want; k > 0 && !lo; k /= 2) {
		char *pat = alternation(dump.data, k);
		rl_matcher *m;
		size_t off;
		if (rl_matcher_new(pat, &m, err, sizeof err, &off) == RL_OK)
			lo = k;
		else
			hi = k;
		rl_matcher_free(m);
		free(pat);
	}
	if (lo < want)
		printf("pcre2: %zu entries do not compile: %s\n", hi, err);
	while (lo && hi - lo > lo / 50) {
		size_t mid = lo + (hi - lo) / 2;
		char *pat = alternation(dump.data, mid);
		rl_matcher *m;
		size_t off;
		if (rl_matcher_new(pat, &m, err, sizeof err, &off) == RL_OK)
			lo = mid;
		else
			hi = mid;
		rl_matcher_free(m);
		free(pat);
	}
	if (lo) {
		char *pat = alternation(dump.data, lo);
		rl_matcher *m;
		size_t off, phits = 0, done = 0, step = 100;
		t0 = now();
		rl_matcher_new(pat, &m, err, sizeof err, &off);
		t1 = now();
		free(pat);
		/* one review in 100 is enough to time it */
		double t2 = now();
		for (size_t i = 0; i < n; i += step, done++) {
			int r = rl_matcher_find(m, text[i], tlen[i], &a, &b,
						err, sizeof err);
			if (r < 0) {
				printf("pcre2: %s\n", err);
				break;
			}
			phits += r == 1;
		}
		double t3 = now();
		printf("pcre2: %zu entries (the most that compile, to 2%%) "
		       "compiled in %.3f s; %zu of %zu reviews (every %zuth) "
		       "hit in %.3f s, %.0f reviews/s; peak memory %.1f MB\n",
		       lo, t1 - t0, phits, done, step, t3 - t2,
		       (double)done / (t3 - t2), peak_mb());
		rl_matcher_free(m);
	}
	rl_buf_free(&dump);
	rl_wordlist_free(w);
	free(text);
	free(tlen);
	free(corpus);
	return 0;
}
