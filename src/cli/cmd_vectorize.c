/*
 * cmd_vectorize.c - `revlab vectorize DB`: TF-IDF and LSA vectors.
 */
#include "cli.h"

int cmd_vectorize(int argc, char **argv)
{
	return cli_stage_command("vectorize", argc, argv, cli_vectorize);
}
