/*
 * front.c -- process A of sluice-pop3d: the only one that reads the
 * network.  Runs as sluiced (SLUICE_DROP), holds no key and no user
 * database: it speaks TLS, greets, answers CAPA and STLS, collects
 * USER/PASS or AUTH PLAIN and passes the credentials to the parent P,
 * which checks them and limits failures.  After a good login P hands it
 * a socket to the mailbox process B; A reads B's first reply and then
 * only relays bytes (relay.c).
 *
 * Input: commands on fd 0 (or TLS).  Output: replies on fd 1; log lines
 * on fd 2.  Ends the process on QUIT, EOF, timeout, a TLS failure, too
 * many bad commands or too many failed logins (P decides the last).
 */
#include <string.h>
#include <unistd.h>
#include <stdlib.h>

#include "packet.h"
#include "pop3d.h"
#include "netio.h"
#include "tlsw.h"
#include "logmsg.h"
#include "netaddr.h"

const char pop3_capa_common[] =
    "TOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\n"
    "IMPLEMENTATION sluice\r\n";

struct front {
	const struct pop3conf *cf;
	int ctl;
	struct netio *n;
	int tls;
	int have_user;
	char user[POP3_ARG_MAX + 1];
	unsigned long bad;
};

static struct netio client;
static struct netio mbox;

static void
put(struct front *f, const char *s)
{
	netio_puts(f->n, s);
}

static void
reply(struct front *f, const char *s)
{
	netio_puts(f->n, s);
	netio_puts(f->n, "\r\n");
}

static void bye(struct front *, int, const char *) __attribute__((noreturn));

/* the end of a connection that never logged in: one log line saying why
 * (after a login, the mailbox process logs the session instead) */
static void
bye(struct front *f, int code, const char *why)
{
	log_line("end ", f->cf->ip, " before login: ", why, (char *)0);
	netio_flush(f->n);
	netio_tls_shutdown(f->n);
	_exit(code);
}

static void
flush_or_die(struct front *f)
{
	if (netio_flush(f->n) < 0) {
		log_line("end ", f->cf->ip, " before login: write failed",
		    (char *)0);
		_exit(0);
	}
}

static int
loopback(const char *ip)
{
	struct ipaddr a;

	if (!ip || !ip_parse(ip, strlen(ip), &a))
		return 0;
	if (a.family == 4)
		return a.a[0] == 127;
	if (!memcmp(a.a, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16))
		return 1;
	return !memcmp(a.a, "\0\0\0\0\0\0\0\0\0\0\377\377", 12) &&
	    a.a[12] == 127;
}

/* USER/PASS and AUTH are allowed: over TLS, on loopback, or when the
 * administrator said so */
static int
plain_allowed(struct front *f)
{
	return f->tls || f->cf->plaintext || loopback(f->cf->ip);
}

static void
bad_command(struct front *f, const char *msg)
{
	reply(f, msg);
	if (++f->bad >= f->cf->maxbad) {
		reply(f, "-ERR too many bad commands, closing");
		bye(f, 0, "too many bad commands");
	}
}

static void
do_capa(struct front *f)
{
	put(f, "+OK capability list follows\r\n");
	put(f, pop3_capa_common);
	if (plain_allowed(f))
		put(f, "USER\r\nSASL PLAIN\r\n");
	if (f->cf->ctx && !f->tls)
		put(f, "STLS\r\n");
	put(f, ".\r\n");
}

static void
do_stls(struct front *f)
{
	const char *err = "";
	char desc[128];

	if (f->tls || !f->cf->ctx) {
		bad_command(f, "-ERR STLS not available");
		return;
	}
	reply(f, "+OK begin TLS negotiation");
	flush_or_die(f);
	/* netio throws away plaintext the client sent ahead (RFC 2595 4) */
	if (netio_starttls_server(f->n, f->cf->ctx, &err) < 0) {
		log_line("end ", f->cf->ip, " before login: STLS failed: ", err,
		    (char *)0);
		_exit(0);
	}
	f->tls = 1;
	f->have_user = 0;
	tls_describe(f->n->ssl, desc, sizeof desc);
	log_line("stls ", f->cf->ip, " ", desc, (char *)0);
}

