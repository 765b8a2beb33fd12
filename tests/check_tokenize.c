/*
 * check_tokenize.c - the tokenizer kernel and its lexicons: golden files
 * in tests/data/tokenize/ (NAME.txt in, NAME.tokens out, one token a
 * line), UTF-8 checking, normalisation equivalences, lexicon loading and
 * its errors, the fingerprint, and long texts.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"
#include "lexicon.h"
/* This suite needs the folder helpers, not the store ones. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "testutil.h"
#pragma GCC diagnostic pop

#define GOLDEN_DIR RL_TEST_DATA_DIR "/tokenize"

/* Tokens joined by '\n', each followed by one. Problems are noted and
 * asserted afterwards: Check records every assertion that passes, which
 * would dominate the run time for a million tokens. */
typedef struct collect {
	rl_buf out;
	int bad_nul;		/* a token was not NUL-terminated at len */
	int rc;
} collect;

static void on_token(void *ctx, const char *tok, size_t len)
{
	collect *c = ctx;
	if (tok[len] != '\0' || strlen(tok) != len)
		c->bad_nul = 1;
	if (c->rc == RL_OK)
		c->rc = rl_buf_append(&c->out, tok, len);
	if (c->rc == RL_OK)
		c->rc = rl_buf_putc(&c->out, '\n');
}

static void on_token_count(void *ctx, const char *tok, size_t len)
{
	(void)tok;
	(void)len;
	++*(size_t *)ctx;
}

/* Applies space-separated "name=value" settings to o. */
static void set_opts(rl_tokenize_opts *o, const char *settings)
{
	char buf[256];
	snprintf(buf, sizeof buf, "%s", settings);
	for (char *s = strtok(buf, " "); s; s = strtok(NULL, " "))
		ck_assert_msg(rl_tokenize_opts_set(o, s) == RL_OK,
			      "bad setting %s", s);
}

static rl_tokenizer *make(const char *settings)
{
	rl_tokenize_opts o;
	rl_tokenizer *tk = NULL;
	char err[512] = "";
	rl_tokenize_opts_init(&o);
	set_opts(&o, settings);
	ck_assert_msg(rl_tokenizer_new(&o, &tk, err, sizeof err) == RL_OK,
		      "tokenizer: %s", err);
	return tk;
}

/* Tokenizes s[0..len) with tk; returns the joined tokens, malloc'd. */
static char *tokens_of(rl_tokenizer *tk, const char *s, size_t len)
{
	collect c = { 0 };
	ck_assert_int_eq(rl_buf_append(&c.out, "", 0), RL_OK);
	ck_assert_int_eq(rl_tokenize_text(tk, s, len, on_token, &c), RL_OK);
	ck_assert_int_eq(c.rc, RL_OK);
	ck_assert_msg(!c.bad_nul, "a token was not NUL-terminated");
	return c.out.data;
}

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	rl_buf b = { 0 };
	char chunk[4096];
	size_t n;
	ck_assert_int_eq(rl_buf_append(&b, "", 0), RL_OK);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		ck_assert_int_eq(rl_buf_append(&b, chunk, n), RL_OK);
	fclose(f);
	return b.data;
}

/* ---- golden files ---- */

#define ALL_OFF "stopwords=0 stem=0 negation=0"

static const struct golden {
	const char *name;
	const char *settings;
} goldens[] = {
	{ "accents", ALL_OFF },
	{ "casefold", ALL_OFF },
	{ "cjk", ALL_OFF },
	{ "emoji", ALL_OFF },
	{ "apostrophes", ALL_OFF },
	{ "prices", ALL_OFF },
	{ "urls", ALL_OFF },
	{ "punctuation", ALL_OFF },
	{ "negation", "" },
	{ "negation_off", "negation=0" },
	{ "negation_both", "negation=2" },
	{ "stopwords_on", "stopwords=1 stem=0 negation=0" },
	{ "stem_on", "stopwords=0 stem=1 negation=0" },
	{ "filters_off", ALL_OFF },
	{ "min_len", ALL_OFF " min_len=3" },
};

