/* The public header compiles alone under -std=c17 -pedantic -Werror
 * (the build is the test), and links against the shared library. */
#include "revlab.h"

#include <stdio.h>
#include <string.h>

#if RL_VERSION_NUMBER < 200
#error "RL_VERSION_NUMBER is not usable in #if"
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