/* the mailbox process answered; relay from now on, or report why not */
static void
mailbox_start(struct front *f, int fd)
{
	char line[512];
	size_t len;
	int r;

	netio_init(&mbox, fd, fd, (unsigned int)f->cf->timeout);
	r = netio_getline(&mbox, line, sizeof line - 1, &len);
	if (r != NETIO_OK || len < 3) {
		close(fd);
		reply(f, "-ERR [SYS/TEMP] mailbox unavailable, try later");
		return;
	}
	netio_put(f->n, line, len);
	if (memcmp(line, "+OK", 3) != 0) {
		close(fd);		/* [IN-USE] or [SYS/...]: B is gone */
		return;
	}
	flush_or_die(f);
	relay_run(f->n, fd, f->cf->timeout);
}

static void
login(struct front *f, const char *user, const char *pass)
{
	char msg[CTL_MSG_MAX];
	size_t ul = strlen(user), pl = strlen(pass);
	ssize_t r;
	int fd = -1;
	char answer;

	msg[0] = 'A';
	memcpy(msg + 1, user, ul + 1);
	memcpy(msg + 2 + ul, pass, pl + 1);
	flush_or_die(f);
	if (packet_send(f->ctl, msg, 3 + ul + pl, -1) < 0)
		r = -1;
	else
		r = packet_recv(f->ctl, msg, sizeof msg, &fd);
	answer = msg[0];
	explicit_bzero(msg, sizeof msg);
	f->have_user = 0;
	if (r != 1) {
		if (fd >= 0)
			close(fd);
		reply(f, "-ERR [SYS/TEMP] internal error, try later");
		bye(f, 111, "no answer from the parent");
	}
	switch (answer) {
	case CTL_OK:
		if (fd >= 0) {
			mailbox_start(f, fd);
			return;
		}
		reply(f, "-ERR [SYS/TEMP] internal error, try later");
		return;
	case CTL_TEMP:
		reply(f, "-ERR [SYS/TEMP] temporary failure, try later");
		return;
	case CTL_LIMIT:
		reply(f, "-ERR [AUTH] authentication failed, closing");
		bye(f, 0, "too many failed logins");
	default:
		reply(f, "-ERR [AUTH] authentication failed");
		return;
	}
}

static void
do_user(struct front *f, const struct pop3_cmd *c)
{
	if (!plain_allowed(f)) {
		reply(f, "-ERR [AUTH] plaintext login not allowed: STLS first");
		return;
	}
	memcpy(f->user, c->arg, c->arglen);
	f->user[c->arglen] = 0;
	f->have_user = 1;
	reply(f, "+OK send PASS");
}

static void
do_pass(struct front *f, const struct pop3_cmd *c)
{
	char pass[POP3_ARG_MAX + 1];

	if (!f->have_user) {
		bad_command(f, "-ERR USER first");
		return;
	}
	memcpy(pass, c->arg, c->arglen);
	pass[c->arglen] = 0;
	login(f, f->user, pass);
	explicit_bzero(pass, sizeof pass);
}

static int
is_plain(const struct pop3_cmd *c)
{
	return c->arglen == 5 && strncasecmp(c->arg, "PLAIN", 5) == 0;
}

/* read the continuation of AUTH PLAIN after "+ ": 1 got it, 0 not */
static int
auth_continue(struct front *f, char *line, size_t max, size_t *len)
{
	put(f, "+ \r\n");
	flush_or_die(f);
	switch (netio_getline(f->n, line, max, len)) {
	case NETIO_OK:
		break;
	case NETIO_TOOLONG:
		bad_command(f, "-ERR line too long");
		return 0;
	case NETIO_TIMEOUT:
		bye(f, 0, "timeout");
	default:
		bye(f, 0, "connection closed");
	}
	while (*len > 0 && (line[*len - 1] == '\n' || line[*len - 1] == '\r'))
		(*len)--;
	if (*len == 1 && line[0] == '*') {
		reply(f, "-ERR AUTH cancelled");
		return 0;
	}
	return 1;
}

