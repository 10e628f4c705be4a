/*
 * cdblook.h -- lookups in cdb files (libowfat's cdb API).
 *
 * A cdb file is opened per lookup batch and closed after; files are
 * replaced by rename, so an open descriptor keeps seeing one consistent
 * version.
 */
#ifndef SLUICE_CDBLOOK_H
#define SLUICE_CDBLOOK_H

#include <stddef.h>
#include <stralloc.h>

#define CDB_VALUE_MAX (1024 * 1024)	/* refuse larger values */

struct cdblook {
	int fd;
	void *c;		/* struct cdb */
};

/* 1 opened, 0 file does not exist, -1 error */
int cdblook_open(struct cdblook *l, const char *path);
/* 1 found (value in val, not NUL-terminated), 0 not found, -1 error */
int cdblook_find(struct cdblook *l, const char *key, size_t keylen,
    stralloc *val);
/* the records in file order: *pos 0 for the first, then as left by the
 * last call.  1 a record (value in val), 0 no more, -1 error */
int cdblook_next(struct cdblook *l, unsigned int *pos, stralloc *val);
void cdblook_close(struct cdblook *l);
/* open, find, close.  A missing file is "not found" (0). */
int cdblook_once(const char *path, const char *key, size_t keylen,
    stralloc *val);

#endif
