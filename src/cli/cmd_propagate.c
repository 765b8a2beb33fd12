/*
 * cmd_propagate.c - `revlab propagate DB`: label spreading.
 */
#include "cli.h"

int cmd_propagate(int argc, char **argv)
{
	return cli_stage_command("propagate", argc, argv, cli_propagate);
}
