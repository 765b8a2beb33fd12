/*
 * cli.h - shared parts of the `revlab` command line.
 *
 * The CLI is a thin layer over revlab.h, in the manner of git: main.c
 * holds the command table, each cmd_<name>.c one subcommand. Only the CLI
 * prints, exits or reads the environment. Exit status: 0 success,
 * 1 failure, 2 usage error. Messages go to stderr as "revlab: what",
 * lower case and without a full stop.
 */
#ifndef RL_CLI_H
#define RL_CLI_H

#include <stdio.h>

#include "revlab.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

typedef struct cli_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
	const char *usage;	/* full help text */
} cli_cmd;

/* Prints "revlab: " and the message to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Reports a failed library call: the handle's detail or the code's text.
 * Returns EXIT_FAIL, or EXIT_USAGE for RL_EINVAL. */
int cli_fail(rl_db *db, int code);
/* Prints the command's help to out. */
void cli_help(const char *name, FILE *out);
/* For a usage error: a hint to stderr, returns EXIT_USAGE. */
int cli_usage(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Opens an existing store; on failure prints why and returns NULL. */
rl_db *cli_open(const char *path);
/* The same with rl_db_open's flags: commands that only read open with
 * RL_OPEN_READONLY, so they work on a store the user cannot write. */
rl_db *cli_open_as(const char *path, unsigned flags);

/* A progress printer for the library's callbacks: a self-rewriting line
 * on a terminal, periodic plain lines otherwise, nothing when quiet. */
typedef struct cli_progress {
	int quiet, tty;
	double start, last_line;	/* start of the current stage */
	char stage[32];			/* its name */
	uint64_t done, total;		/* its last count */
	int drawn;
} cli_progress;

void cli_progress_init(cli_progress *p, int quiet);
/* Returns 1, cancelling the stage, once Ctrl-C was pressed (the handler
 * is installed by cli_progress_init). */
int cli_progress_cb(void *ctx, const char *stage, uint64_t done,
		    uint64_t total);
int cli_interrupted(void);
/* Clears a drawn progress line. */
void cli_progress_end(cli_progress *p);

/* Prints s as a JSON string literal (null for NULL), every control
 * character escaped. */
void cli_json_str(FILE *f, const char *s);

/* The annotator hand labels are given as: `given` (from --as) if not
 * NULL, else $REVLAB_ANNOTATOR, else $USER, else "" (the unnamed
 * annotator). The library never reads the environment; the CLI does. */
const char *cli_annotator(const char *given);

/* Seconds since some fixed point. */
double cli_now(void);

/* Prints the store's counts and its stages' last runs. */
int cli_print_stats(rl_db *db, FILE *out);

/* The options of every stage a command may run. */
typedef struct cli_stages {
	rl_tokenize_opts tok;
	rl_vectorize_opts vec;
	rl_graph_opts graph;
	rl_propagate_opts prop;
	rl_eval_opts train;
	rl_clusters_opts clusters;
	rl_next_opts next;
} cli_stages;

/* The stages whose parameters command `name` takes (NULL-terminated). */
const char *const *cli_command_stages(const char *name);

/* Parses a stage command's arguments: -p [stage.]name=value (a name
 * without stage sets it in every stage of the command that has it), -q,
 * and one DB. Returns EXIT_OK or EXIT_USAGE after saying why. */
int cli_stage_args(const char *cmd, int argc, char **argv, cli_stages *st,
		   int *quiet, const char **db);

/* Fills every stage's options with its defaults. */
void cli_stage_args_init(cli_stages *st);

/* Sets one -p [stage.]name=value of command `cmd`; EXIT_OK, or
 * EXIT_USAGE after saying why. */
int cli_stage_param(const char *cmd, cli_stages *st, const char *arg);

/* Parses arg as a count from lo to 1,000,000 into *out; EXIT_OK, or
 * EXIT_USAGE after saying why. */
int cli_parse_count(const char *cmd, const char *arg, long lo, long *out);

/* Parses the arguments of a command that lists things: -p
 * [stage.]name=value, -n N (at least 1), --json, and one DB. */
int cli_list_args(const char *cmd, int argc, char **argv, cli_stages *st,
		  long *n, int *json, const char **db);

/* The whole of a one-stage command: parse its arguments, open DB, run
 * `stage`, close. */
int cli_stage_command(const char *cmd, int argc, char **argv,
		      int (*stage)(rl_db *, cli_stages *, cli_progress *));

/* Each runs one stage and prints what it did; EXIT_OK or EXIT_FAIL. */
int cli_tokenize(rl_db *db, cli_stages *st, cli_progress *prog);
int cli_vectorize(rl_db *db, cli_stages *st, cli_progress *prog);
int cli_graph(rl_db *db, cli_stages *st, cli_progress *prog);
int cli_propagate(rl_db *db, cli_stages *st, cli_progress *prog);

/* Each prints one line of what a stage did, in sec seconds. */
void cli_print_tokenize(const rl_tokenize_stats *s, double sec);
void cli_print_vectorize(const rl_vectorize_stats *s, int dim, double sec);
void cli_print_graph(const rl_graph_stats *s, int k, double sec);
void cli_print_propagate(const rl_propagate_stats *s, double sec);

/* Writes at most about `max` bytes of s on one line (every control
 * character as a space), cut on a character boundary, "..." if cut. */
void cli_snippet(FILE *f, const char *s, size_t max);
/* Writes a byte count for people into buf: "812 B", "14.2 KB",
 * "3.1 MB", "1.20 GB" (powers of 1024). */
void cli_bytes(char *buf, size_t n, uint64_t bytes);

/* Prints the cross-validation table of an evaluation. */
void cli_print_eval(const rl_eval_report *r, FILE *out);

#endif /* RL_CLI_H */
