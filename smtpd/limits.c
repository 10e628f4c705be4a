/*
 * limits.c -- sluice-smtpd's limits that hold across connections
 * (DESIGN.md "Sending rules and limits"), counted by sluice-anvil:
 *   maxconnip      connections at once from one IP on port 25: 421 4.7.0
 *   ratelimitauth  messages per hour from one login: 450 4.7.1 at MAIL
 *   ratelimitip    messages per hour from one IP on port 25 (without
 *                  AUTH, not a relay client): 450 4.7.1 at MAIL
 *   maxauthfailip  failed logins per hour from one IP, over all its
 *                  connections: AUTH gets 421 4.7.0 after authfaildelay
 *   smtpgreetpass  seconds a client that waited for the greeting on port
 *                  25 skips the greeting pause (the pass cache)
 * A limit of 0 is off.  Messages are counted when queued, in a window of
 * an hour from the first; a client over a limit is logged once per
 * window.  Counter keys: "u:LOGIN", "i:IP", "a:IP", "o:..." (over-limit
 * already logged).  When sluice-anvil cannot be reached the session goes
 * on without limits (fail open) and says so once in the log.
 */
#include <string.h>
#include <unistd.h>

#include "abuse.h"
#include "anvil.h"
#include "decimal.h"
#include "logmsg.h"
#include "smtpd.h"

#define WINDOW "3600"

static int anvil_fd = -1;
static int anvil_down;

/* ask sluice-anvil; the number it answers, or -1 (failing open) */
static long
ask(const char *w1, const char *w2, const char *w3, char *reply, size_t max)
{
	char req[ANVIL_LINE_MAX];
	unsigned long v;
	size_t n;

	if (anvil_down)
		return -1;
	if (strlen(w1) + strlen(w2) + (w3 ? strlen(w3) : 0) + 3 > sizeof req)
		return -1;
	strcpy(req, w1);
	strcat(req, " ");
	strcat(req, w2);
	if (w3) {
		strcat(req, " ");
		strcat(req, w3);
	}
	if (anvil_fd < 0)
		anvil_fd = anvil_connect();
	if (anvil_fd < 0 || anvil_ask(anvil_fd, req, reply, max) < 0) {
		log_line_sys("warning: counter service sluice-anvil not "
		    "answering; limits not enforced for this session", NULL);
		anvil_down = 1;
		if (anvil_fd >= 0)
			close(anvil_fd);
		anvil_fd = -1;
		return -1;
	}
	n = strcspn(reply, " ");
	if (!decimal_parse(reply, n, 9, &v))
		return -1;
	return (long)v;
}

static long
ask_num(const char *w1, const char *key, const char *w3)
{
	char reply[64];

	return ask(w1, key, w3, reply, sizeof reply);
}

long
counter_get(const char *key)
{
	return ask_num("get", key, 0);
}

void
counter_set(const char *key, unsigned long v, const char *ttl)
{
	char req[ANVIL_KEY_MAX + 40], n[21];

	if (strlen(key) > ANVIL_KEY_MAX)
		return;
	strcpy(req, key);
	strcat(req, " ");
	strcat(req, ulong_str(n, v));
	ask_num("set", req, ttl);
}

/* key = prefix + text, cut to fit, with unsafe octets as '_' */
static char *
make_key(char *key, size_t max, const char *prefix, const char *text)
{
	size_t n = 0;
	const char *p;

	if (max > ANVIL_KEY_MAX + 1)
		max = ANVIL_KEY_MAX + 1;
	for (p = prefix; *p && n + 1 < max; p++)
		key[n++] = *p;
	for (p = text; *p && n + 1 < max; p++)
		key[n++] = (unsigned char)*p <= 32 || (unsigned char)*p > 126 ?
		    '_' : *p;
	key[n] = 0;
	return key;
}

