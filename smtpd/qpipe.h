/*
 * qpipe.h -- hand one message to the queue program with the qmail-queue
 * protocol: the program reads the message (LF line ends) on its fd 0 and
 * then the envelope on its fd 1:
 *     "F" sender "\0"  ("T" recipient "\0")...  "\0"
 * and exits 0 once the message is safe.  The message is streamed through
 * a small buffer, never held whole.  The queue program inherits our
 * environment (QMAILQUEUE filters read TCPREMOTEIP etc.) and stderr.
 *
 * The program also gets a pipe on fd 3, named in its environment as
 * SLUICE_QUEUEID_FD=3: a queue program may write its queue id there (one
 * line); qpipe_finish then leaves it in qid ("" when none came).
 *
 * Failure: a write error (the program died) is remembered and later
 * writes are dropped; qpipe_finish then reports the exit code.
 * qpipe_abort closes both pipes without an envelope: a qmail-queue
 * compatible program then refuses (nothing is queued).
 */
#ifndef SLUICE_QPIPE_H
#define SLUICE_QPIPE_H

#include <stddef.h>
#include <sys/types.h>

#define QPIPE_BUFSIZE 16384
#define QPIPE_QID_MAX 64

struct qpipe {
	pid_t pid;
	int msgfd;		/* our end of the program's fd 0 */
	int envfd;		/* our end of the program's fd 1 */
	int idfd;		/* our end of the program's fd 3 */
	char qid[QPIPE_QID_MAX + 1];
	int werr;
	int timedout;		/* the program stopped reading or exiting */
	unsigned int timeout;	/* seconds per wait */
	size_t buflen;
	char buf[QPIPE_BUFSIZE];
};

/* start prog; every later wait for it (a full pipe, its exit) lasts at
 * most timeout seconds, after which it is killed and the message counts
 * as failed (-1).  sign 0 puts SLUICE_DKIM=no in its environment (mail
 * from outside is never DKIM-signed; queue/qsign.h).  0 ok, -1 error
 * (errno) */
int qpipe_start(struct qpipe *q, const char *prog, unsigned int timeout,
    int sign);
void qpipe_write(struct qpipe *q, const char *buf, size_t len);
/* send the envelope, wait for the program.  Returns its exit code
 * (0..255), or -1 if it could not be run or was killed. */
int qpipe_finish(struct qpipe *q, const char *env, size_t envlen);
/* give up on the message: close without an envelope, wait */
void qpipe_abort(struct qpipe *q);

#endif
