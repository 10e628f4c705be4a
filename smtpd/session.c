/*
 * session.c -- the command loop of sluice-smtpd and the one table of
 * commands with their handlers and the states they are allowed in; the
 * greeting, HELO/EHLO, STARTTLS and the small commands live here too.
 *
 * Replies are gathered in netio's output buffer and flushed only when no
 * more client input is buffered (PIPELINING, RFC 2920) or before we wait.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "abuse.h"
#include "logmsg.h"
#include "received.h"
#include "smtpcmd.h"
#include "smtpd.h"
#include "tlsload.h"
#include "tlsw.h"

typedef void (*cmd_fn)(struct smtpd *, const char *, size_t);

static void cmd_helo(struct smtpd *, const char *, size_t);
static void cmd_ehlo(struct smtpd *, const char *, size_t);
static void cmd_rset(struct smtpd *, const char *, size_t);
static void cmd_noop(struct smtpd *, const char *, size_t);
static void cmd_quit(struct smtpd *, const char *, size_t);
static void cmd_vrfy(struct smtpd *, const char *, size_t);
static void cmd_expn(struct smtpd *, const char *, size_t);
static void cmd_help(struct smtpd *, const char *, size_t);
static void cmd_starttls(struct smtpd *, const char *, size_t);

static const struct command {
	enum smtp_verb verb;
	int states;		/* where it is allowed; others get 503 */
	cmd_fn fn;
} commands[] = {
	{ V_EHLO, ST_ANY, cmd_ehlo },
	{ V_HELO, ST_ANY, cmd_helo },
	{ V_MAIL, ST_READY, cmd_mail },
	{ V_RCPT, ST_MAIL | ST_RCPT, cmd_rcpt },
	{ V_DATA, ST_MAIL | ST_RCPT, cmd_data },
	{ V_BDAT, ST_ANY, cmd_bdat },	/* reads its chunk in every state */
	{ V_RSET, ST_ANY, cmd_rset },
	{ V_NOOP, ST_ANY, cmd_noop },
	{ V_QUIT, ST_ANY, cmd_quit },
	{ V_VRFY, ST_ANY, cmd_vrfy },
	{ V_EXPN, ST_ANY, cmd_expn },
	{ V_HELP, ST_ANY, cmd_help },
	{ V_STARTTLS, ST_INIT | ST_READY, cmd_starttls },
	{ V_AUTH, ST_READY, cmd_auth },
	{ V_UNKNOWN, 0, 0 }
};

#define JUNK_MAX 100

static char line[SMTP_LINE_MAX];

void
reply(struct smtpd *s, const char *text)
{
	netio_puts(&s->io, text);
	netio_put(&s->io, "\r\n", 2);
}

void
hang_up(struct smtpd *s, const char *text, const char *why)
{
	reply(s, text);
	s->quit = 1;
	s->end = why;
}

void
reply_bad(struct smtpd *s, const char *text)
{
	reply(s, text);
	if (++s->badcmds >= s->lim.maxbad)
		hang_up(s, "421 4.7.0 Too many errors; closing connection",
		    "too many bad commands");
}

static int
no_argument(struct smtpd *s, size_t len)
{
	if (!len)
		return 1;
	reply_bad(s, "501 5.5.4 Syntax error: no parameters allowed");
	return 0;
}

static void
do_helo(struct smtpd *s, const char *arg, size_t len, int esmtp)
{
	const char *ext[12];
	char sizeline[40], first[300], n[21];
	size_t i, next = 0;

	if (!len || memchr(arg, ' ', len)) {
		reply_bad(s, esmtp ? "501 5.5.4 Syntax: EHLO hostname" :
		    "501 5.5.4 Syntax: HELO hostname");
		return;
	}
	received_sanitize(s->helo, sizeof s->helo, arg, len);
	s->esmtp = esmtp;
	txn_reset(s);
	s->state = ST_READY;
	if (!esmtp) {
		netio_puts(&s->io, "250 ");
		reply(s, s->me);
		return;
	}
	strcpy(sizeline, "SIZE ");
	strcat(sizeline, ulong_str(n, s->lim.databytes));
	ext[next++] = "PIPELINING";
	ext[next++] = sizeline;
	ext[next++] = "8BITMIME";
	ext[next++] = "ENHANCEDSTATUSCODES";
	ext[next++] = "SMTPUTF8";
	ext[next++] = "CHUNKING";
	if (s->tls_offer && !s->tls)
		ext[next++] = "STARTTLS";
	if (s->tls)
		ext[next++] = "AUTH PLAIN LOGIN";
	ext[next++] = "HELP";
	strcpy(first, "250-");
	strcat(first, s->me);
	reply(s, first);
	for (i = 0; i < next; i++) {
		netio_puts(&s->io, i + 1 < next ? "250-" : "250 ");
		reply(s, ext[i]);
	}
}