START_TEST(golden)
{
	const struct golden *g = &goldens[_i];
	char path[1024];
	snprintf(path, sizeof path, "%s/%s.txt", GOLDEN_DIR, g->name);
	char *text = read_all(path);
	snprintf(path, sizeof path, "%s/%s.tokens", GOLDEN_DIR, g->name);
	char *want = read_all(path);
	rl_tokenizer *tk = make(g->settings);
	char *got = tokens_of(tk, text, strlen(text));
	ck_assert_msg(strcmp(got, want) == 0,
		      "%s: tokens differ\n--- got:\n%s--- want:\n%s", g->name,
		      got, want);
	free(got);
	free(want);
	free(text);
	rl_tokenizer_free(tk);
}
END_TEST

/* ---- UTF-8 ---- */

static const struct {
	const char *s;
	size_t len, bad_at;
} utf8_cases[] = {
	{ "", 0, 0 },
	{ "plain ascii", 11, 11 },
	{ "caf\xc3\xa9", 5, 5 },
	{ "a\0b", 3, 3 },			/* NUL is valid */
	{ "\xf0\x9f\x98\x80!", 5, 5 },		/* 4-byte emoji */
	{ "abc\xff" "def", 7, 3 },		/* never valid byte */
	{ "\xc3\xa9\xc3", 3, 2 },		/* truncated at end */
	{ "ab\xc3(", 4, 2 },			/* bad continuation */
	{ "\xc0\xaf", 2, 0 },			/* overlong '/' */
	{ "\xe0\x80\xaf", 3, 0 },		/* overlong, 3 bytes */
	{ "x\xed\xa0\x80", 4, 1 },		/* surrogate U+D800 */
	{ "\xf4\x90\x80\x80", 4, 0 },		/* above U+10FFFF */
	{ "12345678\x80", 9, 8 },		/* after the 8-byte path */
	{ "0123456789abcdef\xe2\x82", 18, 16 },
};

START_TEST(utf8_check_offsets)
{
	for (size_t i = 0; i < sizeof utf8_cases / sizeof utf8_cases[0];
	     i++)
		ck_assert_msg(rl_utf8_check(utf8_cases[i].s,
					    utf8_cases[i].len) ==
				      utf8_cases[i].bad_at,
			      "case %zu: got %zu, want %zu", i,
			      rl_utf8_check(utf8_cases[i].s,
					    utf8_cases[i].len),
			      utf8_cases[i].bad_at);
}
END_TEST

START_TEST(invalid_utf8)
{
	rl_tokenizer *tk = make("");
	for (size_t i = 0; i < sizeof utf8_cases / sizeof utf8_cases[0];
	     i++) {
		size_t count = 0;
		int want = utf8_cases[i].bad_at < utf8_cases[i].len
				   ? RL_EINPUT
				   : RL_OK;
		ck_assert_int_eq(rl_tokenize_text(tk, utf8_cases[i].s,
						  utf8_cases[i].len,
						  on_token_count, &count),
				 want);
		/* No token is handed out before the whole text is known
		 * to be good. */
		if (want == RL_EINPUT)
			ck_assert_uint_eq(count, 0);
	}
	rl_tokenizer_free(tk);
}
END_TEST

START_TEST(empty_and_blank)
{
	rl_tokenizer *tk = make("");
	size_t count = 0;
	ck_assert_int_eq(rl_tokenize_text(tk, "", 0, on_token_count, &count),
			 RL_OK);
	ck_assert_int_eq(rl_tokenize_text(tk, NULL, 0, on_token_count,
					  &count), RL_OK);
	const char *blank = " \t\n...!? -- \xe3\x80\x82 \xc2\xa0 the a of";
	ck_assert_int_eq(rl_tokenize_text(tk, blank, strlen(blank),
					  on_token_count, &count), RL_OK);
	ck_assert_uint_eq(count, 0);
	ck_assert_int_eq(rl_tokenize_text(NULL, "x", 1, on_token_count,
					  &count), RL_EINVAL);
	ck_assert_int_eq(rl_tokenize_text(tk, "x", 1, NULL, NULL),
			 RL_EINVAL);
	rl_tokenizer_free(tk);
	rl_tokenizer_free(NULL);
}
END_TEST

