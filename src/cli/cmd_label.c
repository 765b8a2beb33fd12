/*
 * cmd_label.c - `revlab label DB ID LABEL [--as NAME]`, and `revlab label
 * DB --interactive [--next | --second] [--as NAME]`: one review at a
 * time on the terminal, label names on number keys, s skip, u undo, q
 * quit; in a multi-label store the numbers toggle labels and enter moves
 * on. Each answer is saved at once (its own transaction), so quitting or
 * a crash loses nothing. With --next the reviews come in `revlab next`
 * order, with the reason; with --second those another annotator labelled
 * and NAME has not, blind (a second opinion, for `revlab agreement`).
 * The answers are NAME's (default: cli_annotator's).
 */
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"

#define MAX_LABELS 9
#define BATCH 64

typedef struct session {
	char *names[MAX_LABELS];
	int n_labels;
	char *ids[BATCH], *texts[BATCH], *reasons[BATCH];
	int n, at;
	char **skipped;		/* --next: ids passed over this session */
	int n_skipped;
	int tty;
	struct termios saved;
} session;

static int add_name(void *ctx, const rl_label_info *l)
{
	session *s = ctx;
	if (s->n_labels < MAX_LABELS)
		s->names[s->n_labels++] = strdup(l->name);
	return 0;
}

static int add_review(void *ctx, const rl_review_info *r)
{
	session *s = ctx;
	s->ids[s->n] = strdup(r->ext_id);
	s->texts[s->n] = strdup(r->text);
	s->n++;
	return 0;
}

/* A review in `revlab next` order, unless it was skipped already (the
 * ranking does not know about skips). */
static int add_next(void *ctx, const rl_next_item *it)
{
	session *s = ctx;
	for (int i = 0; i < s->n_skipped; i++)
		if (!strcmp(s->skipped[i], it->ext_id))
			return 0;
	if (s->n == BATCH)
		return 0;
	s->ids[s->n] = strdup(it->ext_id);
	s->texts[s->n] = strdup(it->text);
	s->reasons[s->n] = strdup(it->reason);
	s->n++;
	return 0;
}

static void drop_batch(session *s)
{
	for (int i = 0; i < s->n; i++) {
		free(s->ids[i]);
		free(s->texts[i]);
		free(s->reasons[i]);
		s->reasons[i] = NULL;
	}
	s->n = s->at = 0;
}

static void remember_skip(session *s, const char *id)
{
	char **a = realloc(s->skipped, (size_t)(s->n_skipped + 1) *
			   sizeof *a);
	if (!a)
		return;
	s->skipped = a;
	if ((a[s->n_skipped] = strdup(id)))
		s->n_skipped++;
}

/* One answer: a key on a terminal (raw mode), else a line. EOF is quit. */
static int read_answer(session *s)
{
	if (s->tty) {
		unsigned char c;
		if (read(STDIN_FILENO, &c, 1) != 1)
			return 'q';
		return c == 3 || c == 4 ? 'q' : c;	/* ^C ^D */
	}
	char line[64];
	if (!fgets(line, sizeof line, stdin))
		return 'q';
	return line[0] == '\n' ? ' ' : (unsigned char)line[0];
}

/* The last answer, for undo: the review, and in a multi-label store the
 * label toggled and whether it was turned on. */
typedef struct answer {
	char *id;
	int label, on;
} answer;

/* Shows review s->at: its id, the reason it is offered, its text. */
static void show_review(const session *s, int done)
{
	printf("\n\033[1m[%d labelled]\033[0m review %s\n", done,
	       s->ids[s->at]);
	if (s->reasons[s->at])
		printf("(%s)\n", s->reasons[s->at]);
	printf("%s\n\n", s->texts[s->at]);
}

/* The keys, with the labels the review carries marked in a multi-label
 * store (`on`, a bit per label). */
static void show_keys(const session *s, int multi, unsigned on)
{
	for (int i = 0; i < s->n_labels; i++)
		if (multi)
			printf(" %d [%c] %s ", i + 1,
			       on >> i & 1 ? 'x' : ' ', s->names[i]);
		else
			printf(" %d %s  ", i + 1, s->names[i]);
	if (multi)
		printf("  enter next  u undo  q quit\n> ");
	else
		printf(" s skip  u undo  q quit\n> ");
	fflush(stdout);
}

/* In a multi-label store a number toggles its label on the review, saved
 * at once, and enter (or n, or s) moves on: a review can take several
 * labels. In a single-label store a number labels the review and moves
 * on. */