static void
cmd_helo(struct smtpd *s, const char *arg, size_t len)
{
	do_helo(s, arg, len, 0);
}

static void
cmd_ehlo(struct smtpd *s, const char *arg, size_t len)
{
	do_helo(s, arg, len, 1);
}

/* NOOP, RSET, VRFY, HELP cost nothing but keep a connection open: past
 * JUNK_MAX of them each one counts as a bad command */
static void
reply_junk(struct smtpd *s, const char *text)
{
	if (++s->junk > JUNK_MAX)
		reply_bad(s, text);
	else
		reply(s, text);
}

static void
cmd_rset(struct smtpd *s, const char *arg, size_t len)
{
	if (!no_argument(s, len))
		return;
	txn_reset(s);
	if (s->state != ST_INIT)
		s->state = ST_READY;
	reply_junk(s, "250 2.0.0 Ok");
}

static void
cmd_noop(struct smtpd *s, const char *arg, size_t len)
{
	reply_junk(s, "250 2.0.0 Ok");
}

static void
cmd_quit(struct smtpd *s, const char *arg, size_t len)
{
	netio_puts(&s->io, "221 2.0.0 ");
	netio_puts(&s->io, s->me);
	reply(s, " closing connection");
	s->quit = 1;
	s->end = "quit";
}

static void
cmd_vrfy(struct smtpd *s, const char *arg, size_t len)
{
	reply_junk(s, "252 2.5.2 Cannot VRFY user, but will accept message and attempt delivery");
}

static void
cmd_expn(struct smtpd *s, const char *arg, size_t len)
{
	reply(s, "502 5.5.1 EXPN not available");
}

static void
cmd_help(struct smtpd *s, const char *arg, size_t len)
{
	reply_junk(s, "214 2.0.0 sluice-smtpd: see RFC 5321");
}

static void
cmd_starttls(struct smtpd *s, const char *arg, size_t len)
{
	SSL_CTX *ctx;
	const char *err;
	size_t ahead;
	char n[21];

	if (s->tls) {
		reply_bad(s, "503 5.5.1 TLS already active");
		return;
	}
	if (!no_argument(s, len))
		return;
	ctx = s->tls_offer ? tlsload_ctx(&err) : 0;
	if (!ctx) {
		if (s->tls_offer)
			log_line("TLS not available: ", err, NULL);
		reply(s, "454 4.7.0 TLS not available");
		return;
	}
	ahead = netio_pending(&s->io);
	if (ahead)	/* CVE-2011-0411: never act on plaintext sent ahead */
		log_line("discarding ", ulong_str(n, ahead),
		    " octets pipelined after STARTTLS from ", s->ip, NULL);
	reply(s, "220 2.0.0 Ready to start TLS");
	if (netio_starttls_server(&s->io, ctx, &err) < 0) {
		log_line("STARTTLS failed from ", s->ip, ": ", err, NULL);
		s->quit = 1;
		s->end = "TLS handshake failed";
		return;
	}
	s->tls = 1;
	tls_describe(s->io.ssl, s->tlsinfo, sizeof s->tlsinfo);
	/* RFC 3207 4.2: forget everything learned before TLS */
	txn_reset(s);
	s->helo[0] = 0;
	s->esmtp = 0;
	s->state = ST_INIT;
}

