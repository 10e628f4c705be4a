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

#define MAILDIR_KEY_MAX 128

struct maildir_tx {
	int fd;
	stralloc dir;		/* the Maildir, NUL-terminated */
	stralloc tmpname;	/* path of tmp/ file, NUL-terminated */
	stralloc newname;	/* path in new/ after commit, NUL-terminated */
	unsigned long size;	/* bytes written */
	unsigned long lines;	/* LF count, for the W= size */
	char buf[8192];
	size_t buflen;
	char key[MAILDIR_KEY_MAX + 1];	/* "" or the idempotency key */
};

/* create the Maildir's tmp/ file.  0 ok, -1 error (errno). */
int maildir_open(struct maildir_tx *t, const char *maildir);
/* The same, for a delivery that may be repeated after a crash (the queue
 * could not record that it was done): the name in new/ is derived from
 * key (letters, digits, '.', '-', '_'; at most MAILDIR_KEY_MAX) instead
 * of being fresh, as KEY.HOST,S=...,W=..., so a repeat finds its name
 * taken and maildir_commit answers 1, "already delivered", leaving the
 * first copy alone.  (A copy the user has already moved to cur/ is not
 * seen: the window is the seconds between a delivery and its journal.)
 * 0 ok, -1 error (errno; EINVAL for a bad key). */
int maildir_open_keyed(struct maildir_tx *t, const char *maildir,
    const char *key);
/* buffered write.  0 ok, -1 error (errno; ENOSPC, EDQUOT, EIO ...). */
int maildir_write(struct maildir_tx *t, const char *buf, size_t len);
/* flush, fsync, link into new/ (or cur/ with info when info != NULL),
 * unlink tmp.  0 ok, 1 already delivered (keyed opens only: the tmp file
 * is removed), -1 error (nothing visible in new/). */
int maildir_commit(struct maildir_tx *t, const char *info);
/* remove the tmp file; safe to call after a failed commit */
void maildir_abort(struct maildir_tx *t);

/* create MAILDIR, MAILDIR/tmp, new, cur with mode 0700 (existing is ok).
 * 0 ok, -1 error */
int maildir_make(const char *maildir);

#endif
