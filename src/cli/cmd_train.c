/*
 * cmd_train.c - `revlab train DB [-p name=value]...`: train the classifier
 * on the propagated labels and store it (with its predictions for the
 * corpus) without changing any review's label.
 */
#include "cli.h"

static int train(rl_db *db, cli_stages *st, cli_progress *prog)
{
	rl_eval_opts o = st->train;
	o.prop = st->prop;
	o.prop.progress = cli_progress_cb;
	o.prop.ctx = prog;
	o.progress = cli_progress_cb;
	o.ctx = prog;
	double t0 = cli_now();
	int rc = rl_train(db, &o);
	cli_progress_end(prog);
	if (rc != RL_OK)
		return cli_fail(db, rc);
	/* (auto, left to the library, is the store's default) */
	rl_classifier kind = o.model;
	if (kind == RL_CLASSIFIER_AUTO || kind == RL_CLASSIFIER_CHOOSE)
		kind = rl_db_multi_label(db) ? RL_CLASSIFIER_LOGREG
					     : RL_CLASSIFIER_POOL;
	if (!prog->quiet)
		printf("train:     %s model stored (%.2f s); `revlab predict` "
		       "uses it\n", rl_classifier_name(kind),
		       cli_now() - t0);
	return EXIT_OK;
}

int cmd_train(int argc, char **argv)
{
	return cli_stage_command("train", argc, argv, train);
}
