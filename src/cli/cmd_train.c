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
	double sec = cli_now() - t0;
	/* The kind the library trained (auto is the store's default): the
	 * newest model's. */
	rl_model *m = NULL;
	if ((rc = rl_model_get(db, 0, &m)) != RL_OK)
		return cli_fail(db, rc);
	if (!prog->quiet)
		printf("train:     %s model stored (%.2f s); `revlab predict` "
		       "uses it\n", rl_model_kind(m), sec);
	rl_model_free(m);
	return EXIT_OK;
}

int cmd_train(int argc, char **argv)
{
	return cli_stage_command("train", argc, argv, train);
}
