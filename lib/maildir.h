/*
 * maildir.h -- writing one message into a Maildir, with the Maildir
 * discipline: create tmp/NAME, write, fsync, link to new/NAME, unlink the
 * tmp name.  A crash at any point leaves nothing in new/ but complete
 * messages (tmp/ leftovers are cleaned by whoever reads the Maildir after
 * 36 hours, as usual).
 *
 * Unique names: SECONDS.M<usec>P<pid>Q<count>R<random>.HOST,S=<size>,W=<crlfsize>
 * where HOST has '/' and ':' encoded as \057 and \072; S is the size on
 * disk and W the size with CRLF line ends (what POP3 reports).  The random
 * part makes names unique across hosts sharing storage; on a collision
 * (EEXIST) another name is tried.
 */
#ifndef SLUICE_MAILDIR_H
#define SLUICE_MAILDIR_H

#include <stddef.h>
#include <stralloc.h>

struct maildir_tx {
	int fd;
	stralloc dir;		/* the Maildir, NUL-terminated */
	stralloc tmpname;	/* path of tmp/ file, NUL-terminated */
	stralloc newname;	/* path in new/ after commit, NUL-terminated */
	unsigned long size;	/* bytes written */
	unsigned long lines;	/* LF count, for the W= size */
	char buf[8192];
	size_t buflen;
};

/* create the Maildir's tmp/ file.  0 ok, -1 error (errno). */
int maildir_open(struct maildir_tx *t, const char *maildir);
/* buffered write.  0 ok, -1 error (errno; ENOSPC, EDQUOT, EIO ...). */
int maildir_write(struct maildir_tx *t, const char *buf, size_t len);
/* flush, fsync, link into new/ (or cur/ with info when info != NULL),
 * unlink tmp.  0 ok, -1 error (nothing visible in new/). */
int maildir_commit(struct maildir_tx *t, const char *info);
/* remove the tmp file; safe to call after a failed commit */
void maildir_abort(struct maildir_tx *t);

/* create MAILDIR, MAILDIR/tmp, new, cur with mode 0700 (existing is ok).
 * 0 ok, -1 error */
int maildir_make(const char *maildir);

#endif
