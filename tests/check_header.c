/* The public header compiles alone under -std=c17 -pedantic -Werror
 * (the build is the test), and links against the shared library. */
#include "revlab.h"

#include <stdio.h>
#include <string.h>

#if RL_VERSION_NUMBER < 200
#error "RL_VERSION_NUMBER is not usable in #if"
#endif

/* The structs a caller allocates keep their size within a minor version
 * (revlab.h: new fields take the reserved space). Measured on x86-64
 * Linux for 0.5; a change here is an ABI change: bump the minor version
 * (the soname) and these numbers with it. */
#if defined(__x86_64__) && defined(__LP64__)
#define RL_ABI(type, size) \
	_Static_assert(sizeof(type) == (size), #type " changed size: " \
		       "take the new field from reserved_, or bump the " \
		       "minor version")
RL_ABI(rl_import_opts, 96);
RL_ABI(rl_import_stats, 80);
RL_ABI(rl_tokenize_opts, 88);
RL_ABI(rl_tokenize_stats, 72);
RL_ABI(rl_vectorize_opts, 96);
RL_ABI(rl_vectorize_stats, 64);
RL_ABI(rl_graph_opts, 88);
RL_ABI(rl_graph_stats, 72);
RL_ABI(rl_seed_stats, 56);
RL_ABI(rl_rules_opts, 56);
RL_ABI(rl_rules_stats, 72);
RL_ABI(rl_propagate_opts, 112);
RL_ABI(rl_propagate_stats, 88);
RL_ABI(rl_eval_opts, 280);
RL_ABI(rl_run_opts, 720);
RL_ABI(rl_clusters_opts, 88);
RL_ABI(rl_clusters_stats, 288);
RL_ABI(rl_cluster_name_stats, 56);
RL_ABI(rl_next_opts, 176);
RL_ABI(rl_suspects_stats, 56);
RL_ABI(rl_suggest_opts, 64);
RL_ABI(rl_report_opts, 48);
RL_ABI(rl_stats, 104);
#endif

int main(void)
{
	char v[32];
	snprintf(v, sizeof v, "%d.%d.%d", RL_VERSION_MAJOR, RL_VERSION_MINOR,
		 RL_VERSION_PATCH);
	return strcmp(rl_version(), RL_VERSION) != 0 ||
	       strcmp(v, RL_VERSION) != 0 ||
	       RL_VERSION_NUMBER != RL_VERSION_MAJOR * 10000 +
				    RL_VERSION_MINOR * 100 + RL_VERSION_PATCH ||
	       strcmp(rl_strerror(RL_OK), "success") != 0;
}
