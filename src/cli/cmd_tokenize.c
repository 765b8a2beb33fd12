/*
 * cmd_tokenize.c - `revlab tokenize DB`: tokens for new reviews.
 */
#include "cli.h"

int cmd_tokenize(int argc, char **argv)
{
	return cli_stage_command("tokenize", argc, argv, cli_tokenize);
}
