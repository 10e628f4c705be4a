/*
 * mailbox.h -- the Maildir as one POP3 session sees it (process B of
 * sluice-pop3d; the current directory is the Maildir).
 *
 * mbox_open locks the Maildir (flock on MAILDIR/sluice-pop3.lock, so a
 * crashed session leaves nothing stuck), removes tmp/ files older than
 * 36 hours, moves new/ messages to cur/ and takes the snapshot the whole
 * session works on.  Deletions are only marks until mbox_update.
 */
#ifndef SLUICE_POP3D_MAILBOX_H
#define SLUICE_POP3D_MAILBOX_H

#include <stddef.h>

#define MBOX_SIZE_UNKNOWN ((unsigned long)-1)
#define MBOX_MAX_MESSAGES 1000000UL

struct mbox_msg {
	size_t name;		/* offset of the file name in mbox.names */
	size_t namelen;
	unsigned long size;	/* with CRLF line ends; MBOX_SIZE_UNKNOWN */
	int deleted;
};

struct mbox {
	int curfd;		/* cur/ */
	int lockfd;
	char *names;		/* NUL-terminated names, one after another */
	size_t nameslen, namesa;
	struct mbox_msg *msgs;
	unsigned long n, alloc;
};

enum { MBOX_OK = 0, MBOX_INUSE = -1, MBOX_ERR = -2 };

/* MBOX_OK, MBOX_INUSE (another session holds the lock), MBOX_ERR */
int mbox_open(struct mbox *m);
/* message i (0-based); NUL-terminated name */
const char *mbox_name(const struct mbox *m, unsigned long i);
/* size with CRLF line ends, from the name's W= or by reading the file */
unsigned long mbox_size(struct mbox *m, unsigned long i);
/* open message i for reading: fd or -1; *bytes gets its size on disk */
int mbox_msg_open(const struct mbox *m, unsigned long i, unsigned long *bytes);
/* let the next session in (before the last reply, so that a client
 * reconnecting at once does not find the mailbox still locked) */
void mbox_unlock(struct mbox *m);
/* remove the messages marked deleted: the number that could not be
 * removed (0 = all done) */
unsigned long mbox_update(struct mbox *m, unsigned long *removed);

#endif
