/*
 * smtpsess.c -- one outbound SMTP connection (remote.h smtp_attempt).
 *
 * Dialogue: greeting, EHLO (HELO if refused), STARTTLS whenever offered
 * (required with tls=verify), AUTH to a smarthost only over TLS, SIZE
 * check, MAIL and the RCPTs in one write when PIPELINING is offered,
 * DATA with the body dot-stuffed, QUIT.  Every read waits at most
 * timeoutremote.  The peer is hostile: replies are parsed by smtpreply,
 * bounded in length and number of lines, and only printable text is kept.
 *
 * Which failures move on to the next host: everything up to the end of
 * the body (nothing has been delivered yet).  A lost connection after
 * the final "." leaves the recipients deferred (the peer may have taken
 * the message), never tried elsewhere at once.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "connect.h"
#include "dotstuff.h"
#include "logmsg.h"
#include "netio.h"
#include "remote.h"
#include "smtpreply.h"
#include "tlsw.h"

#define LINE_MAX_IN	2048	/* longer reply lines are malformed */
#define PIPE_WINDOW	100	/* RCPT commands written before reading */
#define CHUNK		65536
#define PEER_MAX	320

struct sess {
	struct delivery *d;
	const struct target *t;
	struct netio n;
	char peer[PEER_MAX];	/* "host[ip]" */
	char tls[128];
	struct ehlo_caps caps;
	int accepted[JOB_RCPT_MAX];
	size_t naccepted;
	const char *summary;		/* for the log line */
	int broken;			/* transport failed: no QUIT */
};

static char inbuf[CHUNK];
static char outbuf[DOTSTUFF_OUT(CHUNK)];

/* "HOST[IP] said: 550 5.1.1 ... (in reply to WHAT)" */
static void
said(struct sess *s, const struct smtp_reply *r, const char *what,
    char *out, size_t max)
{
	snprintf(out, max, "%s said: %s (in reply to %s)", s->peer, r->text, what);
}

static void
fail_reply(struct sess *s, const struct smtp_reply *r, const char *what)
{
	char text[JOB_TEXT_MAX + 1], dsn[DSN_MAX];

	said(s, r, what, text, sizeof text);
	smtp_reply_dsn(r, dsn);
	delivery_fail(s->d, r->code < 500, dsn, text);
}

static void
fail_text(struct sess *s, const char *dsn, const char *what, const char *detail)
{
	char text[JOB_TEXT_MAX + 1];

	snprintf(text, sizeof text, "%s: %s%s%s", s->peer, what,
	    detail ? ": " : "", detail ? detail : "");
	delivery_fail(s->d, 1, dsn, text);
}

/* read one reply; -1 on timeout, EOF or garbage (recorded as a failure) */
static int
get_reply(struct sess *s, struct smtp_reply *r, int ehlo, const char *what)
{
	static char line[LINE_MAX_IN];
	char why[128];
	size_t len;
	int st, fed;

	smtp_reply_init(r);
	if (ehlo)
		ehlo_caps_init(&s->caps);
	do {
		st = netio_getline(&s->n, line, sizeof line, &len);
		if (st != NETIO_OK) {
			snprintf(why, sizeof why, "%s %s",
			    st == NETIO_TIMEOUT ? "timed out waiting for the reply to" :
			    st == NETIO_TOOLONG ? "sent an overlong line in reply to" :
			    "lost connection waiting for the reply to", what);
			fail_text(s, "4.4.2", why, 0);
			s->broken = 1;
			return -1;
		}
		fed = smtp_reply_feed(r, line, len);
		if (fed < 0) {
			snprintf(why, sizeof why, "malformed reply to %s", what);
			fail_text(s, "4.5.0", why, 0);
			return -1;
		}
		if (ehlo && r->nlines > 1 && len > 4)
			ehlo_caps_line(&s->caps, line + 4,
			    len - 4 - (line[len - 2] == '\r' ? 2 : 1));
	} while (!fed);
	return 0;
}

