/*
 * atomicfile.h -- replace a file so that readers see the old version or
 * the new one, never a mixture: write FILE.tmp.PID, fsync, rename, fsync
 * the directory.  Used for every control, text and cdb file sluice-conf
 * writes.
 */
#ifndef SLUICE_ATOMICFILE_H
#define SLUICE_ATOMICFILE_H

#include <stddef.h>
#include <stralloc.h>
#include <cdb_make.h>

/* 0 ok, -1 error (errno; the old file is untouched) */
int atomic_write(const char *path, const char *data, size_t len, int mode);

struct cdbw {
	struct cdb_make cm;
	int fd;
	stralloc tmp, path;
};
/* 0 ok, -1 error */
int cdbw_start(struct cdbw *w, const char *path, int mode);
int cdbw_add(struct cdbw *w, const char *k, size_t kl, const char *v, size_t vl);
int cdbw_finish(struct cdbw *w);	/* fsync + rename */
void cdbw_abort(struct cdbw *w);

#endif
