/*
 * atomicfile.c -- see atomicfile.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "sysutil.h"

static int
tmp_name(stralloc *tmp, const char *path)
{
	char num[24];

	snprintf(num, sizeof num, "%ld", (long)getpid());
	if (!stralloc_copys(tmp, path) || !stralloc_cats(tmp, ".tmp.") ||
	    !stralloc_cats(tmp, num) || !stralloc_0(tmp)) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

/* fsync fd, close it, rename tmp over path, fsync the directory */
static int
commit(int fd, const char *tmp, const char *path)
{
	if (fsync(fd) < 0) {
		int e = errno;
		close(fd);
		unlink(tmp);
		errno = e;
		return -1;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		errno = e;
		return -1;
	}
	return fsync_parent(path);
}

int
atomic_write(const char *path, const char *data, size_t len, int mode)
{
	stralloc tmp = {0};
	int fd, r;

	if (tmp_name(&tmp, path) < 0)
		return -1;
	fd = open(tmp.s, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		stralloc_free(&tmp);
		return -1;
	}
	if (fchmod(fd, (mode_t)mode) < 0 || write_all(fd, data, len) < 0) {
		int e = errno;
		close(fd);
		unlink(tmp.s);
		stralloc_free(&tmp);
		errno = e;
		return -1;
	}
	r = commit(fd, tmp.s, path);
	stralloc_free(&tmp);
	return r;
}

/* libowfat's cdb_make keeps its hash tables after cdb_make_finish */
static void
cdbw_free_tables(struct cdbw *w)
{
	struct cdb_hplist *x, *next;

	for (x = w->cm.head; x; x = next) {
		next = x->next;
		free(x);
	}
	w->cm.head = 0;
	free(w->cm.split);
	w->cm.split = 0;
}

int
cdbw_start(struct cdbw *w, const char *path, int mode)
{
	memset(w, 0, sizeof *w);
	w->fd = -1;
	if (tmp_name(&w->tmp, path) < 0)
		return -1;
	if (!stralloc_copys(&w->path, path) || !stralloc_0(&w->path)) {
		errno = ENOMEM;
		return -1;
	}
	w->fd = open(w->tmp.s, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (w->fd < 0)
		return -1;
	if (fchmod(w->fd, (mode_t)mode) < 0 || cdb_make_start(&w->cm, w->fd) < 0) {
		cdbw_abort(w);
		return -1;
	}
	return 0;
}

int
cdbw_add(struct cdbw *w, const char *k, size_t kl, const char *v, size_t vl)
{
	if (cdb_make_add(&w->cm, (const unsigned char *)k, kl,
	    (const unsigned char *)v, vl) < 0)
		return -1;
	return 0;
}

int
cdbw_finish(struct cdbw *w)
{
	int r;

	if (cdb_make_finish(&w->cm) < 0) {
		cdbw_abort(w);
		return -1;
	}
	cdbw_free_tables(w);
	r = commit(w->fd, w->tmp.s, w->path.s);
	w->fd = -1;
	stralloc_free(&w->tmp);
	stralloc_free(&w->path);
	return r;
}

void
cdbw_abort(struct cdbw *w)
{
	if (w->fd >= 0) {
		close(w->fd);
		cdbw_free_tables(w);
	}
	w->fd = -1;
	if (w->tmp.s)
		unlink(w->tmp.s);
	stralloc_free(&w->tmp);
	stralloc_free(&w->path);
}
