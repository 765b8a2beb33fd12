/*
 * cmd_run.c - `revlab run DB`: the whole pipeline that exists, each stage
 * redoing only what its changed inputs need.
 */
#include <string.h>

#include "cli.h"

int cmd_run(int argc, char **argv)
{
	cli_stages st;
	int quiet = 0;
	const char *path;
	int rc = cli_stage_args("run", argc, argv, &st, &quiet, &path);
	if (rc != EXIT_OK)
		return rc;
	rl_db *db = cli_open(path);
	if (!db)
		return EXIT_FAIL;
	rl_stats stats;
	if ((rc = rl_stats_get(db, &stats)) != RL_OK) {
		rc = cli_fail(db, rc);
		goto out;
	}
	if (stats.reviews == 0) {
		cli_error("%s: no reviews; import some with `revlab import "
			  "%s FILE`", path, path);
		rc = EXIT_FAIL;
		goto out;
	}
	cli_progress prog;
	cli_progress_init(&prog, quiet);
	if ((rc = cli_tokenize(db, &st, &prog)) != EXIT_OK ||
	    (rc = cli_vectorize(db, &st, &prog)) != EXIT_OK ||
	    (rc = cli_graph(db, &st, &prog)) != EXIT_OK)
		goto out;
	rl_rules_stats rs;
	if ((rc = rl_rules_apply(db, NULL, &rs)) != RL_OK) {
		rc = cli_fail(db, rc);
		goto out;
	}
	if (!quiet)
		printf("rules:     %llu new reviews matched against %llu rules, "
		       "%llu hits\n", (unsigned long long)rs.reviews,
		       (unsigned long long)rs.rules,
		       (unsigned long long)rs.hits);
	if ((rc = rl_stats_get(db, &stats)) != RL_OK) {
		rc = cli_fail(db, rc);
		goto out;
	}
	if (stats.seeds == 0 && stats.cluster_seeds == 0) {
		if (!quiet)
			printf("propagate: skipped: no hand labels yet (revlab "
			       "seed / label)\n");
	} else if ((rc = cli_propagate(db, &st, &prog)) != EXIT_OK) {
		goto out;
	} else {
		/* Pick the way of combining evidence by cross-validation on
		 * the hand labels, and label with it. */
		rl_eval_opts eo = st.train;
		eo.prop = st.prop;
		eo.prop.progress = NULL;
		/* Only the evaluation the choice rests on is kept. */
		eo.save = 0;
		rl_eval_report *er = NULL;
		int erc;
		if (!strcmp(eo.model, "auto")) {
			/* The classifier is chosen like the method: by
			 * cross-validated macro-F1, on the same folds. */
			static const char *const kinds[] = { "logreg", "nb",
							     "cnb" };
			size_t best_k = 0;
			erc = RL_OK;
			for (size_t k = 0; erc == RL_OK && k < 3; k++) {
				rl_eval_report *r = NULL;
				eo.model = kinds[k];
				erc = rl_eval(db, &eo, &r);
				if (erc != RL_OK)
					break;
				if (!quiet)
					printf("classify:  %-6s model macro-F1 "
					       "%.3f (cross-validated)\n",
					       kinds[k], r->methods[
					       RL_METHOD_MODEL].macro_f1);
				if (!er || r->methods[RL_METHOD_MODEL].macro_f1 >
					   er->methods[RL_METHOD_MODEL].macro_f1 +
					   1e-12) {
					rl_eval_report_free(er);
					er = r;
					best_k = k;
				} else {
					rl_eval_report_free(r);
				}
			}
			eo.model = kinds[best_k];
			if (erc != RL_OK) {
				rl_eval_report_free(er);
				er = NULL;
			}
		} else {
			erc = rl_eval(db, &eo, &er);
		}
		if (erc == RL_EEMPTY) {
			if (!quiet)
				printf("choose:    too few hand labels to "
				       "cross-validate; keeping propagation "
				       "(%s)\n", rl_db_errmsg(db));
			/* predict still gets a model. */
			if ((erc = rl_train(db, &eo)) != RL_OK) {
				rc = cli_fail(db, erc);
				goto out;
			}
		} else if (erc != RL_OK ||
			   (erc = rl_eval_save(db, er)) != RL_OK) {
			rl_eval_report_free(er);
			rc = cli_fail(db, erc);
			goto out;
		} else {
			uint64_t n = 0;
			if (!quiet) {
				printf("\n");
				cli_print_eval(er, stdout);
				printf("choose:    %s%s%s has the best "
				       "cross-validated macro-F1 (%.3f); "
				       "labelling with it\n",
				       rl_method_name(er->best),
				       er->best == RL_METHOD_MODEL ? " " : "",
				       er->best == RL_METHOD_MODEL ? eo.model : "",
				       er->methods[er->best].macro_f1);
			}
			rl_method best = er->best;
			/* The model's probabilities are calibrated by the
			 * temperature fitted on its held-out predictions. */
			eo.temperature = er->temperature;
			eo.progress = cli_progress_cb;
			eo.ctx = &prog;
			double t0 = cli_now();
			erc = rl_label_with(db, best, &eo, &n);
			rl_eval_report_free(er);
			/* predict needs a model even when it did not win. */
			if (erc == RL_OK && best != RL_METHOD_MODEL)
				erc = rl_train(db, &eo);
			cli_progress_end(&prog);
			if (erc != RL_OK) {
				rc = cli_fail(db, erc);
				goto out;
			}
			if (!quiet)
				printf("label:     %llu reviews labelled, model "
				       "stored (%.2f s)\n",
				       (unsigned long long)n, cli_now() - t0);
		}
	}
	if (!quiet) {
		printf("\n");
		if ((rc = cli_print_stats(db, stdout)) != RL_OK) {
			rc = cli_fail(db, rc);
			goto out;
		}
	}
	rc = EXIT_OK;
out:
	rl_db_close(db);
	return rc;
}
