/*
 * qpipe.h -- hand one message to the queue, through the one injection
 * client (lib/inject.h).
 *
 * Without $QMAILQUEUE the message goes to the injection service
 * (ROOT/run/inject.sock) once it is complete, or, when nothing listens
 * there, to prog (BIN/sluice-queue) with qmail-queue's protocol.  With
 * $QMAILQUEUE set, prog is that program and it is started at qpipe_start
 * and fed as the message arrives, as qmail-smtpd does: it reads the
 * message (LF line ends) on its fd 0 and then the envelope on its fd 1:
 *     "F" sender "\0"  ("T" recipient "\0")...  "\0"
 * and exits 0 once the message is safe.  It inherits our environment
 * (QMAILQUEUE filters read TCPREMOTEIP etc.) and stderr, and a pipe on
 * fd 3 named in SLUICE_QUEUEID_FD=3 for its queue id (one line).
 *
 * qpipe_finish leaves the queue id in qid ("" when none came) and the
 * text of a failure in text.  qpipe_abort gives up: nothing is queued.
 */
#ifndef SLUICE_QPIPE_H
#define SLUICE_QPIPE_H

#include <stddef.h>
#include <sys/types.h>

#include "inject.h"

#define QPIPE_QID_MAX INJECT_QID_MAX

struct qpipe {
	struct inject in;
	struct inject_result r;
	char qid[QPIPE_QID_MAX + 1];
	const char *text;	/* why it failed, for the log */
	int timedout;		/* the queue stopped reading or answering */
};

/* ready a message for prog (see above); every later wait (a full pipe,
 * the answer) lasts at most timeout seconds, after which the message
 * counts as failed (-1).  sign 0: not DKIM-signed (mail from outside is
 * never signed; queue/qsign.h).  0 ok, -1 error (errno) */
int qpipe_start(struct qpipe *q, const char *prog, unsigned int timeout,
    int sign);
void qpipe_write(struct qpipe *q, const char *buf, size_t len);
/* send the envelope and wait.  Returns the qmail-queue exit code
 * (0..255), or -1 if the queue could not be run, crashed or was lost. */
int qpipe_finish(struct qpipe *q, const char *env, size_t envlen);
/* give up on the message */
void qpipe_abort(struct qpipe *q);

#endif
