/*
 * fuzz_tokenize.c - the tokenizer (tokenize.c over utf8proc and the
 * Snowball stemmer): the input is one review's text, tokenized by
 * rl_tokenize_text with two tokenizers made once, the defaults (stop
 * words, stemming, negation) and every filter off with min_len 3.
 *
 * Checked: a text that is not UTF-8 is RL_EINPUT and any other is
 * RL_OK; each token is non-empty, NUL-terminated at its length and valid
 * UTF-8; and the second pass over a text gives the same tokens as the
 * first (the word cache, warm by then, must not change them).
 */
#include "fuzz.h"

static rl_tokenizer *tk[3];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const settings[3][4] = {
		{ NULL },
		{ "stopwords=0", "stem=0", "negation=0", "min_len=3" },
		{ "negation=2" },
	};
	char err[512] = "";
	(void)argc;
	(void)argv;
	for (int t = 0; t < 3; t++) {
		rl_tokenize_opts o;
		rl_tokenize_opts_init(&o);
		for (int i = 0; i < 4 && settings[t][i]; i++)
			fz_setup_ok(rl_tokenize_opts_set(&o, settings[t][i]),
				    NULL, settings[t][i]);
		if (rl_tokenizer_new(&o, &tk[t], err, sizeof err) != RL_OK) {
			fprintf(stderr, "fuzz setup: tokenizer: %s\n", err);
			exit(2);
		}
	}
	return 0;
}

/* The tokens of one pass, joined by NUL bytes. */
typedef struct pass {
	rl_buf out;
	uint64_t n;
} pass;

static void on_token(void *ctx, const char *tok, size_t len)
{
	pass *p = ctx;
	FZ_CHECK(tok != NULL && len > 0);
	FZ_CHECK(tok[len] == '\0' && strlen(tok) == len);
	FZ_CHECK(rl_utf8_check(tok, len) == len);
	FZ_CHECK(rl_buf_append(&p->out, tok, len + 1) == RL_OK);
	p->n++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	int valid = rl_utf8_check(text, size) == size;
	for (int t = 0; t < 3; t++) {
		pass p[2] = { { { 0 }, 0 }, { { 0 }, 0 } };
		for (int i = 0; i < 2; i++) {
			int rc = rl_tokenize_text(tk[t], text, size, on_token,
						  &p[i]);
			FZ_CHECK(rc == (valid ? RL_OK : RL_EINPUT));
		}
		FZ_CHECK(p[0].n == p[1].n && p[0].out.len == p[1].out.len);
		FZ_CHECK(p[0].out.len == 0 ||
			 !memcmp(p[0].out.data, p[1].out.data, p[0].out.len));
		rl_buf_free(&p[0].out);
		rl_buf_free(&p[1].out);
	}
	return 0;
}