static int interactive(rl_db *db, unsigned long seed, int next,
		       int second, const char *who)
{
	session s = { 0 };
	int rc = rl_labels(db, add_name, &s), done = 0;
	int multi = rl_db_multi_label(db), fresh = 1;
	unsigned on = 0, prev_on = 0;	/* labels of this, the last review */
	answer last = { NULL, -1, 0 };
	if (rc != RL_OK)
		goto out;
	if (s.n_labels == 0) {
		cli_error("no labels yet; declare them with `revlab labels DB "
			  "--add NAME...`");
		rc = EXIT_FAIL;
		goto out;
	}
	s.tty = isatty(STDIN_FILENO);
	if (s.tty && tcgetattr(STDIN_FILENO, &s.saved) == 0) {
		struct termios raw = s.saved;
		/* ISIG off too: ^C arrives as a key and quits cleanly, with
		 * the terminal restored. */
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ISIG);
		raw.c_cc[VMIN] = 1;
		raw.c_cc[VTIME] = 0;
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	} else {
		s.tty = 0;
	}
	for (;;) {
		if (s.at == s.n) {
			drop_batch(&s);
			/* Labelled reviews leave the pool, so the next batch
			 * starts with what was skipped: move the seed on. The
			 * next order is ranked again with the new labels. */
			if (next)
				rc = rl_next(db, NULL, (size_t)(BATCH +
					     s.n_skipped), add_next, &s);
			else if (second)
				rc = rl_second_opinions(db, who, seed++, BATCH,
							add_review, &s);
			else
				rc = rl_unlabelled(db, RL_ORDER_RANDOM, seed++,
						   BATCH, add_review, &s);
			if (rc != RL_OK)
				goto out;
			if (s.n == 0 && second) {
				printf("no review left that another annotator "
				       "labelled and %s has not\n",
				       *who ? who : "the unnamed annotator");
				break;
			}
			if (s.n == 0) {
				printf(s.n_skipped ? "nothing more to offer; "
				       "the rest were skipped\n"
				       : "every review has a hand label\n");
				break;
			}
		}
		if (fresh || !multi)
			show_review(&s, done);
		fresh = 0;
		show_keys(&s, multi, on);
		int c = read_answer(&s);
		if (c == 'q')
			break;
		const char *id = s.ids[s.at];
		if (c == 's' || (multi && (c == 'n' || c == ' ' ||
					   c == '\n' || c == '\r'))) {
			/* A review left with no label was skipped. */
			if (next && !on)
				remember_skip(&s, id);
			prev_on = on;
			on = 0;
			fresh = 1;
			s.at++;
		} else if (c == 'u') {
			if (!last.id) {
				printf("nothing to undo\n");
				continue;
			}
			int here = !strcmp(id, last.id);
			/* The review before, when it is still at hand. */
			int back = !here && s.at > 0 &&
				   !strcmp(s.ids[s.at - 1], last.id);
			const char *name = last.label >= 0
					   ? s.names[last.label] : NULL;
			if (!multi)
				rc = rl_seed_unset_as(db, last.id, who);
			else if (last.on)
				rc = rl_seed_unset_label_as(db, last.id, name,
							    who);
			else
				rc = rl_seed_set_as(db, last.id, name, who);
			if (rc != RL_OK)
				goto out;
			if (multi)
				printf("undone: %s %c %s\n", last.id,
				       last.on ? '-' : '+', name);
			else
				printf("undone: %s\n", last.id);
			done += last.on ? -1 : 1;
			if (back) {
				/* Offer it again, as it was. */
				s.at--;
				on = prev_on;
				fresh = 1;
			}
			if (multi && (here || back))
				on ^= 1u << last.label;
			free(last.id);
			last.id = NULL;
		} else if (c >= '1' && c < '1' + s.n_labels) {
			int k = c - '1';
			int set = !multi || !(on >> k & 1);
			if (set)
				rc = rl_seed_set_as(db, id, s.names[k], who);
			else
				rc = rl_seed_unset_label_as(db, id, s.names[k],
							    who);
			if (rc != RL_OK)
				goto out;
			free(last.id);
			last.id = strdup(id);
			last.label = k;
			last.on = set;
			done += set ? 1 : -1;
			if (multi) {
				on ^= 1u << k;
				printf("%s %c %s\n", id, set ? '+' : '-',
				       s.names[k]);
			} else {
				printf("%s -> %s\n", id, s.names[k]);
				s.at++;
			}
		} else if (multi) {
			printf("press 1-%d to toggle a label, enter or n for "
			       "the next review, u or q\n", s.n_labels);
		} else {
			printf("press 1-%d, s, u or q\n", s.n_labels);
		}
	}
	printf("%d hand labels saved this session\n", done);
	rc = RL_OK;
out:
	if (s.tty)
		tcsetattr(STDIN_FILENO, TCSANOW, &s.saved);
	drop_batch(&s);
	for (int i = 0; i < s.n_skipped; i++)
		free(s.skipped[i]);
	free(s.skipped);
	for (int i = 0; i < s.n_labels; i++)
		free(s.names[i]);
	free(last.id);
	if (rc == EXIT_FAIL)
		return rc;
	return rc == RL_OK ? EXIT_OK : cli_fail(db, rc);
}

int cmd_label(int argc, char **argv)
{
	int inter = 0, next = 0, second = 0;
	unsigned long seed = 1;
	const char *as = NULL;
	char *args[3];
	int n = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--interactive") || !strcmp(argv[i], "-i"))
			inter = 1;
		else if (!strcmp(argv[i], "--next"))
			next = 1;
		else if (!strcmp(argv[i], "--second"))
			second = 1;
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--as") && i + 1 < argc)
			as = argv[++i];
		else if (argv[i][0] == '-' && argv[i][1])
			return cli_usage("label", "unknown option '%s'",
					 argv[i]);
		else if (n < 3)
			args[n++] = argv[i];
		else
			return cli_usage("label", "too many arguments");
	}
	if ((next || second) && !inter)
		return cli_usage("label", "--%s goes with --interactive",
				 next ? "next" : "second");
	if (next && second)
		return cli_usage("label", "--next and --second exclude each "
				 "other");
	if (inter ? n != 1 : n != 3)
		return cli_usage("label", inter ? "--interactive takes only DB"
						: "expected DB ID LABEL");
	rl_db *db = cli_open(args[0]);
	if (!db)
		return EXIT_FAIL;
	int rc;
	if (inter) {
		rc = interactive(db, seed, next, second,
				 cli_annotator(as));
	} else {
		rc = rl_seed_set_as(db, args[1], args[2], cli_annotator(as));
		rc = rc == RL_OK ? EXIT_OK : cli_fail(db, rc);
	}
	rl_db_close(db);
	return rc;
}
