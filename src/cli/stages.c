/*
 * stages.c - what the stage commands (tokenize, vectorize, graph, run)
 * share: parsing -p parameters into each stage's options (and the
 * arguments of the listing commands next and suspects), and running a
 * stage with a report of what it did and how long it took.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int has_param(const char *stage, const char *name, size_t len)
{
	const rl_param *p;
	for (size_t i = 0; (p = rl_param_at(stage, i)); i++)
		if (strlen(p->name) == len && !strncmp(p->name, name, len))
			return 1;
	return 0;
}

static int set_in(cli_stages *st, const char *stage, const char *a)
{
	if (!strcmp(stage, "tokenize"))
		return rl_tokenize_opts_set(&st->tok, a);
	if (!strcmp(stage, "vectorize"))
		return rl_vectorize_opts_set(&st->vec, a);
	if (!strcmp(stage, "graph"))
		return rl_graph_opts_set(&st->graph, a);
	if (!strcmp(stage, "propagate"))
		return rl_propagate_opts_set(&st->prop, a);
	if (!strcmp(stage, "train"))
		return rl_eval_opts_set(&st->train, a);
	if (!strcmp(stage, "clusters"))
		return rl_clusters_opts_set(&st->clusters, a);
	if (!strcmp(stage, "next"))
		return rl_next_opts_set(&st->next, a);
	return RL_EINVAL;
}

int cli_stage_param(const char *cmd, cli_stages *st, const char *arg)
{
	const char *const *stages = cli_command_stages(cmd);
	const char *eq = strchr(arg, '=');
	if (!eq)
		return cli_usage(cmd, "parameter '%s' is not name=value", arg);
	const char *dot = memchr(arg, '.', (size_t)(eq - arg));
	const char *name = dot ? dot + 1 : arg;
	size_t len = (size_t)(eq - name);
	int matched = 0;
	for (const char *const *s = stages; s && *s; s++) {
		if (dot && (strlen(*s) != (size_t)(dot - arg) ||
			    strncmp(*s, arg, (size_t)(dot - arg))))
			continue;
		if (!has_param(*s, name, len))
			continue;
		matched = 1;
		if (set_in(st, *s, name) != RL_OK)
			return cli_usage(cmd, "bad value in '%s'", arg);
	}
	if (!matched)
		return cli_usage(cmd, "bad parameter '%s': no such parameter",
				 arg);
	return EXIT_OK;
}

void cli_stage_args_init(cli_stages *st)
{
	rl_tokenize_opts_init(&st->tok);
	rl_vectorize_opts_init(&st->vec);
	rl_graph_opts_init(&st->graph);
	rl_propagate_opts_init(&st->prop);
	rl_eval_opts_init(&st->train);
	rl_clusters_opts_init(&st->clusters);
	rl_next_opts_init(&st->next);
}

int cli_parse_count(const char *cmd, const char *arg, long lo, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < lo || v > 1000000)
		return cli_usage(cmd, "'%s' is not a number from %ld", arg, lo);
	*out = v;
	return EXIT_OK;
}

/* The arguments of the stage commands (-p, -q) and of the listing ones
 * (-p, -n, --json): the options a command has are those whose out
 * pointer is not NULL. */