/* ---- normalisation ---- */

static const struct {
	const char *nfc, *nfd;
} nfd_pairs[] = {
	{ "Caf\xc3\xa9 \xc3\x85ngstr\xc3\xb6m r\xc3\xa9sum\xc3\xa9 "
	  "na\xc3\xafve",
	  "Cafe\xcc\x81 A\xcc\x8angstro\xcc\x88m re\xcc\x81sume\xcc\x81 "
	  "nai\xcc\x88ve" },
	/* Hangul syllables against conjoining jamo */
	{ "\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4 "
	  "\xec\xa2\x8b\xec\x95\x84\xec\x9a\x94",
	  "\xe1\x84\x92\xe1\x85\xa1\xe1\x86\xab\xe1\x84\x80\xe1\x85\xae"
	  "\xe1\x86\xa8\xe1\x84\x8b\xe1\x85\xa5 \xe1\x84\x8c\xe1\x85\xa9"
	  "\xe1\x87\x82\xe1\x84\x8b\xe1\x85\xa1\xe1\x84\x8b\xe1\x85\xad" },
	/* two marks on one letter, in canonical and in reversed order */
	{ "Ti\xe1\xba\xbfng Vi\xe1\xbb\x87t",
	  "Tie\xcc\x82\xcc\x81ng Vie\xcc\xa3\xcc\x82t" },
	{ "Vi\xe1\xbb\x87t", "Vie\xcc\x82\xcc\xa3t" },
	/* kana with voiced sound marks */
	{ "\xe3\x81\x8c\xe3\x81\x8e \xe3\x82\xac",
	  "\xe3\x81\x8b\xe3\x82\x99\xe3\x81\x8d\xe3\x82\x99 "
	  "\xe3\x82\xab\xe3\x82\x99" },
	/* a mark right at the start, and one after a digit */
	{ "\xc3\xa9t\xc3\xa9 5\xc3\xa9", "e\xcc\x81te\xcc\x81 5e\xcc\x81" },
};

START_TEST(nfc_equals_nfd)
{
	rl_tokenizer *tk = make("");
	for (size_t i = 0; i < sizeof nfd_pairs / sizeof nfd_pairs[0]; i++) {
		char *a = tokens_of(tk, nfd_pairs[i].nfc,
				    strlen(nfd_pairs[i].nfc));
		char *b = tokens_of(tk, nfd_pairs[i].nfd,
				    strlen(nfd_pairs[i].nfd));
		ck_assert_msg(*a && strcmp(a, b) == 0,
			      "pair %zu: NFC gives\n%sNFD gives\n%s", i, a, b);
		free(a);
		free(b);
	}
	rl_tokenizer_free(tk);
}
END_TEST

START_TEST(normalize_entry)
{
	rl_buf b = { 0 };
	const char *s = "DON\xe2\x80\x99T Stra\xc3\x9f" "e";
	ck_assert_int_eq(rl_normalize(s, strlen(s), &b), RL_OK);
	ck_assert_str_eq(b.data, "don't strasse");
	b.len = 0;
	ck_assert_int_eq(rl_normalize("\xff", 1, &b), RL_EINPUT);
	rl_buf_free(&b);
}
END_TEST

/* Tokenizes a plain text, then neg_text (whose tokens must be want),
 * then the plain text again: a negation scope must not leak from one
 * text into the next, nor reused buffers old bytes. */
static void check_reuse(const char *settings, const char *neg_text,
			const char *want)
{
	rl_tokenizer *tk = make(settings);
	const char *a = "great phone, would buy twice from them";
	char *first = tokens_of(tk, a, strlen(a));
	char *neg = tokens_of(tk, neg_text, strlen(neg_text));
	ck_assert_str_eq(neg, want);
	char *second = tokens_of(tk, a, strlen(a));
	ck_assert_str_eq(first, second);
	ck_assert_str_eq(first, "great\nphone\nbuy\ntwice\n");
	free(first);
	free(neg);
	free(second);
	rl_tokenizer_free(tk);
}

