/*
 * qpipe.c -- sluice-smtpd's side of lib/inject.h (qpipe.h): the service,
 * or $QMAILQUEUE streamed as qmail-smtpd does.
 */
#include <stdlib.h>
#include <string.h>

#include "qpipe.h"

int
qpipe_start(struct qpipe *q, const char *prog, unsigned int timeout, int sign)
{
	const char *mq = getenv("QMAILQUEUE");
	struct inject_opts o;

	o.prog = prog;
	o.service = !mq || !*mq;
	o.sign = sign;
	o.bounce = 0;
	o.timeout = timeout;
	q->qid[0] = 0;
	q->text = "";
	q->timedout = 0;
	return inject_start(&q->in, &o);
}

void
qpipe_write(struct qpipe *q, const char *buf, size_t len)
{
	inject_write(&q->in, buf, len);
}

int
qpipe_finish(struct qpipe *q, const char *env, size_t envlen)
{
	inject_finish(&q->in, env, envlen, &q->r);
	strcpy(q->qid, q->r.qid);
	q->text = q->r.text;
	q->timedout = q->in.timedout;
	return q->r.code;
}

void
qpipe_abort(struct qpipe *q)
{
	inject_abort(&q->in);
}
