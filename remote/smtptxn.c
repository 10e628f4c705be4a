/*
 * smtptxn.c -- the mail transaction of an outbound SMTP connection:
 * SIZE check, MAIL and RCPTs (one write for all of them, in windows of
 * PIPE_WINDOW, when PIPELINING is offered), DATA with the body read by
 * pread in large chunks and dot-stuffed, and the per-recipient results.
 * A lost connection after the final "." defers the accepted recipients
 * (the peer may have taken the message) instead of trying another host.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dotstuff.h"
#include "smtpsess.h"

static char inbuf[CHUNK];
static char outbuf[DOTSTUFF_OUT(CHUNK)];

/* set every recipient accepted in this session */
static void
set_accepted(struct sess *s, enum job_status st, const char *dsn,
    const char *text)
{
	size_t i;

	for (i = 0; i < s->d->j->nrcpt; i++)
		if (s->accepted[i])
			rcpt_set(&s->d->r[i], st, dsn, text);
}

void
sess_set_pending(struct sess *s, enum job_status st, const char *dsn,
    const char *text)
{
	size_t i;

	for (i = 0; i < s->d->j->nrcpt; i++)
		if (!s->d->r[i].status)
			rcpt_set(&s->d->r[i], st, dsn, text);
}

static void
set_from_reply(struct sess *s, size_t i, const struct smtp_reply *r,
    const char *what)
{
	char text[JOB_TEXT_MAX + 1], dsn[DSN_MAX];

	sess_said(s, r, what, text, sizeof text);
	smtp_reply_dsn(r, dsn);
	rcpt_set(&s->d->r[i], r->code >= 500 ? JOB_FAILED : JOB_DEFERRED, dsn, text);
}

static int
mail_command(struct sess *s)
{
	struct delivery *d = s->d;
	char param[64];

	netio_puts(&s->n, "MAIL FROM:<");
	netio_puts(&s->n, d->j->sender);
	netio_puts(&s->n, ">");
	if (s->caps.size) {
		snprintf(param, sizeof param, " SIZE=%lu", d->size);
		netio_puts(&s->n, param);
	}
	if (d->eightbit && s->caps.eightbitmime)
		netio_puts(&s->n, " BODY=8BITMIME");
	if (d->utf8addr && s->caps.smtputf8)
		netio_puts(&s->n, " SMTPUTF8");
	return netio_put(&s->n, "\r\n", 2);
}

/* RCPT replies for rcpt indexes idx[0..n); -1 transport failure */
static int
rcpt_replies(struct sess *s, const size_t *idx, size_t n)
{
	struct smtp_reply r;
	size_t k;

	for (k = 0; k < n; k++) {
		if (sess_get_reply(s, &r, 0, "RCPT TO") < 0)
			return -1;
		if (r.code / 100 == 2) {
			s->accepted[idx[k]] = 1;
			s->naccepted++;
		} else
			set_from_reply(s, idx[k], &r, "RCPT TO");
	}
	return 0;
}

/* MAIL and RCPTs; -1 next host, 0 go on to DATA (if any accepted), 1 done */
int
sess_envelope(struct sess *s)
{
	struct delivery *d = s->d;
	struct smtp_reply mail;
	size_t idx[PIPE_WINDOW], i = 0, n, window = s->caps.pipelining ? PIPE_WINDOW : 1;
	int mail_read = 0;

	if (mail_command(s) < 0)
		goto lost;
	if (!s->caps.pipelining) {
		if (netio_flush(&s->n) < 0)
			goto lost;
		if (sess_get_reply(s, &mail, 0, "MAIL FROM") < 0)
			return -1;
		mail_read = 1;
		if (mail.code / 100 != 2)
			goto refused;
	}
	while (i < d->j->nrcpt) {
		for (n = 0; i < d->j->nrcpt && n < window; i++) {
			if (d->r[i].status)
				continue;
			if (sess_send_line(s, "RCPT TO:<", d->j->rcpt[i], ">") < 0)
				goto lost;
			idx[n++] = i;
		}
		if (netio_flush(&s->n) < 0)
			goto lost;
		if (!mail_read) {
			if (sess_get_reply(s, &mail, 0, "MAIL FROM") < 0)
				return -1;
			mail_read = 1;
			if (mail.code / 100 != 2) {
				/* the pipelined RCPTs get replies too: read them */
				size_t k;
				struct smtp_reply r;
				for (k = 0; k < n; k++)
					if (sess_get_reply(s, &r, 0, "RCPT TO") < 0)
						break;
				goto refused;
			}
		}
		if (rcpt_replies(s, idx, n) < 0)
			return -1;
	}
	return s->naccepted ? 0 : 1;
refused:
	if (mail.code >= 500) {
		char text[JOB_TEXT_MAX + 1], dsn[DSN_MAX];
		sess_said(s, &mail, "MAIL FROM", text, sizeof text);
		smtp_reply_dsn(&mail, dsn);
		sess_set_pending(s, JOB_FAILED, dsn, text);
		return 1;
	}
	sess_fail_reply(s, &mail, "MAIL FROM");
	return -1;
lost:
	sess_fail_text(s, "4.4.2", "lost connection sending the envelope", 0);
	s->broken = 1;
	return -1;
}

