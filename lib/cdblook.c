/*
 * cdblook.c -- see cdblook.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <cdb.h>

#include "cdblook.h"

int
cdblook_open(struct cdblook *l, const char *path)
{
	struct cdb *c;

	l->fd = -1;
	l->c = 0;
	l->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (l->fd < 0)
		return errno == ENOENT ? 0 : -1;
	c = calloc(1, sizeof *c);
	if (!c) {
		close(l->fd);
		l->fd = -1;
		errno = ENOMEM;
		return -1;
	}
	cdb_init(c, l->fd);
	l->c = c;
	return 1;
}

/* the value cdb_find or cdb_nextkey just located into val */
static int
read_value(struct cdb *c, stralloc *val)
{
	uint32 dlen = cdb_datalen(c);

	if (dlen > CDB_VALUE_MAX) {
		errno = EFBIG;
		return -1;
	}
	if (!stralloc_ready(val, dlen ? dlen : 1)) {
		errno = ENOMEM;
		return -1;
	}
	if (cdb_read(c, (unsigned char *)val->s, dlen, cdb_datapos(c)) < 0) {
		if (!errno)
			errno = EIO;
		return -1;
	}
	val->len = dlen;
	return 1;
}

int
cdblook_find(struct cdblook *l, const char *key, size_t keylen, stralloc *val)
{
	struct cdb *c = l->c;
	int r;

	if (!c)
		return 0;
	r = cdb_find(c, (const unsigned char *)key, keylen);
	if (r <= 0) {
		if (r < 0 && !errno)
			errno = EIO;
		return r;
	}
	return read_value(c, val);
}

int
cdblook_next(struct cdblook *l, unsigned int *pos, stralloc *val)
{
	struct cdb *c = l->c;
	uint32 p = *pos;
	int r;

	if (!c)
		return 0;
	r = p ? cdb_nextkey(c, &p) : cdb_firstkey(c, &p);
	if (r <= 0) {
		if (r < 0 && !errno)
			errno = EIO;
		return r;
	}
	*pos = p;
	return read_value(c, val);
}

void
cdblook_close(struct cdblook *l)
{
	if (l->c) {
		cdb_free(l->c);
		free(l->c);
	}
	if (l->fd >= 0)
		close(l->fd);
	l->c = 0;
	l->fd = -1;
}

int
cdblook_once(const char *path, const char *key, size_t keylen, stralloc *val)
{
	struct cdblook l;
	int r;

	r = cdblook_open(&l, path);
	if (r <= 0)
		return r;
	r = cdblook_find(&l, key, keylen, val);
	cdblook_close(&l);
	return r;
}
