/*
 * util.c - what the subcommands share: messages, opening the store,
 * progress lines, the statistics table.
 */
#include <stdarg.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

void cli_error(const char *fmt, ...)
{
	va_list ap;
	fputs("revlab: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* The one command that makes what a failure found missing. The
 * library says what is missing; only the CLI knows its own commands. */
static void hint(rl_db *db)
{
	const char *p = rl_db_path(db);
	switch (rl_db_need(db)) {
	case RL_NEED_NOTHING:
		return;
	case RL_NEED_STORE:
		fprintf(stderr, "revlab: create it with `revlab init %s`\n", p);
		return;
	case RL_NEED_REVIEWS:
		fprintf(stderr, "revlab: import some with `revlab import %s "
			"FILE`\n", p);
		return;
	case RL_NEED_TOKENS:
	case RL_NEED_VECTORS:
	case RL_NEED_GRAPH:
		/* run makes every missing stage with the stored settings,
		 * and labels nothing without hand labels. */
		fprintf(stderr, "revlab: `revlab run %s` runs every stage "
			"that is missing (tokenize, vectorize, graph)\n", p);
		return;
	case RL_NEED_HAND_LABELS:
		fprintf(stderr, "revlab: add some with `revlab seed %s FILE` "
			"or `revlab label %s`\n", p, p);
		return;
	case RL_NEED_LABEL:
		fprintf(stderr, "revlab: declare it with `revlab labels %s "
			"--add NAME`, or load the rules with "
			"--create-labels\n", p);
		return;
	case RL_NEED_MODEL:
		fprintf(stderr, "revlab: `revlab run %s` trains one\n", p);
		return;
	case RL_NEED_CLUSTERS:
		fprintf(stderr, "revlab: make them with `revlab clusters "
			"%s`\n", p);
		return;
	}
}

int cli_fail(rl_db *db, int code)
{
	const char *detail = db ? rl_db_errmsg(db) : "";
	cli_error("%s", *detail ? detail : rl_strerror(code));
	if (db && *detail)
		hint(db);
	return code == RL_EINVAL ? EXIT_USAGE : EXIT_FAIL;
}

int cli_usage(const char *name, const char *fmt, ...)
{
	va_list ap;
	fputs("revlab: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nrun `revlab help %s` for usage\n", name);
	return EXIT_USAGE;
}

rl_db *cli_open(const char *path)
{
	return cli_open_as(path, 0);
}

rl_db *cli_open_as(const char *path, unsigned flags)
{
	rl_db *db = NULL;
	int rc = rl_db_open(path, flags, &db);
	if (rc != RL_OK) {
		cli_fail(db, rc);
		rl_db_close(db);
		return NULL;
	}
	return db;
}

void cli_json_str(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

double cli_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Ctrl-C during a stage: the stage is asked to stop (the library rolls
 * it back); a second Ctrl-C ends the program at once. */
static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

int cli_interrupted(void)
{
	return interrupted;
}

void cli_progress_init(cli_progress *p, int quiet)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigint;
	sa.sa_flags = (int)SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	memset(p, 0, sizeof *p);
	p->quiet = quiet;
	p->tty = isatty(fileno(stderr));
	p->start = cli_now();
}

static void human(char *dst, size_t cap, double x, int bytes)
{
	static const char *const unit[] = { "", "k", "M", "G", "T" };
	int u = 0;
	double base = bytes ? 1024 : 1000;
	while (x >= base && u < 4) {
		x /= base;
		u++;
	}
	snprintf(dst, cap, u ? "%.1f %s%s" : "%.0f %s%s", x, unit[u],
		 bytes ? "B" : "");
}

int cli_progress_cb(void *ctx, const char *stage, uint64_t done,
		    uint64_t total)
{
	cli_progress *p = ctx;
	if (interrupted)
		return 1;
	if (p->quiet)
		return 0;
	double now = cli_now();
	/* Rates and ETAs are per stage: `run` shares one cli_progress. A
	 * count going back, or a new total, is a new stage of the same
	 * name (run's labelling propagates again after propagation). */
	if (strncmp(stage, p->stage, sizeof p->stage - 1) ||
	    done < p->done || total != p->total) {
		snprintf(p->stage, sizeof p->stage, "%s", stage);
		p->start = now;
	}
	p->done = done;
	p->total = total;
	double el = now - p->start;
	/* Only a stage that lasts a while earns a progress line; without a
	 * terminal, one line every 5 seconds is enough for a log. */
	if (el < 1.0 || (!p->tty && now - p->last_line < 5.0))
		return 0;
	p->last_line = now;
	int bytes = !strcmp(stage, "import");
	char d[32], t[32], r[32], eta[32] = "";
	human(d, sizeof d, (double)done, bytes);
	human(t, sizeof t, (double)total, bytes);
	human(r, sizeof r, el > 0 ? (double)done / el : 0, bytes);
	if (total && done && done < total)
		snprintf(eta, sizeof eta, ", eta %.0f s",
			 el * (double)(total - done) / (double)done);
	if (total)
		fprintf(stderr, "%s%s: %s of %s (%.0f%%), %s/s%s%s",
			p->tty ? "\r" : "", stage, d, t,
			100.0 * (double)done / (double)total, r, eta,
			p->tty ? "\033[K" : "\n");
	else
		fprintf(stderr, "%s%s: %s, %s/s%s", p->tty ? "\r" : "", stage,
			d, r, p->tty ? "\033[K" : "\n");
	p->drawn = p->tty;
	fflush(stderr);
	return 0;
}

void cli_progress_end(cli_progress *p)
{
	if (p->drawn)
		fputs("\r\033[K", stderr);
	p->drawn = 0;
}

static int print_run(void *ctx, const rl_run_info *r)
{
	FILE *out = ctx;
	fprintf(out, "  %-10s %s  %8.2f s  %s\n", r->stage, r->started,
		r->seconds, r->counts);
	return 0;
}

int cli_print_stats(rl_db *db, FILE *out)
{
	rl_stats st;
	int rc = rl_stats_get(db, &st);
	if (rc != RL_OK)
		return rc;
	fprintf(out,
		"mode       %s\n"
		"reviews    %llu\n"
		"tokenized  %llu\n"
		"tokens     %llu\n"
		"terms      %llu\n"
		"labels     %llu\n"
		"seeds      %llu\n"
		"rules      %llu\n",
		rl_db_multi_label(db) ? "multi-label" : "single-label",
		(unsigned long long)st.reviews,
		(unsigned long long)st.tokenized,
		(unsigned long long)st.tokens, (unsigned long long)st.terms,
		(unsigned long long)st.labels, (unsigned long long)st.seeds,
		(unsigned long long)st.rules);
	if (st.cluster_seeds)
		fprintf(out, "cluster-named %llu\n",
			(unsigned long long)st.cluster_seeds);
	fprintf(out, "last runs:\n");
	if (st.runs == 0)
		fprintf(out, "  (none)\n");
	return rl_runs_last(db, print_run, out);
}

void cli_snippet(FILE *f, const char *s, size_t max)
{
	size_t len = strlen(s), cut = len;
	if (len > max) {
		/* Cut on a character boundary, never inside a UTF-8
		 * sequence. */
		cut = max;
		while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
			cut--;
	}
	/* Control characters (line breaks, tabs, escape sequences that
	 * would drive the terminal) as spaces. */
	for (size_t i = 0; i < cut; i++) {
		unsigned char c = (unsigned char)s[i];
		fputc(c < 0x20 || c == 0x7f ? ' ' : c, f);
	}
	if (cut < len)
		fputs("...", f);
}

const char *cli_annotator(const char *given)
{
	const char *e;
	if (given)
		return given;
	if ((e = getenv("REVLAB_ANNOTATOR")) && *e)
		return e;
	if ((e = getenv("USER")) && *e)
		return e;
	return "";
}

void cli_bytes(char *buf, size_t n, uint64_t bytes)
{
	static const char *const unit[] = { "KB", "MB", "GB", "TB" };
	double v = (double)bytes;
	int u = -1;
	while (v >= 1000 && u < 3) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, n, "%llu B", (unsigned long long)bytes);
	else
		snprintf(buf, n, v < 10 ? "%.2f %s" : "%.1f %s", v, unit[u]);
}
