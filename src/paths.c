/*
 * paths.c - where the library finds the files it ships: the lexicons.
 *
 * An installed library finds them beside itself, at the path from its
 * libdir to <datadir>/revlab/lexicons that meson computed (so a tree
 * installed under any prefix or DESTDIR, or moved whole, still works); a
 * library used from its build tree finds none there and takes the
 * source tree's folder. The library reads no environment variable: a
 * caller who wants other lexicons sets rl_tokenize_opts.lexicon_dir.
 */
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"
#include "rl_config.h"

/* Set once, then only read: shared by every thread. */
static pthread_once_t once = PTHREAD_ONCE_INIT;
static char installed[PATH_MAX];

static void find_installed(void)
{
	Dl_info info;
	installed[0] = 0;
	if (!dladdr((void *)&rl_lexicon_default_dir, &info) ||
	    !info.dli_fname)
		return;
	const char *rel = RL_LEXICON_DIR_FROM_LIB;
	const char *slash = strrchr(info.dli_fname, '/');
	char dir[PATH_MAX];
	int n;
	if (rel[0] == '/')	/* an absolute libdir or datadir */
		n = snprintf(dir, sizeof dir, "%s", rel);
	else if (slash)
		n = snprintf(dir, sizeof dir, "%.*s/%s",
			     (int)(slash - info.dli_fname), info.dli_fname,
			     rel);
	else
		return;
	struct stat st;
	if (n < 0 || (size_t)n >= sizeof dir || stat(dir, &st) != 0 ||
	    !S_ISDIR(st.st_mode))
		return;
	memcpy(installed, dir, (size_t)n + 1);
}

const char *rl_lexicon_default_dir(void)
{
	pthread_once(&once, find_installed);
	return installed[0] ? installed : RL_LEXICON_DIR_BUILD;
}