START_TEST(reuse_and_scope_reset)
{
	check_reuse("stem=0", "never", "never\n");
}
END_TEST

START_TEST(reuse_and_scope_reset_kept)
{
	/* With negation 2 the scope's marked words come out when the text
	 * ends, and are not carried into the next. */
	check_reuse("stem=0 negation=2", "never buy",
		    "never\nbuy\nnot_buy\n");
}
END_TEST

START_TEST(long_text)
{
	/* 1 MiB of a mixed unit, then one 1 MiB word, then 1 MiB of
	 * decomposed accents with no space. */
	const char *unit = "Great phone, don't buy \xf0\x9f\x98\x80 caf\xc3\xa9"
			   " $4.50 www.x.com. ";
	size_t ul = strlen(unit), reps = (1u << 20) / ul;
	char *text = malloc((1u << 20) + 1);
	ck_assert_ptr_nonnull(text);
	for (size_t i = 0; i < reps; i++)
		memcpy(text + i * ul, unit, ul);
	rl_tokenizer *tk = make("");
	char *got = tokens_of(tk, text, reps * ul);
	const char *per = "great\nphone\ndon't\nnot_buy\n\xf0\x9f\x98\x80\n"
			  "not_caf\xc3\xa9\n$4.50\n<url>\n";
	size_t pl = strlen(per);
	ck_assert_uint_eq(strlen(got), reps * pl);
	/* The full stop after the URL ends the scope of "don't". */
	ck_assert_int_eq(memcmp(got, per, pl), 0);
	ck_assert_str_eq(got + strlen(got) - pl, per);
	free(got);

	size_t n = 1u << 20;
	memset(text, 'a', n);
	size_t count = 0;
	ck_assert_int_eq(rl_tokenize_text(tk, text, n, on_token_count,
					  &count), RL_OK);
	ck_assert_uint_eq(count, 1);

	for (size_t i = 0; i + 3 <= n; i += 3)
		memcpy(text + i, "e\xcc\x81", 3);
	rl_tokenizer_free(tk);
	tk = make("stem=0");
	got = tokens_of(tk, text, n / 3 * 3);
	ck_assert_uint_eq(strlen(got), n / 3 * 2 + 1);
	ck_assert_int_eq(memcmp(got, "\xc3\xa9\xc3\xa9", 4), 0);
	free(got);
	free(text);
	rl_tokenizer_free(tk);
}
END_TEST

START_TEST(cache_overflow)
{
	/* More distinct words than the tokenizer remembers: the cache is
	 * dropped and refilled, and the words keep their stems. */
	size_t n = 210000;
	rl_buf text = { 0 };
	char w[32];
	int rc = RL_OK;
	for (size_t i = 0; i < n && rc == RL_OK; i++) {
		int l = snprintf(w, sizeof w, "Running x%zu ", i);
		rc = rl_buf_append(&text, w, (size_t)l);
	}
	ck_assert_int_eq(rc, RL_OK);
	rl_tokenizer *tk = make("");
	char *got = tokens_of(tk, text.data, text.len);
	snprintf(w, sizeof w, "run\nx%zu\n", n - 1);
	ck_assert_str_eq(got + strlen(got) - strlen(w), w);
	ck_assert_int_eq(memcmp(got, "run\nx0\nrun\nx1\n", 14), 0);
	free(got);
	got = tokens_of(tk, "Running x0", 10);
	ck_assert_str_eq(got, "run\nx0\n");
	free(got);
	rl_buf_free(&text);
	rl_tokenizer_free(tk);
}
END_TEST

/* ---- lexicons ---- */

