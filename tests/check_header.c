/* The public header compiles alone under -std=c17 -pedantic -Werror
 * (the build is the test), and links against the shared library. */
#include "revlab.h"

#include <string.h>

int main(void)
{
	return strcmp(rl_version(), RL_VERSION) != 0 ||
	       strcmp(rl_strerror(RL_OK), "success") != 0;
}
