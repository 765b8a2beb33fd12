/*
 * cmd_clusters.c - `revlab clusters DB [--k N] [--json]`: clusters of
 * the reviews, for a corpus with no labels yet; `clusters show DB
 * [CLUSTER]` prints the stored clustering or one cluster's reviews;
 * `clusters name DB CLUSTER LABEL` turns a cluster's most central
 * reviews into cluster-named labels (evidence, never gold).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define SNIPPET 72	/* bytes of review text on one line */

static void snippet(const char *s)
{
	cli_snippet(stdout, s, SNIPPET);
	putchar('\n');
}

typedef struct printer {
	rl_db *db;
	int json, first, n;
	int rc;
} printer;

static int print_member(void *ctx, const rl_cluster_member *m)
{
	printer *p = ctx;
	if (p->json) {
		printf("%s{\"id\":", p->first ? "" : ",");
		cli_json_str(stdout, m->id);
		printf(",\"similarity\":%.4f,\"label\":", m->similarity);
		cli_json_str(stdout, m->label);
		printf(",\"origin\":");
		cli_json_str(stdout, m->origin);
		printf(",\"text\":");
		cli_json_str(stdout, m->text);
		printf("}");
		p->first = 0;
		return 0;
	}
	printf("  %.3f  %-10s ", m->similarity, m->id);
	if (m->label)
		printf("[%s%s] ", !strcmp(m->origin, "hand") ? "" : "cluster: ",
		       m->label);
	snippet(m->text);
	return 0;
}

static int print_cluster(void *ctx, const rl_cluster_info *c)
{
	printer *p = ctx;
	printer mp = { p->db, p->json, 1, 0, 0 };
	if (p->json) {
		printf("%s{\"id\":%lld,\"size\":%llu,\"terms\":%s,"
		       "\"central\":[", p->first ? "" : ",", (long long)c->id,
		       (unsigned long long)c->size, c->terms_json);
	} else {
		printf("\ncluster %lld: %llu reviews\n  terms: ",
		       (long long)c->id, (unsigned long long)c->size);
		for (size_t i = 0; i < c->n_terms; i++)
			printf("%s%s", i ? ", " : "", c->terms[i]);
		printf("%s\n", c->n_terms ? "" : "(none)");
	}
	p->first = 0;
	int rc = rl_cluster_members(p->db, c->id, (size_t)p->n, print_member,
				    &mp);
	if (p->json)
		printf("]}");
	return rc;
}

/* Prints every stored cluster with its n most central reviews. */
static int print_clusters(rl_db *db, int json, int n)
{
	printer p = { db, json, 1, n, 0 };
	if (json)
		printf("\"clusters\":[");
	int rc = rl_clusters_each(db, print_cluster, &p);
	if (json)
		printf("]}\n");
	return rc;
}

static int cluster_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "k", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	cli_stages st;
	int json = 0, quiet = 0, c;
	long n = 3, k = -1;
	cli_stage_args_init(&st);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "p:qn:", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (cli_stage_param("clusters", &st, optarg) !=
			    EXIT_OK)
				return EXIT_USAGE;
			break;
		case 'k':
			if (cli_parse_count("clusters", optarg, 1, &k) != EXIT_OK)
				return EXIT_USAGE;
			break;
		case 'n':
			if (cli_parse_count("clusters", optarg, 0, &n) != EXIT_OK)
				return EXIT_USAGE;
			break;
		case 'j':
			json = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		default:
			return cli_usage("clusters", "unknown option '%s'",
					 argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return cli_usage("clusters", argc - optind < 1
				 ? "missing DB" : "too many arguments");
	if (k > 0)
		st.clusters.k = (int)k;
	rl_db *db = cli_open(argv[optind]);
	if (!db)
		return EXIT_FAIL;
	cli_progress prog;
	cli_progress_init(&prog, quiet || json);
	st.clusters.progress = cli_progress_cb;
	st.clusters.ctx = &prog;
	rl_clusters_stats s;
	double t0 = cli_now();
	int rc = rl_clusters(db, &st.clusters, &s);
	cli_progress_end(&prog);
	if (rc != RL_OK) {
		rc = cli_fail(db, rc);
		goto out;
	}
	double sec = cli_now() - t0;
	if (json) {
		printf("{\"k\":%u,\"chosen\":%s,\"vectors\":\"%s\","
		       "\"reviews\":%llu,\"unclustered\":%llu,"
		       "\"iterations\":%u,\"converged\":%s,"
		       "\"similarity\":%.4f,\"silhouette\":%.4f,\"tried\":[",
		       s.k, s.chosen ? "true" : "false", s.vectors,
		       (unsigned long long)s.reviews,
		       (unsigned long long)s.unclustered, s.iterations,
		       s.converged ? "true" : "false", s.similarity,
		       s.silhouette);
		for (uint32_t q = 0; q < s.n_tried; q++)
			printf("%s{\"k\":%u,\"silhouette\":%.4f}", q ? "," : "",
			       s.tried_k[q], s.tried_silhouette[q]);
		printf("],");
	} else if (!quiet) {
		if (s.chosen) {
			printf("choose k:  mean silhouette (cosine) on a "
			       "sample:");
			for (uint32_t q = 0; q < s.n_tried; q++)
				printf("%s k=%u %.3f", q ? "," : "",
				       s.tried_k[q], s.tried_silhouette[q]);
			printf("\n           k=%u has the best; -p k=N "
			       "(or --k N) to choose yourself\n", s.k);
			double best = 0;
			for (uint32_t q = 0; q < s.n_tried; q++)
				if (s.tried_silhouette[q] > best)
					best = s.tried_silhouette[q];
			/* Kaufman and Rousseeuw's reading of the scale. */
			if (best < 0.25)
				printf("           all below 0.25: no strong "
				       "cluster structure, so k is a weak "
				       "guess;\n           compare a few k by "
				       "their terms\n");
		}
		printf("clusters:  %u clusters of %llu reviews on %s "
		       "vectors, %u iterations%s, mean similarity to the "
		       "centroid %.3f, silhouette %.3f (%.2f s)\n", s.k,
		       (unsigned long long)s.reviews, s.vectors, s.iterations,
		       s.converged ? "" : " (not converged)", s.similarity,
		       s.silhouette, sec);
		if (s.unclustered)
			printf("           %llu reviews without features "
			       "(or vectors) are in no cluster\n",
			       (unsigned long long)s.unclustered);
	}
	if (json || !quiet) {
		if ((rc = print_clusters(db, json, (int)n)) != RL_OK) {
			rc = cli_fail(db, rc);
			goto out;
		}
		if (!json)
			printf("\nname a cluster: revlab clusters name %s "
			       "CLUSTER LABEL\n", argv[optind]);
	}
	rc = EXIT_OK;
out:
	rl_db_close(db);
	return rc;
}