static void write_lexicon(const char *dir, const char *lang,
			  const char *stop, const char *neg,
			  const char *stemmer)
{
	char path[768];
	snprintf(path, sizeof path, "%s/%s", tu_path(dir), lang);
	mkdir(tu_path(dir), 0777);
	ck_assert_int_eq(mkdir(path, 0777), 0);
	const struct {
		const char *name, *text;
	} files[] = {
		{ "stopwords.txt", stop },
		{ "negations.txt", neg },
		{ "stemmer", stemmer },
	};
	for (size_t i = 0; i < 3; i++) {
		char name[200];
		if (!files[i].text)
			continue;
		snprintf(name, sizeof name, "%s/%s/%s", dir, lang,
			 files[i].name);
		tu_write(name, files[i].text, strlen(files[i].text));
	}
}

static int try_make(const char *dir, const char *lang, const char *settings,
		    rl_tokenizer **tk, char *err, size_t errlen)
{
	rl_tokenize_opts o;
	rl_tokenize_opts_init(&o);
	set_opts(&o, settings);
	o.lexicon_dir = dir;
	o.language = lang;
	return rl_tokenizer_new(&o, tk, err, errlen);
}

START_TEST(missing_language)
{
	rl_tokenizer *tk = (rl_tokenizer *)&tk;
	char err[512] = "";
	ck_assert_int_eq(try_make(GOLDEN_DIR "/nowhere", "fr", "", &tk, err,
				  sizeof err), RL_EIO);
	ck_assert_ptr_null(tk);
	ck_assert_str_eq(err, GOLDEN_DIR "/nowhere/fr/stopwords.txt: "
			 "No such file or directory");
	/* A language name cannot reach outside the lexicon folder. */
	ck_assert_int_eq(try_make(GOLDEN_DIR, "../tokenize", "", &tk,
				  err, sizeof err), RL_EINVAL);
	ck_assert_int_eq(try_make(GOLDEN_DIR, "", "", &tk, err,
				  sizeof err), RL_EINVAL);
	/* err may be left out. */
	ck_assert_int_eq(try_make(GOLDEN_DIR "/nowhere", "fr", "", &tk, NULL,
				  0), RL_EIO);
}
END_TEST

START_TEST(custom_lexicon)
{
	/* No negations.txt and no stemmer: only n't negates, no stemming.
	 * Entries are trimmed, commented and normalised. */
	write_lexicon("lex", "xx",
		      "# a test list\n\n  THE  # article\r\n\xc3\x9cND\n"
		      "DON\xe2\x80\x99T\nwas",
		      NULL, NULL);
	rl_tokenizer *tk = NULL;
	char err[512] = "";
	const char *text = "The und \xc3\xbcnd Running don't was x, y";
	ck_assert_int_eq(try_make(tu_path("lex"), "xx", "", &tk, err,
				  sizeof err), RL_OK);
	char *got = tokens_of(tk, text, strlen(text));
	ck_assert_str_eq(got, "und\nrunning\ndon't\nnot_x\ny\n");
	free(got);
	rl_tokenizer_free(tk);

	/* Without negation, "don't" is just a listed stop word. */
	ck_assert_int_eq(try_make(tu_path("lex"), "xx", "negation=0", &tk,
				  err, sizeof err), RL_OK);
	got = tokens_of(tk, text, strlen(text));
	ck_assert_str_eq(got, "und\nrunning\nx\ny\n");
	free(got);
	rl_tokenizer_free(tk);
}
END_TEST