static int
send_line(struct sess *s, const char *a, const char *b, const char *c)
{
	netio_puts(&s->n, a);
	if (b)
		netio_puts(&s->n, b);
	if (c)
		netio_puts(&s->n, c);
	return netio_put(&s->n, "\r\n", 2);
}

/* a command and its reply; -1 on a transport failure */
static int
command(struct sess *s, const char *cmd, const char *arg,
    struct smtp_reply *r, int ehlo, const char *what)
{
	if (send_line(s, cmd, arg, 0) < 0 || netio_flush(&s->n) < 0) {
		fail_text(s, "4.4.2", "lost connection sending", what);
		s->broken = 1;
		return -1;
	}
	return get_reply(s, r, ehlo, what);
}

static int
hello(struct sess *s)
{
	struct smtp_reply r;

	if (command(s, "EHLO ", s->d->me, &r, 1, "EHLO") < 0)
		return -1;
	if (r.code / 100 == 2)
		return 0;
	ehlo_caps_init(&s->caps);
	if (command(s, "HELO ", s->d->me, &r, 0, "HELO") < 0)
		return -1;
	if (r.code / 100 == 2)
		return 0;
	fail_reply(s, &r, "HELO");
	return -1;
}

/* 0 TLS on (or not wanted), -1 next host, 1 retry without TLS */
static int
starttls(struct sess *s, int no_tls)
{
	struct delivery *d = s->d;
	struct smtp_reply r;
	const char *err = "";

	if (!s->caps.starttls || no_tls) {
		if (!d->tls_verify)
			return 0;
		fail_text(s, "4.7.4", "TLS is required but was not offered", 0);
		return -1;
	}
	if (command(s, "STARTTLS", 0, &r, 0, "STARTTLS") < 0)
		return -1;
	if (r.code != 220) {
		if (!d->tls_verify)
			return 0;
		fail_reply(s, &r, "STARTTLS");
		return -1;
	}
	if (netio_pending(&s->n)) {	/* plaintext injected ahead of TLS */
		fail_text(s, "4.7.0", "sent data ahead of the TLS handshake", 0);
		return -1;
	}
	if (!d->tls_ctx && !(d->tls_ctx = tls_client_ctx(d->tls_verify, 0, &err))) {
		fail_text(s, "4.7.5", "cannot set up TLS", err);
		return -1;
	}
	if (netio_starttls_client(&s->n, d->tls_ctx, s->t->host, d->tls_verify,
	    &err) < 0) {
		fail_text(s, "4.7.5", "TLS failed", err);
		return d->tls_verify ? -1 : 1;
	}
	tls_describe(s->n.ssl, s->tls, sizeof s->tls);
	return hello(s);
}

static int
auth_login(struct sess *s, struct smtp_reply *r)
{
	static char b64[AUTH_B64_MAX];

	if (command(s, "AUTH LOGIN", 0, r, 0, "AUTH") < 0)
		return -1;
	if (r->code != 334)
		return 0;
	if (!auth_b64(s->d->cred->user, b64) || command(s, b64, 0, r, 0, "AUTH") < 0)
		return -1;
	if (r->code != 334)
		return 0;
	if (!auth_b64(s->d->cred->pass, b64) || command(s, b64, 0, r, 0, "AUTH") < 0)
		return -1;
	memset(b64, 0, sizeof b64);
	return 0;
}

static int
authenticate(struct sess *s)
{
	static char b64[AUTH_B64_MAX];
	struct smtp_reply r;
	int st;

	if (!s->d->cred)
		return 0;
	if (!s->n.ssl) {
		fail_text(s, "4.7.0", "not sending credentials without TLS", 0);
		return -1;
	}
	if (s->caps.auth_plain) {
		auth_plain_response(s->d->cred, b64);
		st = command(s, "AUTH PLAIN ", b64, &r, 0, "AUTH");
		memset(b64, 0, sizeof b64);
	} else if (s->caps.auth_login)
		st = auth_login(s, &r);
	else {
		fail_text(s, "4.7.0", "offers no AUTH PLAIN or LOGIN", 0);
		return -1;
	}
	if (st < 0)
		return -1;
	if (r.code != 235) {
		fail_reply(s, &r, "AUTH");
		s->d->anytemp = 1;	/* a login problem is the admin's to fix */
		return -1;
	}
	return 0;
}

