/*
 * smtpsess.c -- one outbound SMTP connection (remote.h smtp_attempt).
 *
 * Dialogue: greeting, EHLO (HELO if refused), STARTTLS whenever offered
 * (required with tls=verify, cafile= or tls=fingerprint:), AUTH to a
 * smarthost only over TLS whose certificate was verified for the route's
 * host or matched its pinned fingerprint (never to whoever answers), then
 * the mail transaction (smtptxn.c), QUIT.  Every reply, whole, must
 * arrive within timeoutremote (a peer trickling lines gains nothing).
 * The peer is hostile: replies are parsed by smtpreply, bounded in
 * length and number of lines, and only printable text is kept.
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
#include "logmsg.h"
#include "smtpsess.h"
#include "sysutil.h"
#include "tlsw.h"

/* "HOST[IP] said: 550 5.1.1 ... (in reply to WHAT)" */
void
sess_said(struct sess *s, const struct smtp_reply *r, const char *what,
    char *out, size_t max)
{
	snprintf(out, max, "%s said: %s (in reply to %s)", s->peer, r->text, what);
}

void
sess_fail_reply(struct sess *s, const struct smtp_reply *r, const char *what)
{
	char text[JOB_TEXT_MAX + 1], dsn[DSN_MAX];

	sess_said(s, r, what, text, sizeof text);
	smtp_reply_dsn(r, dsn);
	delivery_fail(s->d, r->code < 500, dsn, text);
}

void
sess_fail_text(struct sess *s, const char *dsn, const char *what, const char *detail)
{
	char text[JOB_TEXT_MAX + 1];

	snprintf(text, sizeof text, "%s: %s%s%s", s->peer, what,
	    detail ? ": " : "", detail ? detail : "");
	delivery_fail(s->d, 1, dsn, text);
}

/* read one reply; -1 on timeout, EOF or garbage (recorded as a failure) */
int
sess_get_reply(struct sess *s, struct smtp_reply *r, int ehlo, const char *what)
{
	static char line[LINE_MAX_IN];
	char why[128];
	size_t len;
	int st, fed;

	smtp_reply_init(r);
	if (ehlo)
		ehlo_caps_init(&s->caps);
	/* the whole reply, however many lines, within timeoutremote */
	netio_deadline(&s->n, now_ms() + s->n.timeout * 1000ULL);
	do {
		st = netio_getline(&s->n, line, sizeof line, &len);
		if (st != NETIO_OK) {
			netio_deadline(&s->n, 0);
			snprintf(why, sizeof why, "%s %s",
			    st == NETIO_TIMEOUT ? "timed out waiting for the reply to" :
			    st == NETIO_TOOLONG || st == NETIO_OVERFLOW ?
			    "sent an overlong line in reply to" :
			    "lost connection waiting for the reply to", what);
			sess_fail_text(s, "4.4.2", why, 0);
			s->broken = 1;
			return -1;
		}
		fed = smtp_reply_feed(r, line, len);
		if (fed < 0) {
			netio_deadline(&s->n, 0);
			snprintf(why, sizeof why, "malformed reply to %s", what);
			sess_fail_text(s, "4.5.0", why, 0);
			s->broken = 1;
			return -1;
		}
		if (ehlo && r->nlines > 1) {
			size_t clen = len - 1;	/* without the LF */

			if (clen && line[clen - 1] == '\r')
				clen--;
			if (clen > 4)
				ehlo_caps_line(&s->caps, line + 4, clen - 4);
		}
	} while (!fed);
	netio_deadline(&s->n, 0);
	return 0;
}

int
sess_send_line(struct sess *s, const char *a, const char *b, const char *c)
{
	netio_puts(&s->n, a);
	if (b)
		netio_puts(&s->n, b);
	if (c)
		netio_puts(&s->n, c);
	return netio_put(&s->n, "\r\n", 2);
}