START_TEST(bad_lexicon_files)
{
	rl_tokenizer *tk = NULL;
	char err[512] = "", want[768];

	write_lexicon("l1", "xx", "a\n", NULL, "# algorithm\nklingon\n");
	ck_assert_int_eq(try_make(tu_path("l1"), "xx", "", &tk, err,
				  sizeof err), RL_EINPUT);
	snprintf(want, sizeof want, "%s/xx/stemmer:2: unknown Snowball "
		 "algorithm \"klingon\"", tu_path("l1"));
	ck_assert_str_eq(err, want);

	write_lexicon("l2", "xx", "a\nb\xff\n", NULL, NULL);
	ck_assert_int_eq(try_make(tu_path("l2"), "xx", "", &tk, err,
				  sizeof err), RL_EINPUT);
	snprintf(want, sizeof want, "%s/xx/stopwords.txt:2: not valid UTF-8",
		 tu_path("l2"));
	ck_assert_str_eq(err, want);

	write_lexicon("l3", "xx", "a\n", "no\n\xc3\n", NULL);
	ck_assert_int_eq(try_make(tu_path("l3"), "xx", "", &tk, err,
				  sizeof err), RL_EINPUT);
	ck_assert_ptr_nonnull(strstr(err, "/xx/negations.txt:2: "));

	/* A folder where a file should be is unreadable, not absent. */
	write_lexicon("l4", "xx", "a\n", NULL, NULL);
	snprintf(want, sizeof want, "%s/xx/negations.txt", tu_path("l4"));
	ck_assert_int_eq(mkdir(want, 0777), 0);
	ck_assert_int_eq(try_make(tu_path("l4"), "xx", "", &tk, err,
				  sizeof err), RL_EIO);
	ck_assert_ptr_nonnull(strstr(err, want));
	ck_assert_ptr_null(tk);
}
END_TEST

START_TEST(fingerprint)
{
	static const char *const variants[] = {
		"stopwords=0", "stem=0", "negation=0", "min_len=2",
	};
	rl_tokenizer *a = make(""), *b = make("");
	char fp[32];
	snprintf(fp, sizeof fp, "%s", rl_tokenizer_fingerprint(a));
	ck_assert_uint_eq(strlen(fp), 16);
	ck_assert_str_eq(fp, rl_tokenizer_fingerprint(b));
	rl_tokenizer_free(b);
	for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
		b = make(variants[i]);
		ck_assert_msg(strcmp(fp, rl_tokenizer_fingerprint(b)) != 0,
			      "%s left the fingerprint alone", variants[i]);
		rl_tokenizer_free(b);
	}
	rl_tokenizer_free(a);

	/* Same lexicon contents in two places: same fingerprint. One word
	 * more, or a stemmer file removed: a different one. */
	const char *stop = "the\n";
	write_lexicon("d1", "xx", stop, "not\n", "english\n");
	write_lexicon("d2", "xx", stop, "not\n", "english\n");
	write_lexicon("d3", "xx", "the\na\n", "not\n", "english\n");
	write_lexicon("d4", "xx", stop, "not\n", NULL);
	char err[512], fps[4][32];
	for (int i = 0; i < 4; i++) {
		char d[8];
		snprintf(d, sizeof d, "d%d", i + 1);
		ck_assert_int_eq(try_make(tu_path(d), "xx", "", &a, err,
					  sizeof err), RL_OK);
		snprintf(fps[i], sizeof fps[i], "%s",
			 rl_tokenizer_fingerprint(a));
		rl_tokenizer_free(a);
	}
	ck_assert_str_eq(fps[0], fps[1]);
	ck_assert_str_ne(fps[0], fps[2]);
	ck_assert_str_ne(fps[0], fps[3]);
	ck_assert_str_ne(fps[2], fps[3]);
}
END_TEST

static Suite *tokenize_suite(void)
{
	Suite *s = suite_create("tokenize");
	TCase *tc = tcase_create("kernel");
	tcase_add_loop_test(tc, golden, 0,
			    (int)(sizeof goldens / sizeof goldens[0]));
	tcase_add_test(tc, utf8_check_offsets);
	tcase_add_test(tc, invalid_utf8);
	tcase_add_test(tc, empty_and_blank);
	tcase_add_test(tc, nfc_equals_nfd);
	tcase_add_test(tc, normalize_entry);
	tcase_add_test(tc, reuse_and_scope_reset);
	tcase_add_test(tc, reuse_and_scope_reset_kept);
	tcase_add_test(tc, long_text);
	tcase_add_test(tc, cache_overflow);
	suite_add_tcase(s, tc);

	tc = tcase_create("lexicon");
	tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
	tcase_add_test(tc, missing_language);
	tcase_add_test(tc, custom_lexicon);
	tcase_add_test(tc, bad_lexicon_files);
	tcase_add_test(tc, fingerprint);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(tokenize_suite());
}