static int cluster_show(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int json = 0, c;
	long n = -1, id = -1;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "n:", longopts, NULL)) != -1) {
		if (c == 'n') {
			if (cli_parse_count("clusters", optarg, 0, &n) != EXIT_OK)
				return EXIT_USAGE;
		} else if (c == 'j') {
			json = 1;
		} else {
			return cli_usage("clusters", "unknown option '%s'",
					 argv[optind - 1]);
		}
	}
	int left = argc - optind;
	if (left < 1 || left > 2)
		return cli_usage("clusters", left < 1 ? "missing DB"
						      : "too many arguments");
	if (left == 2 &&
	    cli_parse_count("clusters", argv[optind + 1], 0, &id) != EXIT_OK)
		return EXIT_USAGE;
	rl_db *db = cli_open_as(argv[optind], RL_OPEN_READONLY);
	if (!db)
		return EXIT_FAIL;
	int rc;
	if (id < 0) {
		if (json)
			printf("{");
		rc = print_clusters(db, json, n < 0 ? 3 : (int)n);
	} else {
		printer p = { db, json, 1, 0, 0 };
		if (json)
			printf("[");
		rc = rl_cluster_members(db, id, n < 0 ? 20 : (size_t)n,
					print_member, &p);
		if (json)
			printf("]\n");
	}
	rc = rc == RL_OK ? EXIT_OK : cli_fail(db, rc);
	rl_db_close(db);
	return rc;
}

static int cluster_name(int argc, char **argv)
{
	int c;
	long n = 10, id;
	optind = 1;
	opterr = 0;
	while ((c = getopt(argc, argv, "n:")) != -1) {
		if (c != 'n')
			return cli_usage("clusters", "unknown option '%s'",
					 argv[optind - 1]);
		if (cli_parse_count("clusters", optarg, 1, &n) != EXIT_OK)
			return EXIT_USAGE;
	}
	if (argc - optind != 3)
		return cli_usage("clusters", argc - optind < 3
				 ? "usage: clusters name DB CLUSTER LABEL"
				 : "too many arguments");
	if (cli_parse_count("clusters", argv[optind + 1], 0, &id) != EXIT_OK)
		return EXIT_USAGE;
	rl_db *db = cli_open(argv[optind]);
	if (!db)
		return EXIT_FAIL;
	rl_cluster_name_stats s;
	int rc = rl_cluster_name(db, id, argv[optind + 2], (size_t)n, &s);
	if (rc != RL_OK) {
		rc = cli_fail(db, rc);
	} else {
		printf("named:     %llu reviews of cluster %ld '%s'%s "
		       "(cluster-named: evidence for propagation, never "
		       "scored as gold)\n", (unsigned long long)s.named, id,
		       argv[optind + 2],
		       s.label_created ? ", a new label" : "");
		if (s.hand)
			printf("           %llu central reviews kept their "
			       "hand labels\n", (unsigned long long)s.hand);
		rc = EXIT_OK;
	}
	rl_db_close(db);
	return rc;
}

int cmd_clusters(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "show"))
		return cluster_show(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "name"))
		return cluster_name(argc - 1, argv + 1);
	return cluster_run(argc, argv);
}
