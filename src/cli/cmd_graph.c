/*
 * cmd_graph.c - `revlab graph DB`: the k-nearest-neighbour graph.
 */
#include "cli.h"

int cmd_graph(int argc, char **argv)
{
	return cli_stage_command("graph", argc, argv, cli_graph);
}
