/*
 * message.c -- DATA and BDAT: the message is streamed, chunk by chunk,
 * through the state machine of smtpdata.c to the queue (qpipe.h), after
 * our Received field: to a $QMAILQUEUE program's pipe as it comes, or
 * kept (in memory, then a memory file) for the injection service until
 * it is complete.
 *
 * A message that breaks a rule (bare CR/LF, NUL, a line over 1000 octets,
 * more than databytes, too many Received fields) is read to its end and
 * then refused: the queue program gets no envelope, so nothing is queued.
 * A connection lost or timed out during the data queues nothing either;
 * the data as a whole has a time limit that grows with its size
 * (data_clock), not only each read.
 *
 * DATA input is taken straight from netio's buffer, up to the end marker
 * and no further, so commands pipelined after the final "." stay buffered
 * for the command loop.  BDAT reads exactly the announced octets.
 */
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#include "abuse.h"
#include "logmsg.h"
#include "milter.h"
#include "qpipe.h"
#include "qreply.h"
#include "received.h"
#include "smtpcmd.h"
#include "smtpd.h"
#include "smtpdata.h"
#include "sysutil.h"

#define DATA_MIN_RATE	1024	/* octets per second, on average */

static struct qpipe q;
static int q_active;
static int mfd = -1;		/* with milters: the message, until they pass it */
static int mfd_failed;
static struct smtp_data dm;
static int toobig;
static char inbuf[NETIO_BUFSIZE];
static char outbuf[NETIO_BUFSIZE];
static stralloc hdr;

void
message_abort(struct smtpd *s)
{
	if (q_active)
		qpipe_abort(&q);
	q_active = 0;
	if (mfd >= 0)
		close(mfd);
	mfd = -1;
	s->bdat = 0;
}

/* the message so far goes to the queue program, or with milters to mfd */
static void
qwrite(const char *buf, size_t len)
{
	if (mfd >= 0) {
		if (!mfd_failed && write_all(mfd, buf, len) < 0)
			mfd_failed = 1;
	} else {
		qpipe_write(&q, buf, len);
	}
}

/* our users' mail is DKIM-signed; mail from outside passes unsigned */
static int
queue_start(struct smtpd *s)
{
	if (qpipe_start(&q, s->queueprog, (unsigned int)s->lim.timeout,
	    s->authed || s->relayclient) < 0) {
		log_line_sys("cannot run ", s->queueprog, NULL);
		return 0;
	}
	q_active = 1;
	return 1;
}

static void
queue_received(struct smtpd *s)
{
	struct received_info ri;

	ri.helo = s->helo;
	ri.ip = s->ip;
	ri.me = s->me;
	ri.esmtp = s->esmtp;
	ri.tls = s->tls;
	ri.authed = s->authed;
	ri.utf8 = s->utf8;
	ri.tlsinfo = s->tlsinfo;
	ri.authuser = s->lim.receivedauth ? s->authuser : 0;
	ri.rcpt = s->nrcpt == 1 ? s->rcpt1 : 0;
	ri.localuser = s->mode == MODE_LOCAL ? s->localuser : 0;
	ri.when = time(0);
	if (!received_build(&hdr, &ri))
		fatal_nomem(111);
	qwrite(hdr.s, hdr.len);
}

static int
message_begin(struct smtpd *s, int binary)
{
	if (s->milters.len > 1) {
		mfd = memfd_create("sluice-message", MFD_CLOEXEC);
		mfd_failed = 0;
		if (mfd < 0) {
			log_line_sys("cannot make a memory file for the milters", NULL);
			return 0;
		}
	} else if (!queue_start(s)) {
		return 0;
	}
	smtp_data_init(&dm, binary);
	toobig = 0;
	queue_received(s);
	return 1;
}

static void
sink(struct smtpd *s, const char *buf, size_t len)
{
	if (toobig)
		return;
	if (dm.size > s->lim.databytes) {
		toobig = 1;
		return;
	}
	qwrite(buf, len);
}

/* The data as a whole (DATA, or one BDAT chunk) must arrive within
 * timeoutsmtpd seconds plus one second per DATA_MIN_RATE octets received,
 * counting at most databytes octets: a client trickling bytes (each read
 * in time) cannot hold the session open for ever. */
static void
data_clock(struct smtpd *s, unsigned long long start, unsigned long long octets)
{
	if (octets > s->lim.databytes)
		octets = s->lim.databytes;
	netio_deadline(&s->io, start + s->lim.timeout * 1000ULL +
	    octets * 1000 / DATA_MIN_RATE);
}

/* DATA: feed from netio's buffer until the end marker */
static int
data_pump(struct smtpd *s)
{
	struct netio *n = &s->io;
	unsigned long long start = now_ms(), octets = 0;
	int r = NETIO_OK;

	while (!dm.done) {
		const char *src;
		long avail;
		size_t used, outlen;

		data_clock(s, start, octets);
		avail = netio_peek(n, &src);
		if (avail < 0) {
			r = (int)avail;
			break;
		}
		used = smtp_data_feed(&dm, src, (size_t)avail, outbuf, &outlen);
		netio_consume(n, used);
		octets += used;
		sink(s, outbuf, outlen);
	}
	netio_deadline(n, 0);
	return r;
}