/* a command and its reply; -1 on a transport failure */
int
sess_command(struct sess *s, const char *cmd, const char *arg,
    struct smtp_reply *r, int ehlo, const char *what)
{
	if (sess_send_line(s, cmd, arg, 0) < 0 || netio_flush(&s->n) < 0) {
		sess_fail_text(s, "4.4.2", "lost connection sending", what);
		s->broken = 1;
		return -1;
	}
	return sess_get_reply(s, r, ehlo, what);
}

static int
hello(struct sess *s)
{
	struct smtp_reply r;

	if (sess_command(s, "EHLO ", s->d->me, &r, 1, "EHLO") < 0)
		return -1;
	if (r.code / 100 == 2)
		return 0;
	ehlo_caps_init(&s->caps);
	if (sess_command(s, "HELO ", s->d->me, &r, 0, "HELO") < 0)
		return -1;
	if (r.code / 100 == 2)
		return 0;
	sess_fail_reply(s, &r, "HELO");
	return -1;
}

/* the name for SNI and verification: none for an IP address (RFC 6066
 * allows only host names; tls=verify then fails, as it must) */
static const char *
sni_name(const char *host)
{
	struct ipaddr ip;

	return ip_parse(host, strlen(host), &ip) ? "" : host;
}

/* the route pins the peer's certificate (tls=fingerprint:) */
static int
pinned(const struct delivery *d)
{
	return d->route && d->route->npin;
}

/* the certificate's SHA-256 is one the route pins: 1, else 0 */
static int
pin_matches(struct sess *s)
{
	const struct route *rt = s->d->route;
	unsigned char md[ROUTE_PIN_LEN];
	unsigned int i;

	if (tls_peer_sha256(s->n.ssl, md) < 0)
		return 0;
	for (i = 0; i < rt->npin; i++)
		if (!memcmp(md, rt->pin[i], sizeof md))
			return 1;
	return 0;
}

static SSL_CTX *
client_ctx(struct delivery *d, const char **err)
{
	const char *cafile = d->route && d->route->cafile[0] ? d->route->cafile : 0;

	if (!d->tls_ctx)
		d->tls_ctx = tls_client_ctx(d->tls_verify, cafile, err);
	return d->tls_ctx;
}

/* 0 TLS on (or not wanted), -1 next host, 1 retry without TLS */
static int
starttls(struct sess *s, int no_tls)
{
	struct delivery *d = s->d;
	struct smtp_reply r;
	const char *err = "";
	int required = d->tls_verify || pinned(d);

	if (!s->caps.starttls || no_tls) {
		if (!required)
			return 0;
		sess_fail_text(s, "4.7.4", "TLS is required but was not offered", 0);
		return -1;
	}
	if (sess_command(s, "STARTTLS", 0, &r, 0, "STARTTLS") < 0)
		return -1;
	if (r.code != 220) {
		if (!required)
			return 0;
		sess_fail_reply(s, &r, "STARTTLS");
		return -1;
	}
	if (netio_pending(&s->n)) {	/* plaintext injected ahead of TLS */
		sess_fail_text(s, "4.7.0", "sent data ahead of the TLS handshake", 0);
		return -1;
	}
	if (d->tls_verify && !*sni_name(s->t->host)) {
		/* netio would check the chain but no name: refuse */
		sess_fail_text(s, "4.7.5", "tls=verify needs a route to a host name", 0);
		return -1;
	}
	if (!client_ctx(d, &err)) {
		sess_fail_text(s, "4.7.5", "cannot set up TLS", err);
		return -1;
	}
	if (netio_starttls_client(&s->n, d->tls_ctx, sni_name(s->t->host),
	    d->tls_verify, &err) < 0) {
		sess_fail_text(s, "4.7.5", "TLS failed", err);
		return required ? -1 : 1;
	}
	tls_describe(s->n.ssl, s->tls, sizeof s->tls);
	if (pinned(d) && !pin_matches(s)) {
		sess_fail_text(s, "4.7.5", "TLS certificate does not match the route's tls=fingerprint", 0);
		return -1;
	}
	s->trusted = required;
	return hello(s);
}