int
limits_connect(struct smtpd *s)
{
	char reply[64], n[21];
	long count;

	s->greetpass = 0;
	if (s->mode != MODE_MX || (!s->lim.maxconnip && !s->lim.greetdelay))
		return 0;
	count = ask("conn", s->ip, 0, reply, sizeof reply);
	if (count < 0)
		return 0;
	s->greetpass = strstr(reply, " 1") != 0;
	if (!s->lim.maxconnip || (unsigned long)count <= s->lim.maxconnip)
		return 0;
	log_line("refused connection ip=", s->ip, " connections=",
	    ulong_str(n, (unsigned long)count), " limit=maxconnip", NULL);
	hang_up(s, "421 4.7.0 Too many connections from your address "
	    "(maxconnip); try again later", "too many connections");
	return 1;
}

void
limits_end(void)
{
	if (anvil_fd >= 0)
		close(anvil_fd);
	anvil_fd = -1;
	anvil_down = 0;
}

void
limits_greet_passed(struct smtpd *s)
{
	char key[ANVIL_KEY_MAX + 1], ttl[21];

	if (!s->lim.greetpass || s->greetpass)
		return;
	make_key(key, sizeof key, "", s->ip);
	ask_num("pass", key, ulong_str(ttl, s->lim.greetpass));
}

/* 1 when the counter key is at limit; logs the first refusal per window */
static int
over(struct smtpd *s, const char *prefix, const char *who,
    unsigned long limit, const char *name)
{
	char key[ANVIL_KEY_MAX + 1], okey[ANVIL_KEY_MAX + 1], n[21];
	long count;

	if (!limit)
		return 0;
	make_key(key, sizeof key, prefix, who);
	count = ask_num("get", key, 0);
	if (count < 0 || (unsigned long)count < limit)
		return 0;
	make_key(okey, sizeof okey, "o:", key);
	if (ask_num("add", okey, WINDOW) == 1)
		log_line("rate limit ", name, " reached ip=", s->ip, " user=",
		    s->authed ? s->authuser : "-", " limit=",
		    ulong_str(n, limit), "/h", NULL);
	return 1;
}

const char *
limits_mail(struct smtpd *s)
{
	if (s->authed && over(s, "u:", s->authuser, s->lim.ratelimitauth,
	    "ratelimitauth"))
		return "450 4.7.1 Message rate limit reached for this login "
		    "(ratelimitauth); try again later";
	if (!s->authed && !s->relayclient && s->mode == MODE_MX &&
	    over(s, "i:", s->ip, s->lim.ratelimitip, "ratelimitip"))
		return "450 4.7.1 Message rate limit reached for your address "
		    "(ratelimitip); try again later";
	return 0;
}

void
limits_queued(struct smtpd *s)
{
	char key[ANVIL_KEY_MAX + 1];

	if (s->authed && s->lim.ratelimitauth)
		ask_num("add", make_key(key, sizeof key, "u:", s->authuser),
		    WINDOW);
	else if (!s->authed && !s->relayclient && s->mode == MODE_MX &&
	    s->lim.ratelimitip)
		ask_num("add", make_key(key, sizeof key, "i:", s->ip), WINDOW);
}

int
limits_auth_blocked(struct smtpd *s)
{
	char key[ANVIL_KEY_MAX + 1];
	long count;

	if (!s->lim.maxauthfailip)
		return 0;
	count = ask_num("get", make_key(key, sizeof key, "a:", s->ip), 0);
	if (count < 0 || (unsigned long)count < s->lim.maxauthfailip)
		return 0;
	log_line("auth refused ip=", s->ip, " limit=maxauthfailip", NULL);
	if (netio_flush(&s->io) < 0)
		return 1;
	if (s->lim.authdelay)
		sleep((unsigned int)s->lim.authdelay);
	hang_up(s, "421 4.7.0 Too many failed logins from your address; "
	    "try again later", "too many failed logins from this IP");
	return 1;
}

void
limits_auth_failed(struct smtpd *s)
{
	char key[ANVIL_KEY_MAX + 1];

	if (s->lim.maxauthfailip)
		ask_num("add", make_key(key, sizeof key, "a:", s->ip), WINDOW);
}