/* BDAT: exactly want octets; keep = 0 throws them away */
static int
bdat_pump(struct smtpd *s, unsigned long want, int keep)
{
	unsigned long long start = now_ms(), octets = 0;
	int st = NETIO_OK;

	while (want) {
		size_t take = want < sizeof inbuf ? want : sizeof inbuf, outlen;
		long r;

		data_clock(s, start, octets);
		r = netio_read(&s->io, inbuf, take);
		if (r < 0) {
			st = (int)r;
			break;
		}
		want -= (unsigned long)r;
		octets += (unsigned long)r;
		if (keep) {
			smtp_data_feed(&dm, inbuf, (size_t)r, outbuf, &outlen);
			sink(s, outbuf, outlen);
		}
	}
	netio_deadline(&s->io, 0);
	return st;
}

/* qid NULL but for an accepted message */
static void
log_message_qid(struct smtpd *s, const char *qid, const char *what,
    const char *why)
{
	char n1[21], n2[21];

	log_line_qid(qid, what, " ip=", s->ip, " user=",
	    s->authed ? s->authuser : "-", " from=<", s->sender, "> rcpts=",
	    ulong_str(n1, s->nrcpt), " size=", ulong_str(n2, (unsigned long)dm.size),
	    why ? " " : "", why ? why : "", NULL);
}

static void
log_message(struct smtpd *s, const char *what, const char *why)
{
	log_message_qid(s, 0, what, why);
}

static void
data_lost(struct smtpd *s, int r)
{
	message_abort(s);
	log_message(s, "lost", r == NETIO_TIMEOUT ? "timeout in data" :
	    "connection lost in data");
	txn_reset(s);
	if (r == NETIO_TIMEOUT)
		hang_up(s, "421 4.4.2 Timeout during data; closing connection",
		    "timeout in data");
	else {
		s->quit = 1;
		s->end = "connection lost in data";
	}
}

/* the rule a finished message breaks, or NULL */
static const char *
message_fault(struct smtpd *s)
{
	if (dm.err & (DATA_EBARELF | DATA_EBARECR))
		return "554 5.6.0 Message refused: bare CR or LF in the data (lines must end in CRLF)";
	if (dm.err & DATA_ENUL)
		return "554 5.6.0 Message refused: NUL octet in the data";
	if (dm.err & DATA_ELONGLINE)
		return "554 5.6.0 Message refused: a line is longer than 1000 octets";
	if (toobig)
		return "552 5.3.4 Message size exceeds fixed limit";
	if (dm.received > s->lim.maxhops)
		return "554 5.4.6 Too many hops (mail loop?)";
	return 0;
}

/* the queue program took it: 250, with its queue id when it told us */
static void
message_queued(struct smtpd *s)
{
	netio_puts(&s->io, smtp_reply_for_queue_exit(0));
	if (q.qid[0]) {
		netio_puts(&s->io, " as ");
		netio_puts(&s->io, q.qid);
	}
	reply(s, "");
	s->n_queued++;
	limits_queued(s);
	log_message_qid(s, q.qid[0] ? q.qid : "?", "queued", 0);
}

static void
message_queue_failed(struct smtpd *s, int code)
{
	char note[40], n[21];

	reply(s, smtp_reply_for_queue_exit(code));
	s->n_refused++;
	strcpy(note, "queue exit=");
	strcat(note, q.timedout ? "timeout" : code < 0 ? "crash" :
	    ulong_str(n, (unsigned long)code));
	if (q.text[0]) {
		stralloc t = {0};

		if (stralloc_copys(&t, note) && stralloc_cats(&t, " (") &&
		    stralloc_cats(&t, q.text) && stralloc_cats(&t, ")") &&
		    stralloc_0(&t)) {
			log_message(s, "queue failed", t.s);
			stralloc_free(&t);
			return;
		}
	}
	log_message(s, "queue failed", note);
}

/* with milters: offer the message, then queue what they passed.
 * 1 when it went to the queue program (q is running), 0 when answered */