static int
auth_login(struct sess *s, struct smtp_reply *r)
{
	static char b64[AUTH_B64_MAX];

	if (sess_command(s, "AUTH LOGIN", 0, r, 0, "AUTH") < 0)
		return -1;
	if (r->code != 334)
		return 0;
	if (!auth_b64(s->d->cred->user, b64) || sess_command(s, b64, 0, r, 0, "AUTH") < 0)
		return -1;
	if (r->code != 334)
		return 0;
	if (!auth_b64(s->d->cred->pass, b64) || sess_command(s, b64, 0, r, 0, "AUTH") < 0)
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
		sess_fail_text(s, "4.7.0", "not sending credentials without TLS", 0);
		return -1;
	}
	if (!s->trusted) {
		/* anyone on the path could present a certificate */
		sess_fail_text(s, "4.7.5", "not sending credentials: TLS certificate not verified",
		    "give the route tls=verify, cafile=/PATH or tls=fingerprint:SHA256");
		s->d->anytemp = 1;
		return -1;
	}
	if (s->caps.auth_plain) {
		auth_plain_response(s->d->cred, b64);
		st = sess_command(s, "AUTH PLAIN ", b64, &r, 0, "AUTH");
		memset(b64, 0, sizeof b64);
	} else if (s->caps.auth_login)
		st = auth_login(s, &r);
	else {
		sess_fail_text(s, "4.7.0", "offers no AUTH PLAIN or LOGIN", 0);
		return -1;
	}
	if (st < 0)
		return -1;
	if (r.code != 235) {
		sess_fail_reply(s, &r, "AUTH");
		s->d->anytemp = 1;	/* a login problem is the admin's to fix */
		return -1;
	}
	return 0;
}

/* the mail transaction on a ready session: -1 next host, 0 done */
static int
transaction(struct sess *s)
{
	int st;

	if (!sess_utf8_fits(s) || !sess_size_fits(s))
		return 0;
	st = sess_envelope(s);
	if (st < 0)
		return -1;
	if (st > 0) {
		s->summary = "no recipient accepted";
		return 0;
	}
	return sess_data(s);
}

/* after the greeting: -1 next host, 1 retry without TLS, 0 done */
static int
dialogue(struct sess *s, int no_tls)
{
	int st;

	if (hello(s) < 0)
		return -1;
	st = starttls(s, no_tls);
	if (st)
		return st;
	if (authenticate(s) < 0)
		return -1;
	return transaction(s);
}