static void
wrong_state(struct smtpd *s, enum smtp_verb verb)
{
	if (s->state == ST_INIT)
		reply_bad(s, "503 5.5.1 Send HELO/EHLO first");
	else if (verb == V_RCPT)
		reply_bad(s, "503 5.5.1 Need MAIL before RCPT");
	else if (verb == V_DATA)
		reply_bad(s, "503 5.5.1 Need RCPT before DATA");
	else
		reply_bad(s, "503 5.5.1 Bad sequence of commands");
}

static void
dispatch(struct smtpd *s, const char *l, size_t len)
{
	struct smtp_line sl;
	const struct command *c;

	switch (smtp_line_parse(l, len, &sl)) {
	case SP_OK:
		break;
	case SP_BADCHAR:
		reply_bad(s, "500 5.5.2 Control character in command");
		return;
	default:
		reply_bad(s, "500 5.5.2 Syntax error, command unrecognized");
		return;
	}
	if (sl.verb == V_FORBIDDEN) {
		log_lineb("not SMTP, hanging up: ", l, len > 64 ? 64 : len, 0);
		hang_up(s, "421 4.7.0 This is an SMTP server", "not SMTP");
		return;
	}
	for (c = commands; c->fn; c++)
		if (c->verb == sl.verb)
			break;
	if (!c->fn) {
		reply_bad(s, "500 5.5.1 Command unrecognized");
		return;
	}
	if (!(c->states & s->state)) {
		wrong_state(s, sl.verb);
		return;
	}
	c->fn(s, sl.arg, sl.arglen);
}

/* wait a moment before the banner: a client that talks first is not
 * a mail server that waits for the greeting (RFC 5321 3.1).  Returns 1
 * when the session is over (an early talker, or a client already gone). */
static int
early_talker(struct smtpd *s)
{
	unsigned long ms = s->mode == MODE_MX && !s->greetpass ?
	    s->lim.greetdelay : 0;
	char c;
	ssize_t r;

	if (s->mode == MODE_LOCAL)	/* a script may pipe a whole session */
		return 0;
	if (s->io.ssl)		/* smtps: only data that came with the handshake */
		r = netio_pending(&s->io) ? 1 : 0;
	else if (netio_wait_input(&s->io, (int)ms) <= 0)
		r = 0;
	else {
		r = recv(s->io.rfd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
		if (r == 0 || (r < 0 && errno != ENOTSOCK && errno != EAGAIN)) {
			s->quit = 1;
			s->end = "eof before the greeting";
			return 1;
		}
		if (r < 0 && errno == EAGAIN)
			r = 0;
	}
	if (!r) {
		if (ms)
			limits_greet_passed(s);
		return 0;
	}
	log_line("early talker from ", s->ip, NULL);
	hang_up(s, "554 5.5.0 SMTP protocol violation: input before the greeting",
	    "early talker");
	return 1;
}

void
session_commands(struct smtpd *s)
{
	size_t len;
	int r;

	while (!s->quit) {
		if (!netio_pending(&s->io) && netio_flush(&s->io) < 0) {
			s->end = "write error";
			break;
		}
		r = netio_getline(&s->io, line, sizeof line, &len);
		if (r == NETIO_OK) {
			dispatch(s, line, len);
			explicit_bzero(line, len);	/* AUTH responses */
		} else if (r == NETIO_TOOLONG)
			reply_bad(s, "500 5.5.2 Line too long");
		else if (r == NETIO_OVERFLOW)
			hang_up(s, "500 5.5.2 Line too long; closing connection",
			    "line too long");
		else if (r == NETIO_TIMEOUT)
			hang_up(s, "421 4.4.2 Timeout; closing connection",
			    "timeout");
		else {
			s->end = r == NETIO_EOF ? "eof" : "read error";
			break;
		}
	}
	netio_flush(&s->io);
}

void
session_run(struct smtpd *s)
{
	s->state = ST_INIT;
	if (!limits_connect(s) && !early_talker(s)) {
		netio_puts(&s->io, "220 ");
		netio_puts(&s->io, s->me);
		reply(s, " ESMTP sluice");
	}
	session_commands(s);
}
