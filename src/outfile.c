/*
 * outfile.c - files written whole or not at all: the model file, the
 * report, `export -o`. The content goes to a new name beside the target
 * (one file system, so the rename is atomic), is synced, and only then
 * renamed over the target; a failure (a full disk, say) removes the new
 * file and leaves whatever the target was.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

struct rl_outfile {
	FILE *f;
	char *path, *tmp;
};

static void say(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int rl_outfile_open(const char *path, rl_outfile **out, char *err,
		    size_t errlen)
{
	*out = NULL;
	if (!path || !*path) {
		say(err, errlen, "no output path");
		return RL_EINVAL;
	}
	rl_outfile *o = calloc(1, sizeof *o);
	size_t n = strlen(path);
	if (!o || !(o->path = strdup(path)) || !(o->tmp = malloc(n + 64))) {
		rl_outfile_abort(o);
		say(err, errlen, "out of memory");
		return RL_ENOMEM;
	}
	/* A new name (O_EXCL) for each try; the mode follows the umask. */
	int fd = -1;
	for (int i = 0; fd < 0 && i < 100; i++) {
		snprintf(o->tmp, n + 64, "%s.tmp-%ld-%lx-%d", path,
			 (long)getpid(), (unsigned long)(uintptr_t)o & 0xffffff,
			 i);
		fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			  0666);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		say(err, errlen, "%s: cannot create: %s", path,
		    strerror(errno));
		free(o->tmp);
		o->tmp = NULL;
		rl_outfile_abort(o);
		return RL_EIO;
	}
	if (!(o->f = fdopen(fd, "w"))) {
		say(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		rl_outfile_abort(o);
		return RL_EIO;
	}
	*out = o;
	return RL_OK;
}

FILE *rl_outfile_stream(rl_outfile *o)
{
	return o->f;
}

/* Makes the folder's entry of the renamed file durable too; a file
 * system that cannot sync a folder is no reason to fail. */
static void sync_folder(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? strndup(path, (size_t)(slash - path) + 1)
			  : strdup(".");
	int fd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	free(dir);
}

int rl_outfile_commit(rl_outfile *o, char *err, size_t errlen)
{
	int e = 0;
	if (fflush(o->f) != 0 || ferror(o->f))
		e = errno ? errno : EIO;
	if (!e && fsync(fileno(o->f)) != 0)
		e = errno;
	int closed = fclose(o->f);
	o->f = NULL;
	if (closed != 0 && !e)
		e = errno;
	if (e) {
		say(err, errlen, "%s: write error: %s", o->path, strerror(e));
		rl_outfile_abort(o);
		return RL_EIO;
	}
	if (rename(o->tmp, o->path) != 0) {
		say(err, errlen, "%s: cannot replace: %s", o->path,
		    strerror(errno));
		rl_outfile_abort(o);
		return RL_EIO;
	}
	sync_folder(o->path);
	free(o->tmp);
	o->tmp = NULL;
	rl_outfile_abort(o);
	return RL_OK;
}

void rl_outfile_abort(rl_outfile *o)
{
	if (!o)
		return;
	if (o->f)
		fclose(o->f);
	if (o->tmp)
		unlink(o->tmp);
	free(o->tmp);
	free(o->path);
	free(o);
}
