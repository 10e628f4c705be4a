/*
 * checkpw.c -- sluice-checkpassword: Dovecot's checkpassword program for
 * sluice's users, so IMAP (and webmail, which logs in over IMAP) accepts
 * exactly the passwords that SMTP AUTH and POP3 accept.
 *
 *   sluice-checkpassword REPLY-PROGRAM      (run by Dovecot's auth process)
 *
 * Runs as Dovecot's auth service user of this instance (dovecot, with the
 * supplementary group sluice in a root instance; the caller in a
 * development instance).  It reads ROOT/users/users.cdb ($SLUICE_ROOT) and
 * the credentials on fd 3 (cpw.h), and touches nothing else.
 *
 * A good login: sets USER, HOME (ROOT/mail/DOMAIN/USER), userdb_uid,
 * userdb_gid, userdb_quota_rule (when the user has a quota) and EXTRA
 * naming them, then execs REPLY-PROGRAM (Dovecot's checkpassword-reply),
 * which hands them to Dovecot.  A user that does not exist costs one hash
 * computation like a wrong password, and both exit 1 ("login failed"), so
 * a client cannot tell them apart; a disabled login ("!" hash) too.
 * Exit 111: users.cdb unreadable or a bad entry (temporary failure).
 * Every failure is logged to stderr (Dovecot's log) with the client IP
 * Dovecot gives in TCPREMOTEIP.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpw.h"
#include "exitcodes.h"
#include "logmsg.h"
#include "sysutil.h"
#include "userdb.h"

#define INPUT_TIMEOUT_MS 10000
#define EXIT_BADPASS 1

/* fd 3 to EOF, bounded in size and time; length or -1 */
static ssize_t
input_read(char *buf, size_t max)
{
	unsigned long long deadline = now_ms() + INPUT_TIMEOUT_MS;
	size_t got = 0;
	struct pollfd p;
	ssize_t r;

	for (;;) {
		unsigned long long now = now_ms();

		if (now >= deadline || got >= max)
			return -1;
		p.fd = 3;
		p.events = POLLIN;
		if (poll(&p, 1, (int)(deadline - now)) < 0 && errno != EINTR)
			return -1;
		r = read(3, buf + got, max - got);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			return (ssize_t)got;
		got += (size_t)r;
	}
}

static const char *
client_ip(void)
{
	const char *ip = getenv("TCPREMOTEIP");

	return ip && *ip ? ip : "unknown";
}

static void __attribute__((noreturn))
refuse(const char *user, size_t len, const char *why)
{
	char prefix[128];

	snprintf(prefix, sizeof prefix, "authfail %s ", client_ip());
	log_lineb(prefix, user, len, why);
	_exit(EXIT_BADPASS);
}

static void
env_set(const char *name, const char *value)
{
	if (setenv(name, value, 1) < 0)
		fatal_nomem(EX_SL_TEMP);
}

static void __attribute__((noreturn))
reply(char **argv, const char *user, const struct user *u)
{
	char num[21], rule[64];

	env_set("USER", user);
	env_set("HOME", u->home);
	env_set("userdb_uid", ulong_str(num, u->uid));
	env_set("userdb_gid", ulong_str(num, u->gid));
	if (u->quota) {
		snprintf(rule, sizeof rule, "*:storage=%luB", u->quota);
		env_set("userdb_quota_rule", rule);
		env_set("EXTRA", "userdb_uid userdb_gid userdb_quota_rule");
	} else {
		env_set("EXTRA", "userdb_uid userdb_gid");
	}
	execv(argv[1], argv + 1);
	fatal_sys(EX_SL_TEMP, "unable to run ", argv[1], (char *)0);
}

int
main(int argc, char **argv)
{
	char buf[CPW_INPUT_MAX + 1], key[CPW_USER_MAX + 1];
	struct cpw_input in;
	struct user u;
	ssize_t n;
	size_t i;
	int r;

	log_init("sluice-checkpassword");
	if (argc < 2)
		fatal(EX_SL_TEMP, "usage: sluice-checkpassword REPLY-PROGRAM "
		    "(run by Dovecot)", (char *)0);
	n = input_read(buf, sizeof buf);
	if (n < 0 || !cpw_parse(buf, (size_t)n, &in))
		fatal(EX_SL_TEMP, "bad input on fd 3 from ", client_ip(),
		    (char *)0);
	close(3);
	for (i = 0; i <= in.userlen; i++)
		key[i] = (in.user[i] >= 'A' && in.user[i] <= 'Z') ?
		    (char)(in.user[i] - 'A' + 'a') : in.user[i];
	r = user_get(key, in.userlen, &u);
	if (r < 0)
		fatal_sys(EX_SL_TEMP, "authtemp ", client_ip(), " ", key,
		    " cannot read users.cdb", (char *)0);
	/* an unknown user and a disabled login cost the same as a real
	 * check (password_check with NULL or "!") */
	if (!password_check(r ? u.hash : NULL, in.pass) || !in.passlen)
		refuse(key, in.userlen, r == 0 ? " unknown user" :
		    u.hash[0] == '!' ? " login disabled" : " wrong password");
	explicit_bzero(buf, sizeof buf);
	if (u.uid == 0 || u.gid == 0)
		fatal(EX_SL_TEMP, "authtemp ", client_ip(), " ", key,
		    " uid or gid 0 in users.cdb", (char *)0);
	if (u.home[0] != '/')
		fatal(EX_SL_TEMP, "authtemp ", client_ip(), " ", key,
		    " bad home in users.cdb", (char *)0);
	reply(argv, key, &u);
}