static void
do_auth(struct front *f, const struct pop3_cmd *c)
{
	char line[POP3_LINE_MAX + 2];
	char user[POP3_ARG_MAX + 1], pass[POP3_ARG_MAX + 1];
	const char *resp = c->arg2;
	size_t rlen = c->arg2len;

	if (c->nargs == 0) {
		put(f, "+OK mechanisms follow\r\n");
		put(f, plain_allowed(f) ? "PLAIN\r\n.\r\n" : ".\r\n");
		return;
	}
	if (!is_plain(c)) {
		bad_command(f, "-ERR unsupported mechanism");
		return;
	}
	if (!plain_allowed(f)) {
		reply(f, "-ERR [AUTH] plaintext login not allowed: STLS first");
		return;
	}
	if (c->nargs == 1) {
		if (!auth_continue(f, line, sizeof line, &rlen))
			return;
		resp = line;
	}
	if (rlen == 1 && resp[0] == '=')
		rlen = 0;	/* empty initial response */
	if (!pop3_plain_decode(resp, rlen, user, pass)) {
		bad_command(f, "-ERR malformed AUTH PLAIN response");
		explicit_bzero(line, sizeof line);
		return;
	}
	explicit_bzero(line, sizeof line);
	login(f, user, pass);
	explicit_bzero(pass, sizeof pass);
}

static void
dispatch(struct front *f, const char *line, size_t len)
{
	struct pop3_cmd c;

	switch (pop3_parse(line, len, POP3_ST_AUTH, &c)) {
	case PARSE_EMPTY:
	case PARSE_UNKNOWN:
		bad_command(f, "-ERR unknown command");
		return;
	case PARSE_BADARG:
		bad_command(f, "-ERR bad arguments");
		return;
	case PARSE_STATE:
		bad_command(f, "-ERR not valid before login");
		return;
	}
	switch (c.id) {
	case CMD_CAPA: do_capa(f); break;
	case CMD_STLS: do_stls(f); break;
	case CMD_USER: do_user(f, &c); break;
	case CMD_PASS: do_pass(f, &c); break;
	case CMD_AUTH: do_auth(f, &c); break;
	case CMD_APOP: bad_command(f, "-ERR APOP not supported"); break;
	case CMD_QUIT:
		reply(f, "+OK bye");
		bye(f, 0, "quit");
	default:
		bad_command(f, "-ERR not valid before login");
		break;
	}
}

void
front_run(const struct pop3conf *cf, int ctl)
{
	struct front f;
	char line[POP3_LINE_MAX + 2];
	const char *err = "";
	size_t len;
	int r;

	memset(&f, 0, sizeof f);
	f.cf = cf;
	f.ctl = ctl;
	f.n = &client;
	netio_init(&client, 0, 1, (unsigned int)cf->timeout);
	if (cf->implicit_tls) {
		if (netio_starttls_server(&client, cf->ctx, &err) < 0) {
			log_line("end ", cf->ip, " before login: TLS failed: ",
			    err, (char *)0);
			_exit(0);
		}
		f.tls = 1;
	}
	put(&f, "+OK ");
	put(&f, cf->me);
	put(&f, " POP3 ready\r\n");
	for (;;) {
		if (netio_pending(&client) == 0)
			flush_or_die(&f);
		r = netio_getline(&client, line, sizeof line, &len);
		if (r == NETIO_TOOLONG) {
			bad_command(&f, "-ERR line too long");
			continue;
		}
		if (r == NETIO_TIMEOUT)
			bye(&f, 0, "timeout");
		if (r != NETIO_OK)
			bye(&f, 0, "connection closed");
		while (len > 0 && (line[len - 1] == '\n' ||
		    line[len - 1] == '\r'))
			len--;
		dispatch(&f, line, len);
		explicit_bzero(line, sizeof line);
	}
}
