/*
 * auth.c -- AUTH PLAIN and LOGIN (RFC 4954) against users.cdb.
 *
 * Offered and accepted only under TLS.  A failed login is answered only
 * after authfaildelay seconds, and after maxauthfailures failures the
 * connection is closed.  Passwords are wiped from memory after the check.
 * An unknown login costs the same crypt(3) work as a known one with a
 * wrong password (password_check with NULL), so timing tells nobody who
 * exists.
 * The login name is the address key of users.cdb (lower-cased).
 */
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "abuse.h"
#include "logmsg.h"
#include "sasl.h"
#include "smtpcmd.h"
#include "smtpd.h"
#include "userdb.h"

#define AUTH_LINE_MAX SMTP_LINE_MAX
#define DECODED_MAX 1024

enum { AUTH_OK, AUTH_FAIL, AUTH_CANCEL, AUTH_BROKEN };

static char aline[AUTH_LINE_MAX];
static char decoded[DECODED_MAX];

/* Ask with a 334 challenge and read the base64 answer, decoded.
 * Returns the decoded length or -1 (reply already given or hung up). */
static long
challenge(struct smtpd *s, const char *prompt)
{
	size_t len;
	long d;
	int r;

	netio_puts(&s->io, "334 ");
	reply(s, prompt);
	if (netio_flush(&s->io) < 0) {
		s->quit = 1;
		s->end = "write error";
		return -1;
	}
	r = netio_getline(&s->io, aline, sizeof aline, &len);
	if (r == NETIO_TOOLONG) {
		reply_bad(s, "500 5.5.6 Authentication exchange line is too long");
		return -1;
	}
	if (r == NETIO_OVERFLOW) {
		hang_up(s, "500 5.5.6 Authentication exchange line is too long; closing connection",
		    "line too long");
		return -1;
	}
	if (r == NETIO_TIMEOUT) {
		hang_up(s, "421 4.4.2 Timeout; closing connection", "timeout");
		return -1;
	}
	if (r != NETIO_OK) {
		s->quit = 1;
		s->end = "eof in AUTH";
		return -1;
	}
	while (len && (aline[len - 1] == '\n' || aline[len - 1] == '\r'))
		len--;
	if (len == 1 && aline[0] == '*') {
		reply(s, "501 5.0.0 Authentication cancelled");
		return -1;
	}
	d = sasl_b64decode(aline, len, decoded, sizeof decoded);
	explicit_bzero(aline, len);
	if (d < 0)
		reply_bad(s, "501 5.5.2 Cannot decode the response");
	return d;
}

/* the initial response of the AUTH line, decoded; "=" is empty */
static long
initial(struct smtpd *s, const char *ir, size_t len)
{
	long d;

	if (len == 1 && ir[0] == '=')
		return 0;
	d = sasl_b64decode(ir, len, decoded, sizeof decoded);
	if (d < 0)
		reply_bad(s, "501 5.5.2 Cannot decode the response");
	return d;
}

static int
check_login(struct smtpd *s, char *user, const char *pass)
{
	struct user u;
	size_t i, len = strlen(user);
	int r;

	for (i = 0; i < len; i++)
		if (user[i] >= 'A' && user[i] <= 'Z')
			user[i] = (char)(user[i] + 32);
	r = user_get(user, len, &u);
	if (r < 0) {
		log_line_sys("users.cdb lookup failed", NULL);
		reply(s, "454 4.7.0 Temporary authentication failure");
		return AUTH_BROKEN;
	}
	/* an unknown user costs what a wrong password costs */
	r = password_check(r == 1 ? u.hash : NULL, pass);
	explicit_bzero(&u, sizeof u);
	return r ? AUTH_OK : AUTH_FAIL;
}

static int
auth_plain(struct smtpd *s, const char *ir, size_t irlen, char *user,
    char *pass)
{
	long d = irlen ? initial(s, ir, irlen) : challenge(s, "");

	if (d < 0)
		return AUTH_CANCEL;
	d = sasl_plain_split(decoded, (size_t)d, user, pass);
	explicit_bzero(decoded, sizeof decoded);
	return d ? AUTH_OK : AUTH_FAIL;
}

static int
auth_login(struct smtpd *s, const char *ir, size_t irlen, char *user,
    char *pass)
{
	long d = irlen ? initial(s, ir, irlen) : challenge(s, "VXNlcm5hbWU6");

	if (d < 0)
		return AUTH_CANCEL;
	if (!sasl_field(decoded, (size_t)d, user, SASL_USER_MAX, 0))
		return AUTH_FAIL;
	d = challenge(s, "UGFzc3dvcmQ6");
	if (d < 0)
		return AUTH_CANCEL;
	d = sasl_field(decoded, (size_t)d, pass, SASL_PASS_MAX, 0);
	explicit_bzero(decoded, sizeof decoded);
	return d ? AUTH_OK : AUTH_FAIL;
}

static void
auth_failed(struct smtpd *s, const char *user)
{
	log_line("auth failed ip=", s->ip, " user=", user, NULL);
	limits_auth_failed(s);
	if (netio_flush(&s->io) < 0)
		return;
	if (s->lim.authdelay)
		sleep((unsigned int)s->lim.authdelay);
	if (++s->authfail >= s->lim.maxauthfail)
		hang_up(s, "421 4.7.0 Too many failed logins; closing connection",
		    "too many failed logins");
	else
		reply(s, "535 5.7.8 Authentication credentials invalid");
}

void
cmd_auth(struct smtpd *s, const char *arg, size_t len)
{
	char user[SASL_USER_MAX + 1], pass[SASL_PASS_MAX + 1];
	size_t mlen = 0, irstart;
	int r;

	if (!s->tls) {
		reply_bad(s, "538 5.7.11 Encryption required for requested authentication mechanism");
		return;
	}
	if (s->authed) {
		reply_bad(s, "503 5.5.1 Already authenticated");
		return;
	}
	if (limits_auth_blocked(s))
		return;
	while (mlen < len && arg[mlen] != ' ')
		mlen++;
	irstart = mlen;
	while (irstart < len && arg[irstart] == ' ')
		irstart++;
	user[0] = pass[0] = 0;
	if (mlen == 5 && !strncasecmp(arg, "PLAIN", 5))
		r = auth_plain(s, arg + irstart, len - irstart, user, pass);
	else if (mlen == 5 && !strncasecmp(arg, "LOGIN", 5))
		r = auth_login(s, arg + irstart, len - irstart, user, pass);
	else {
		reply_bad(s, "504 5.5.4 Unrecognized authentication type");
		return;
	}
	if (r == AUTH_OK)
		r = check_login(s, user, pass);
	explicit_bzero(pass, sizeof pass);
	if (r == AUTH_OK) {
		s->authed = 1;
		strcpy(s->authuser, user);
		log_line("auth ok ip=", s->ip, " user=", user, NULL);
		reply(s, "235 2.7.0 Authentication successful");
	} else if (r == AUTH_FAIL)
		auth_failed(s, user);
}