static void
quit(struct sess *s)
{
	struct smtp_reply r;

	s->n.timeout = s->n.timeout > 5 ? 5 : s->n.timeout;
	if (sess_send_line(s, "QUIT", 0, 0) == 0 && netio_flush(&s->n) == 0) {
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
log_attempt(struct sess *s, enum attempt a, int reused)
{
	struct delivery *d = s->d;
	char port[24], acc[24], tot[24];

	log_line_qid(d->j->qid, "attempt relay=", s->peer, ":",
	    ulong_str(port, s->t->port), " tls=", s->tls[0] ? s->tls : "none",
	    reused ? " conn=reused" : "",
	    " accepted=", ulong_str(acc, s->naccepted), "/", ulong_str(tot, d->j->nrcpt),
	    ": ", a == ATTEMPT_DONE ? s->summary : d->lasterr, NULL);
}

/*
 * The kept connection.  The session struct s is both the one in use and
 * the one kept: a job either reuses it or closes it before it connects
 * anew.  What the connection was made under (the route's options, the
 * credentials, the HELO name, TLS left out after a failed handshake) is
 * kept with it and must be the same for a job to use it.
 */
#define REUSE_PROBE_S	10	/* seconds for the RSET of a kept connection */

static struct sess s;
static struct {
	int fd;				/* -1 nothing kept */
	char domain[256];		/* of the last job: the spawner's key */
	char host[PEER_MAX];
	struct target t;		/* t.host points to host */
	int no_tls;
	int has_route;
	struct route route;
	int has_cred;
	struct credentials cred;
	char me[256];
	unsigned long msgs;		/* messages sent over it */
	unsigned long long opened, idle_since;
	unsigned long cachetime;	/* seconds it may stay idle */
} cc = { .fd = -1 };

static void
cache_close(int polite)
{
	if (cc.fd < 0)
		return;
	if (polite && !s.broken) {
		s.n.timeout = 2;
		quit(&s);
	}
	if (s.n.ssl)
		netio_tls_shutdown(&s.n);
	close(cc.fd);
	cc.fd = -1;
	explicit_bzero(&cc.cred, sizeof cc.cred);
}

static int
route_same(const struct route *a, const struct route *b)
{
	return !strcasecmp(a->hp.host, b->hp.host) && a->hp.port == b->hp.port &&
	    a->tls_verify == b->tls_verify && !strcmp(a->cafile, b->cafile) &&
	    a->npin == b->npin &&
	    !memcmp(a->pin, b->pin, sizeof a->pin[0] * a->npin);
}

static int
policy_same(const struct delivery *d)
{
	if (!!d->route != cc.has_route || (d->route && !route_same(d->route, &cc.route)))
		return 0;
	if (!!d->cred != cc.has_cred || (d->cred &&
	    (strcmp(d->cred->user, cc.cred.user) || strcmp(d->cred->pass, cc.cred.pass))))
		return 0;
	return !strcmp(d->me, cc.me);
}

/* the connection may carry another message after this one */
static int
may_keep(const struct delivery *d, unsigned long msgs, unsigned long long opened)
{
	return d->cachetime && !s.broken && msgs < d->reusecount &&
	    now_ms() - opened < d->reusetime * 1000ULL &&
	    strlen(d->j->domain) < sizeof cc.domain && strlen(d->me) < sizeof cc.me;
}

static void
cache_keep(struct delivery *d, const struct target *t, int fd, int no_tls)
{
	size_t hl = strlen(t->host);

	if (hl >= sizeof cc.host) {
		cache_close(1);
		return;
	}
	cc.fd = fd;
	memcpy(cc.host, t->host, hl + 1);
	cc.t = *t;
	cc.t.host = cc.host;
	cc.no_tls = no_tls;
	cc.has_route = !!d->route;
	if (d->route)
		cc.route = *d->route;
	cc.has_cred = !!d->cred;
	if (d->cred)
		cc.cred = *d->cred;
	strcpy(cc.me, d->me);
	strcpy(cc.domain, d->j->domain);
	cc.msgs = 1;
	cc.opened = cc.idle_since = now_ms();
	cc.cachetime = d->cachetime;
	s.t = &cc.t;
}

/* the dialogue over a connected descriptor (closed here, or kept) */
enum attempt
smtp_attempt_fd(struct delivery *d, const struct target *t, int fd, int no_tls)
{
	struct smtp_reply r;
	enum attempt a = ATTEMPT_NEXT;
	char ip[48];
	int st, err = errno;	/* why the connection failed, when fd < 0 */

	cache_close(1);	/* (smtp_reuse has closed one that does not fit) */
	/* not a memset of the whole struct: its 32 KiB of netio buffers would
	 * all be faulted in */
	s.d = d;
	s.t = t;
	s.summary = "done";
	s.tls[0] = 0;
	s.naccepted = 0;
	s.broken = 0;
	s.trusted = 0;
	memset(&s.caps, 0, sizeof s.caps);
	memset(s.accepted, 0, sizeof s.accepted[0] * d->j->nrcpt);
	s.n.ssl = 0;
	ip_format(&t->ip, ip);
	snprintf(s.peer, sizeof s.peer, "%s[%s]", t->host, ip);
	if (fd < 0) {
		sess_fail_text(&s, "4.4.1", "cannot connect", strerror(err));
		log_attempt(&s, a, 0);
		return a;
	}
	netio_init(&s.n, fd, fd, d->timeout);
	if (sess_get_reply(&s, &r, 0, "the greeting") == 0) {
		if (r.code / 100 != 2)
			sess_fail_reply(&s, &r, "the greeting");
		else {
			st = dialogue(&s, no_tls);
			a = st == 0 ? ATTEMPT_DONE : st > 0 ? ATTEMPT_PLAIN : ATTEMPT_NEXT;
		}
		if (a == ATTEMPT_DONE && may_keep(d, 1, now_ms())) {
			log_attempt(&s, a, 0);
			cache_keep(d, t, fd, no_tls);
			return a;
		}
		if (a != ATTEMPT_PLAIN && !s.broken)
			quit(&s);
	}
	if (s.n.ssl)
		netio_tls_shutdown(&s.n);
	close(fd);
	log_attempt(&s, a, 0);
	return a;
}

enum attempt
smtp_attempt(struct delivery *d, const struct target *t, int no_tls)
{
	return smtp_attempt_fd(d, t,
	    tcp_connect(&t->ip, t->port, d->timeoutconnect), no_tls);
}

static int
target_is_kept(const struct target *t)
{
	return t->port == cc.t.port && t->ip.family == cc.t.ip.family &&
	    !memcmp(t->ip.a, cc.t.ip.a, sizeof t->ip.a) &&
	    !strcasecmp(t->host, cc.host);
}

int
smtp_reuse(struct delivery *d, const struct target *t, size_t n)
{
	struct smtp_reply r;
	enum attempt a;
	char lastdsn[DSN_MAX], lasterr[JOB_TEXT_MAX + 1];
	int anytemp = d->anytemp, st;
	size_t i;

	if (cc.fd < 0)
		return -1;
	for (i = 0; i < n && !strcasecmp(t[i].host, t[0].host); i++)
		if (target_is_kept(&t[i]))
			break;
	if (i == n || strcasecmp(t[i].host, t[0].host) || !policy_same(d) ||
	    !may_keep(d, cc.msgs, cc.opened) ||
	    now_ms() - cc.idle_since > d->cachetime * 1000ULL) {
		cache_close(1);
		return -1;
	}
	s.d = d;
	s.t = &t[i];
	s.summary = "done";
	s.naccepted = 0;
	memset(s.accepted, 0, sizeof s.accepted[0] * d->j->nrcpt);
	/* still there and in a clean state?  Not an attempt if not; and a
	 * peer gone silent (a dropped NAT entry) costs REUSE_PROBE_S, not
	 * timeoutremote */
	s.n.timeout = d->timeout < REUSE_PROBE_S ? d->timeout : REUSE_PROBE_S;
	smtp_reply_init(&r);
	memcpy(lastdsn, d->lastdsn, sizeof lastdsn);
	memcpy(lasterr, d->lasterr, sizeof lasterr);
	st = sess_command(&s, "RSET", 0, &r, 0, "RSET");
	s.n.timeout = d->timeout;
	if (st < 0 || r.code != 250) {
		log_line_qid(d->j->qid, "reuse relay=", s.peer,
		    " conn=stale: ", r.code ? r.text : d->lasterr, NULL);
		d->anytemp = anytemp;
		memcpy(d->lastdsn, lastdsn, sizeof lastdsn);
		memcpy(d->lasterr, lasterr, sizeof lasterr);
		cache_close(0);
		return -1;
	}
	a = transaction(&s) == 0 ? ATTEMPT_DONE : ATTEMPT_NEXT;
	cc.msgs++;
	log_attempt(&s, a, 1);
	if (a == ATTEMPT_DONE && may_keep(d, cc.msgs, cc.opened)) {
		strcpy(cc.domain, d->j->domain);
		cc.idle_since = now_ms();
		cc.cachetime = d->cachetime;
		s.t = &cc.t;
	} else
		cache_close(1);
	return (int)a;
}

const char *
conn_held(void)
{
	return cc.fd >= 0 ? cc.domain : "";
}

int
conn_held_fd(void)
{
	return cc.fd;
}

long
conn_tick(int stop)
{
	unsigned long long now = now_ms(), end;

	if (cc.fd < 0)
		return -1;
	end = cc.idle_since + cc.cachetime * 1000ULL;
	if (stop || now >= end) {
		cache_close(1);
		return -1;
	}
	return (long)(end - now);
}