static int
message_filtered(struct smtpd *s)
{
	struct milter_session ms;
	char reply_text[520];
	enum milter_verdict v;
	char buf[65536];
	off_t off = 0;

	if (mfd_failed) {
		message_abort(s);
		reply(s, "451 4.3.0 Cannot keep the message; try again later");
		log_message(s, "refused message", "memory file write failed");
		s->n_refused++;
		return 0;
	}
	memset(&ms, 0, sizeof ms);
	ms.specs = s->milters.s;
	ms.fail_accept = s->milterfail_accept;
	ms.timeout = s->lim.miltertimeout;
	ms.maxbody = s->lim.databytes + 65536;
	ms.ip = s->ip;
	ms.helo = s->helo;
	ms.me = s->me;
	ms.authuser = s->authed ? s->authuser : "";
	ms.tlsversion = s->tls ? s->tlsinfo : "";
	ms.env = s->env.s;
	ms.envlen = s->env.len;
	v = milter_filter(&ms, &mfd, (unsigned long)lseek(mfd, 0, SEEK_END),
	    reply_text);
	if (v != MILTER_PASS) {
		if (v == MILTER_DISCARD)
			reply(s, "250 2.0.0 Ok");
		else
			reply(s, reply_text);
		log_message(s, v == MILTER_DISCARD ? "discarded message" :
		    "refused message", v == MILTER_DISCARD ? "by milter" :
		    reply_text);
		s->n_refused++;
		message_abort(s);
		return 0;
	}
	if (!queue_start(s)) {
		message_abort(s);
		reply(s, "451 4.3.0 Cannot start the queue; try again later");
		s->n_refused++;
		return 0;
	}
	for (;;) {
		ssize_t r = pread(mfd, buf, sizeof buf, off);

		if (r <= 0)
			break;
		off += r;
		qpipe_write(&q, buf, (size_t)r);
	}
	close(mfd);
	mfd = -1;
	return 1;
}

static void
message_end(struct smtpd *s)
{
	const char *why = message_fault(s);
	int code;

	if (why) {
		message_abort(s);
		log_message(s, "refused message", why);
		reply(s, why);
		s->n_refused++;
	} else {
		if (!stralloc_0(&s->env))	/* the envelope's last \0 */
			fatal_nomem(111);
		if (mfd >= 0 && !message_filtered(s)) {
			txn_reset(s);
			s->state = ST_READY;
			return;
		}
		code = qpipe_finish(&q, s->env.s, s->env.len);
		q_active = 0;
		s->bdat = 0;
		if (code == 0)
			message_queued(s);
		else
			message_queue_failed(s, code);
	}
	txn_reset(s);
	s->state = ST_READY;
}

void
cmd_data(struct smtpd *s, const char *arg, size_t len)
{
	int r;

	if (len) {
		reply_bad(s, "501 5.5.4 Syntax error: no parameters allowed");
		return;
	}
	if (s->bdat) {
		reply_bad(s, "503 5.5.1 DATA not allowed after BDAT");
		return;
	}
	if (!s->nrcpt) {
		reply(s, "554 5.5.1 No valid recipients");
		return;
	}
	if (!message_begin(s, 0)) {
		reply(s, "451 4.3.0 Cannot start the queue; try again later");
		return;
	}
	reply(s, "354 End data with <CR><LF>.<CR><LF>");
	if (netio_flush(&s->io) < 0) {
		data_lost(s, NETIO_ERR);
		return;
	}
	r = data_pump(s);
	if (r != NETIO_OK) {
		data_lost(s, r);
		return;
	}
	message_end(s);
}

/* why this BDAT cannot be taken (its octets are read and dropped), or NULL */
static const char *
bdat_refusal(struct smtpd *s)
{
	if (s->state == ST_INIT)
		return "503 5.5.1 Send HELO/EHLO first";
	if (s->state == ST_READY)
		return "503 5.5.1 Need MAIL before BDAT";
	if (!s->nrcpt)
		return "554 5.5.1 No valid recipients";
	if (!s->bdat && !message_begin(s, 1))
		return "451 4.3.0 Cannot start the queue; try again later";
	return 0;
}

void
cmd_bdat(struct smtpd *s, const char *arg, size_t len)
{
	unsigned long size;
	int last, r;
	const char *why;

	if (smtp_bdat_parse(arg, len, &size, &last) != SP_OK) {
		/* the chunk length is unknown: we cannot find the next command */
		hang_up(s, "501 5.5.4 Syntax: BDAT size [LAST]; closing connection",
		    "bad BDAT");
		return;
	}
	if (size / 2 > s->lim.databytes) {
		hang_up(s, "552 5.3.4 Chunk exceeds the message size limit; closing connection",
		    "BDAT too large");
		return;
	}
	why = bdat_refusal(s);
	r = bdat_pump(s, size, !why);
	if (r != NETIO_OK) {
		data_lost(s, r);
		return;
	}
	if (why) {
		if (why[0] == '5' && why[1] == '0')
			reply_bad(s, why);
		else
			reply(s, why);
		return;
	}
	s->bdat = 1;
	if (toobig) {
		log_message(s, "refused message", "size limit (BDAT)");
		s->n_refused++;
		txn_reset(s);
		s->state = ST_READY;
		reply(s, "552 5.3.4 Message size exceeds fixed limit");
		return;
	}
	if (!last) {
		char n[21];

		netio_puts(&s->io, "250 2.0.0 ");
		netio_puts(&s->io, ulong_str(n, size));
		reply(s, " octets received");
		return;
	}
	smtp_data_finish(&dm);
	if (!dm.last_lf)
		qwrite("\n", 1);
	message_end(s);
}