/* the body, dot-stuffed, and the final "."; -1 on failure */
static int
send_body(struct sess *s)
{
	struct delivery *d = s->d;
	struct dotstuff ds;
	unsigned long done = 0;
	size_t o;

	dotstuff_init(&ds);
	while (done < d->j->length) {
		size_t want = d->j->length - done > CHUNK ? CHUNK : d->j->length - done;
		ssize_t r = pread(d->msgfd, inbuf, want, (off_t)(d->j->offset + done));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			sess_fail_text(s, "4.3.0", "cannot read the message", 0);
			s->broken = 1;	/* close without the final ".": nothing delivered */
			return -1;
		}
		done += (unsigned long)r;
		o = dotstuff_encode(&ds, inbuf, (size_t)r, outbuf);
		if (netio_put(&s->n, outbuf, o) < 0)
			goto lost;
	}
	o = dotstuff_finish(&ds, outbuf);
	if (netio_put(&s->n, outbuf, o) < 0 || netio_flush(&s->n) < 0)
		goto lost;
	return 0;
lost:
	sess_fail_text(s, "4.4.2", "lost connection sending the message", 0);
	s->broken = 1;
	return -1;
}

/* DATA, body, final reply: always decides the accepted recipients,
 * except -1: failed before the body was complete (next host) */
int
sess_data(struct sess *s)
{
	struct smtp_reply r;
	char text[JOB_TEXT_MAX + 1], dsn[DSN_MAX];

	if (sess_command(s, "DATA", 0, &r, 0, "DATA") < 0)
		return -1;
	if (r.code != 354) {
		if (r.code / 100 == 3) {
			sess_fail_reply(s, &r, "DATA");
			return -1;
		}
		sess_said(s, &r, "DATA", text, sizeof text);
		smtp_reply_dsn(&r, dsn);
		set_accepted(s, r.code >= 500 ? JOB_FAILED : JOB_DEFERRED, dsn, text);
		s->summary = "refused DATA";
		return 0;
	}
	if (send_body(s) < 0)
		return -1;
	if (sess_get_reply(s, &r, 0, "end of data") < 0) {
		snprintf(text, sizeof text, "%s: %s", s->peer,
		    "connection lost after the end of data; the message may have been delivered");
		set_accepted(s, JOB_DEFERRED, "4.4.2", text);
		s->summary = "lost after data";
		return 0;
	}
	sess_said(s, &r, "end of data", text, sizeof text);
	smtp_reply_dsn(&r, dsn);
	set_accepted(s, r.code / 100 == 2 ? JOB_SENT : r.code >= 500 ?
	    JOB_FAILED : JOB_DEFERRED, dsn, text);
	s->summary = r.code / 100 == 2 ? "delivered" :
	    r.code >= 500 ? "refused after data" : "deferred after data";
	return 0;
}

static int
non_ascii(const char *a)
{
	for (; *a; a++)
		if ((unsigned char)*a >= 128)
			return 1;
	return 0;
}

int
sess_utf8_fits(struct sess *s)
{
	struct delivery *d = s->d;
	char text[JOB_TEXT_MAX + 1];
	size_t i;

	if (!d->utf8addr || s->caps.smtputf8)
		return 1;
	snprintf(text, sizeof text, "%s: does not offer SMTPUTF8, needed for a non-ASCII address",
	    s->peer);
	if (non_ascii(d->j->sender))
		sess_set_pending(s, JOB_FAILED, "5.6.7", text);
	for (i = 0; i < d->j->nrcpt; i++)
		if (!d->r[i].status && non_ascii(d->j->rcpt[i]))
			rcpt_set(&d->r[i], JOB_FAILED, "5.6.7", text);
	if (delivery_pending(d))
		return 1;
	s->summary = "no SMTPUTF8";
	return 0;
}

int
sess_size_fits(struct sess *s)
{
	char text[JOB_TEXT_MAX + 1];

	if (!s->caps.size_max || s->d->size <= s->caps.size_max)
		return 1;
	snprintf(text, sizeof text, "%s: message of %lu bytes exceeds its limit of %lu",
	    s->peer, s->d->size, s->caps.size_max);
	sess_set_pending(s, JOB_FAILED, "5.3.4", text);
	s->summary = "message too big";
	return 0;
}