/* set every recipient accepted in this session */
static void
set_accepted(struct sess *s, char st, const char *dsn, const char *text)
{
	size_t i;

	for (i = 0; i < s->d->j->nrcpt; i++)
		if (s->accepted[i])
			rcpt_set(&s->d->r[i], st, dsn, text);
}

static void
set_pending(struct sess *s, char st, const char *dsn, const char *text)
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

	said(s, r, what, text, sizeof text);
	smtp_reply_dsn(r, dsn);
	rcpt_set(&s->d->r[i], r->code >= 500 ? 'D' : 'Z', dsn, text);
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
	if (d->utf8addr)
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
		if (get_reply(s, &r, 0, "RCPT TO") < 0)
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
static int
envelope(struct sess *s)
{
	struct delivery *d = s->d;
	struct smtp_reply mail;
	size_t idx[PIPE_WINDOW], i = 0, n, window = s->caps.pipelining ? PIPE_WINDOW : 1;
	int mail_read = 0;

	if (mail_command(s) < 0)
		goto lost;
	if (!s->caps.pipelining) {
		if (netio_flush(&s->n) < 0 || get_reply(s, &mail, 0, "MAIL FROM") < 0)
			return -1;
		mail_read = 1;
		if (mail.code / 100 != 2)
			goto refused;
	}
	while (i < d->j->nrcpt) {
		for (n = 0; i < d->j->nrcpt && n < window; i++) {
			if (d->r[i].status)
				continue;
			if (send_line(s, "RCPT TO:<", d->j->rcpt[i], ">") < 0)
				goto lost;
			idx[n++] = i;
		}
		if (netio_flush(&s->n) < 0)
			goto lost;
		if (!mail_read) {
			if (get_reply(s, &mail, 0, "MAIL FROM") < 0)
				return -1;
			mail_read = 1;
			if (mail.code / 100 != 2) {
				/* the pipelined RCPTs get replies too: read them */
				size_t k;
				struct smtp_reply r;
				for (k = 0; k < n; k++)
					if (get_reply(s, &r, 0, "RCPT TO") < 0)
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
		said(s, &mail, "MAIL FROM", text, sizeof text);
		smtp_reply_dsn(&mail, dsn);
		set_pending(s, 'D', dsn, text);
		return 1;
	}
	fail_reply(s, &mail, "MAIL FROM");
	return -1;
lost:
	fail_text(s, "4.4.2", "lost connection sending the envelope", 0);
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
			fail_text(s, "4.3.0", "cannot read the message", 0);
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
	fail_text(s, "4.4.2", "lost connection sending the message", 0);
	s->broken = 1;
	return -1;
}

/* DATA, body, final reply: always decides the accepted recipients,
 * except -1: failed before the body was complete (next host) */
static int
data(struct sess *s)
{
	struct smtp_reply r;
	char text[JOB_TEXT_MAX + 1], dsn[DSN_MAX];

	if (command(s, "DATA", 0, &r, 0, "DATA") < 0)
		return -1;
	if (r.code != 354) {
		if (r.code / 100 == 3) {
			fail_reply(s, &r, "DATA");
			return -1;
		}
		said(s, &r, "DATA", text, sizeof text);
		smtp_reply_dsn(&r, dsn);
		set_accepted(s, r.code >= 500 ? 'D' : 'Z', dsn, text);
		s->summary = "refused DATA";
		return 0;
	}
	if (send_body(s) < 0)
		return -1;
	if (get_reply(s, &r, 0, "end of data") < 0) {
		snprintf(text, sizeof text, "%s: %s", s->peer,
		    "connection lost after the end of data; the message may have been delivered");
		set_accepted(s, 'Z', "4.4.2", text);
		s->summary = "lost after data";
		return 0;
	}
	said(s, &r, "end of data", text, sizeof text);
	smtp_reply_dsn(&r, dsn);
	set_accepted(s, r.code / 100 == 2 ? 'K' : r.code >= 500 ? 'D' : 'Z', dsn, text);
	s->summary = r.code / 100 == 2 ? "delivered" :
	    r.code >= 500 ? "refused after data" : "deferred after data";
	return 0;
}

static int
size_fits(struct sess *s)
{
	char text[JOB_TEXT_MAX + 1];

	if (!s->caps.size_max || s->d->size <= s->caps.size_max)
		return 1;
	snprintf(text, sizeof text, "%s: message of %lu bytes exceeds its limit of %lu",
	    s->peer, s->d->size, s->caps.size_max);
	set_pending(s, 'D', "5.3.4", text);
	s->summary = "message too big";
	return 0;
}

/* after the greeting: -1 next host, 1 retry without TLS, 0 done */
static int
dialogue(struct sess *s, int no_tls)
{
	struct delivery *d = s->d;
	int st;

	if (hello(s) < 0)
		return -1;
	st = starttls(s, no_tls);
	if (st)
		return st;
	if (authenticate(s) < 0)
		return -1;
	if (d->utf8addr && !s->caps.smtputf8) {
		char text[JOB_TEXT_MAX + 1];
		snprintf(text, sizeof text, "%s: does not offer SMTPUTF8, needed for a non-ASCII address",
		    s->peer);
		set_pending(s, 'D', "5.6.7", text);
		s->summary = "no SMTPUTF8";
		return 0;
	}
	if (!size_fits(s))
		return 0;
	st = envelope(s);
	if (st < 0)
		return -1;
	if (st > 0) {
		s->summary = "no recipient accepted";
		return 0;
	}
	return data(s);
}

static void
quit(struct sess *s)
{
	struct smtp_reply r;

	s->n.timeout = s->n.timeout > 5 ? 5 : s->n.timeout;
	if (send_line(s, "QUIT", 0, 0) == 0 && netio_flush(&s->n) == 0) {
		char line[LINE_MAX_IN];
		size_t len;
		smtp_reply_init(&r);
		while (netio_getline(&s->n, line, sizeof line, &len) == NETIO_OK &&
		    smtp_reply_feed(&r, line, len) == 0)
			;
	}
	netio_tls_shutdown(&s->n);
}

static void
log_attempt(struct sess *s, enum attempt a)
{
	struct delivery *d = s->d;
	char port[24], acc[24], tot[24];

	log_line("delivery ", d->j->qid, ": ", s->peer, ":",
	    ulong_str(port, s->t->port), " tls=", s->tls[0] ? s->tls : "none",
	    " accepted=", ulong_str(acc, s->naccepted), "/", ulong_str(tot, d->j->nrcpt),
	    ": ", a == ATTEMPT_DONE ? s->summary : d->lasterr, NULL);
}

enum attempt
smtp_attempt(struct delivery *d, const struct target *t, int no_tls)
{
	static struct sess s;
	struct smtp_reply r;
	enum attempt a = ATTEMPT_NEXT;
	char ip[48];
	int fd, st;

	memset(&s, 0, sizeof s);
	s.d = d;
	s.t = t;
	s.summary = "done";
	ip_format(&t->ip, ip);
	snprintf(s.peer, sizeof s.peer, "%s[%s]", t->host, ip);
	fd = tcp_connect(&t->ip, t->port, d->timeoutconnect);
	if (fd < 0) {
		fail_text(&s, "4.4.1", "cannot connect", strerror(errno));
		log_attempt(&s, a);
		return a;
	}
	netio_init(&s.n, fd, fd, d->timeout);
	if (get_reply(&s, &r, 0, "the greeting") == 0) {
		if (r.code / 100 != 2)
			fail_reply(&s, &r, "the greeting");
		else {
			st = dialogue(&s, no_tls);
			a = st == 0 ? ATTEMPT_DONE : st > 0 ? ATTEMPT_PLAIN : ATTEMPT_NEXT;
		}
		if (a != ATTEMPT_PLAIN && !s.broken)
			quit(&s);
	}
	if (s.n.ssl)
		netio_tls_shutdown(&s.n);
	close(fd);
	log_attempt(&s, a);
	return a;
}
