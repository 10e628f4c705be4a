/*
 * qinject.h -- the one injection core: read a message and its envelope,
 * write them into the queue, make them durable.  sluice-queue (a program
 * per message, qmail-queue compatible) and sluice-injectd (the long-lived
 * injection service) both call qin_inject; neither has a copy of it.
 *
 * Runs as sluiceq in ROOT/queue (the caller's cwd); reads the settings
 * databytes and me through control.h.  What it does, in order: an unnamed
 * file in tmp/ (O_TMPFILE; tmp/PID.USEC where that is missing), the head,
 * the Received line "(sluice-queue invoked by uid N)", the message (LF line
 * ends: a CR or NUL octet is refused, QX_PERM; at most databytes +
 * QF_SLACK), DKIM room and signature (qsign.h) when o->sign, the envelope
 * block (A, N<bounce level>, F, T..., E), fsync, link as mess/BB/ID, fsync
 * mess/BB, "ID\n" into the trigger FIFO.
 *
 * Failure: qin_fail is called with a qmail-queue exit code (exitcodes.h)
 * and one line of text, after any named temporary file is removed; it
 * must not return.  The default logs "fatal: TEXT (queue id ID)" and
 * exits with the code, which is what sluice-queue does.
 */
#ifndef SLUICE_QINJECT_H
#define SLUICE_QINJECT_H

#include <stralloc.h>

#include "qfile.h"

/* where the message and the envelope come from */
struct qin_src {
	int msgfd;		/* the message, to EOF, or to a NUL if nul_ends */
	int envfd;		/* the envelope "F..\0T..\0..\0" (may be msgfd) */
	int nul_ends;		/* 1: a NUL octet ends the message (injectd) */
	unsigned int timeout;	/* seconds to wait for each read; 0 none */
	/* the core's own */
	int msg_done;
	stralloc pend;		/* read past the NUL: the envelope's start */
};

struct qin_opts {
	unsigned long uid;	/* the caller, for the Received line */
	int bounce;		/* bounce level 0, 1 or 2 (N record) */
	int sign;		/* DKIM-sign when the From: domain has keys */
	unsigned long databytes;
};

/* returns only with the message durable in the queue; id is its id */
void qin_inject(struct qin_src *src, const struct qin_opts *o,
    char id[QF_ID_MAX]);

/* code: QX_*; err: errno to report, 0 none; qid "-" before it is known */
extern void (*qin_fail)(int code, const char *what, const char *qid, int err);

/* make the missing pieces of the queue layout in ".", or qin_fail */
void qin_layout(void);

#endif