static int parse_args(const char *cmd, int argc, char **argv,
		      cli_stages *st, int *quiet, long *n, int *json,
		      const char **db)
{
	static const struct option longopts[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	/* (an option the command lacks is unknown to getopt, so that its
	 * argument is not taken for it) */
	const char *shortopts = n ? "p:n:" : "p:q";
	cli_stage_args_init(st);
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) !=
	       -1) {
		if (c == 'p') {
			if (cli_stage_param(cmd, st, optarg) != EXIT_OK)
				return EXIT_USAGE;
		} else if (c == 'n' && n) {
			if (cli_parse_count(cmd, optarg, 1, n) != EXIT_OK)
				return EXIT_USAGE;
		} else if (c == 'q' && quiet) {
			*quiet = 1;
		} else if (c == 'j' && json) {
			*json = 1;
		} else {
			return cli_usage(cmd, "unknown option '%s'",
					 argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return cli_usage(cmd, argc - optind < 1
				 ? "missing DB" : "too many arguments");
	*db = argv[optind];
	return EXIT_OK;
}

int cli_list_args(const char *cmd, int argc, char **argv, cli_stages *st,
		  long *n, int *json, const char **db)
{
	return parse_args(cmd, argc, argv, st, NULL, n, json, db);
}

int cli_stage_args(const char *cmd, int argc, char **argv, cli_stages *st,
		   int *quiet, const char **db)
{
	return parse_args(cmd, argc, argv, st, quiet, NULL, NULL, db);
}

void cli_print_tokenize(const rl_tokenize_stats *s, double sec)
{
	printf("tokenize:  %llu reviews, %llu tokens, %llu new terms%s "
	       "(%.2f s, %.1f MB/s)\n",
	       (unsigned long long)s->reviews, (unsigned long long)s->tokens,
	       (unsigned long long)s->new_terms,
	       s->retokenized_all ? ", all redone: settings changed" : "",
	       sec, sec > 0 ? (double)s->bytes / sec / 1e6 : 0.0);
}

int cli_tokenize(rl_db *db, cli_stages *st, cli_progress *prog)
{
	rl_tokenize_stats s;
	st->tok.progress = cli_progress_cb;
	st->tok.ctx = prog;
	double t0 = cli_now();
	int rc = rl_tokenize(db, &st->tok, &s);
	cli_progress_end(prog);
	if (rc != RL_OK)
		return cli_fail(db, rc);
	if (!prog->quiet)
		cli_print_tokenize(&s, cli_now() - t0);
	return EXIT_OK;
}

void cli_print_vectorize(const rl_vectorize_stats *s, int dim, double sec)
{
	printf("vectorize: %llu reviews, %llu features, %llu tf-idf "
	       "entries, %d-dim lsa%s (%.2f s)\n",
	       (unsigned long long)s->reviews,
	       (unsigned long long)s->features,
	       (unsigned long long)s->nnz, dim,
	       s->refit ? ", fitted anew" : ", with the stored fit", sec);
}

int cli_vectorize(rl_db *db, cli_stages *st, cli_progress *prog)
{
	rl_vectorize_stats s;
	st->vec.progress = cli_progress_cb;
	st->vec.ctx = prog;
	double t0 = cli_now();
	int rc = rl_vectorize(db, &st->vec, &s);
	cli_progress_end(prog);
	if (rc != RL_OK)
		return cli_fail(db, rc);
	if (!prog->quiet)
		cli_print_vectorize(&s, st->vec.dim, cli_now() - t0);
	return EXIT_OK;
}

void cli_print_graph(const rl_graph_stats *s, int k, double sec)
{
	char recall[64] = "";
	if (!s->exact && s->recall >= 0)
		snprintf(recall, sizeof recall, ", recall@%d %.3f (sampled)",
			 k, s->recall);
	else if (s->changed)
		snprintf(recall, sizeof recall, "%s, %llu lists changed",
			 s->exact ? "" : " from the new reviews",
			 (unsigned long long)s->changed);
	/* Rounds, and whether the cap ended them: a user who wants a
	 * better graph raises -p graph.max_iters. */
	char rounds[96] = "";
	if (s->rounds)
		snprintf(rounds, sizeof rounds, ", pool %llu, %llu rounds%s",
			 (unsigned long long)s->pool,
			 (unsigned long long)s->rounds,
			 s->capped ? " (the cap, graph.max_iters)" : "");
	printf("graph:     %llu reviews, %llu edges on %s vectors, %s%s%s "
	       "(%.2f s)\n", (unsigned long long)s->reviews,
	       (unsigned long long)s->edges, s->vectors,
	       s->exact ? "exact" : s->incremental ? "refined (NN-descent)"
						   : "NN-descent",
	       rounds, recall, sec);
}

int cli_graph(rl_db *db, cli_stages *st, cli_progress *prog)
{
	rl_graph_stats s;
	st->graph.progress = cli_progress_cb;
	st->graph.ctx = prog;
	double t0 = cli_now();
	int rc = rl_graph(db, &st->graph, &s);
	cli_progress_end(prog);
	if (rc != RL_OK)
		return cli_fail(db, rc);
	if (!prog->quiet)
		cli_print_graph(&s, st->graph.k, cli_now() - t0);
	return EXIT_OK;
}

void cli_print_propagate(const rl_propagate_stats *s, double sec)
{
	char cluster[64] = "";
	if (s->cluster_seeds)
		snprintf(cluster, sizeof cluster, " and %llu cluster-named",
			 (unsigned long long)s->cluster_seeds);
	printf("propagate: %llu reviews from %llu hand labels%s: %llu "
	       "labelled, %llu abstained, %u iterations (%.2f s)\n",
	       (unsigned long long)s->reviews, (unsigned long long)s->seeds,
	       cluster, (unsigned long long)s->labelled,
	       (unsigned long long)s->abstained, s->iterations, sec);
}

int cli_propagate(rl_db *db, cli_stages *st, cli_progress *prog)
{
	rl_propagate_stats s;
	st->prop.progress = cli_progress_cb;
	st->prop.ctx = prog;
	double t0 = cli_now();
	int rc = rl_propagate(db, &st->prop, &s);
	cli_progress_end(prog);
	if (rc != RL_OK)
		return cli_fail(db, rc);
	if (!prog->quiet)
		cli_print_propagate(&s, cli_now() - t0);
	return EXIT_OK;
}

int cli_stage_command(const char *cmd, int argc, char **argv,
		      int (*stage)(rl_db *, cli_stages *, cli_progress *))
{
	cli_stages st;
	int quiet = 0;
	const char *path;
	int rc = cli_stage_args(cmd, argc, argv, &st, &quiet, &path);
	if (rc != EXIT_OK)
		return rc;
	rl_db *db = cli_open(path);
	if (!db)
		return EXIT_FAIL;
	cli_progress prog;
	cli_progress_init(&prog, quiet);
	rc = stage(db, &st, &prog);
	rl_db_close(db);
	return rc;
}
