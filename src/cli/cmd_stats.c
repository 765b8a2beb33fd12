/*
 * cmd_stats.c - `revlab stats DB [--json]`: counts, the stages' last
 * runs, and the store's size on disk with its biggest tables. The runs'
 * params and counts are stored as JSON already, so the JSON form embeds
 * them as they are.
 */
#include <string.h>

#include "cli.h"

static int json_run(void *ctx, const rl_run_info *r)
{
	int *first = ctx;
	printf("%s{\"stage\":\"%s\",\"id\":%lld,\"started\":\"%s\","
	       "\"seconds\":%.6f,\"params\":%s,\"counts\":%s}",
	       *first ? "" : ",", r->stage, (long long)r->id, r->started,
	       r->seconds, r->params ? r->params : "{}",
	       r->counts ? r->counts : "{}");
	*first = 0;
	return 0;
}

/* Tables shown in the text form, biggest first. */
#define TOP_TABLES 6

typedef struct table_ctx {
	FILE *out;
	uint64_t total;		/* bytes of all pages */
	int n;
	int json;
} table_ctx;

static int on_table(void *ctx, const rl_table_size *t)
{
	table_ctx *c = ctx;
	if (c->json) {
		fprintf(c->out, "%s{\"name\":", c->n ? "," : "");
		cli_json_str(c->out, t->name);
		fprintf(c->out, ",\"bytes\":%llu,\"pages\":%llu,"
			"\"derived\":%s}", (unsigned long long)t->bytes,
			(unsigned long long)t->pages,
			t->derived ? "true" : "false");
	} else if (c->n < TOP_TABLES) {
		char b[32];
		cli_bytes(b, sizeof b, t->bytes);
		fprintf(c->out, "  %-16s %10s %5.1f%%%s\n", t->name, b,
			c->total ? 100.0 * (double)t->bytes /
					   (double)c->total : 0.0,
			t->derived ? "  (derived: vacuum --derived drops it)"
				   : "");
	}
	c->n++;
	return 0;
}

/* The size on disk and the biggest tables, as text or as the members
 * "size" and "tables" of the JSON object. */
static int print_size(rl_db *db, const rl_stats *st, FILE *out, int json)
{
	rl_db_size z;
	int rc = rl_db_size_get(db, &z);
	if (rc != RL_OK)
		return rc;
	uint64_t disk = z.file_bytes + z.wal_bytes;
	double per = st->reviews ? (double)disk / (double)st->reviews : 0;
	table_ctx c = { out, z.page_size * z.page_count, 0, json };
	if (json) {
		fprintf(out, ",\"size\":{\"bytes\":%llu,\"file_bytes\":%llu,"
			"\"wal_bytes\":%llu,\"bytes_per_review\":%.1f,"
			"\"page_size\":%llu,\"page_count\":%llu,"
			"\"free_pages\":%llu},\"tables\":",
			(unsigned long long)disk,
			(unsigned long long)z.file_bytes,
			(unsigned long long)z.wal_bytes, per,
			(unsigned long long)z.page_size,
			(unsigned long long)z.page_count,
			(unsigned long long)z.free_pages);
		fputc('[', out);
		rc = rl_table_sizes(db, on_table, &c);
		fputc(']', out);
		/* Without dbstat the sizes are unknown, not zero. */
		if (rc == RL_ENOTFOUND && c.n == 0) {
			fputs(",\"tables_measured\":false", out);
			rc = RL_OK;
		}
		return rc;
	}
	char a[32], b[32], w[32];
	cli_bytes(a, sizeof a, disk);
	cli_bytes(b, sizeof b, z.file_bytes);
	cli_bytes(w, sizeof w, z.wal_bytes);
	fprintf(out, "size on disk %s (file %s, -wal %s)", a, b, w);
	if (st->reviews)
		fprintf(out, ", %.0f bytes per review", per);
	fprintf(out, "\nfree pages %llu of %llu (%llu bytes each; vacuum "
		"gives them back)\n", (unsigned long long)z.free_pages,
		(unsigned long long)z.page_count,
		(unsigned long long)z.page_size);
	fprintf(out, "biggest tables, with their indexes (SQLite's dbstat):\n");
	rc = rl_table_sizes(db, on_table, &c);
	if (rc == RL_ENOTFOUND) {
		fprintf(out, "  (not known: %s)\n", rl_db_errmsg(db));
		rc = RL_OK;
	}
	return rc;
}

static int print_json(rl_db *db)
{
	rl_stats st;
	int rc = rl_stats_get(db, &st);
	if (rc != RL_OK)
		return rc;
	printf("{\"multi_label\":%s,\"reviews\":%llu,\"tokenized\":%llu,\"tokens\":%llu,"
	       "\"terms\":%llu,\"labels\":%llu,\"seeds\":%llu,\"rules\":%llu,"
	       "\"last_runs\":[", rl_db_multi_label(db) ? "true" : "false",
	       (unsigned long long)st.reviews,
	       (unsigned long long)st.tokenized, (unsigned long long)st.tokens,
	       (unsigned long long)st.terms, (unsigned long long)st.labels,
	       (unsigned long long)st.seeds, (unsigned long long)st.rules);
	int first = 1;
	rc = rl_runs_last(db, json_run, &first);
	printf("]");
	if (rc == RL_OK)
		rc = print_size(db, &st, stdout, 1);
	printf("}\n");
	return rc;
}

int cmd_stats(int argc, char **argv)
{
	int json = argc == 3 && !strcmp(argv[2], "--json");
	if (argc != 2 && !json)
		return cli_usage("stats", argc < 2 ? "missing DB"
						   : "unexpected arguments");
	rl_db *db = cli_open_as(argv[1], RL_OPEN_READONLY);
	if (!db)
		return EXIT_FAIL;
	int rc = json ? print_json(db) : cli_print_stats(db, stdout);
	rl_stats st;
	if (rc == RL_OK && !json && (rc = rl_stats_get(db, &st)) == RL_OK)
		rc = print_size(db, &st, stdout, 0);
	if (rc != RL_OK)
		rc = cli_fail(db, rc);
	rl_db_close(db);
	return rc;
}
