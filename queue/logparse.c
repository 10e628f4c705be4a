/*
 * logparse.c -- see logparse.h.  Reads only the bytes it is given; every
 * field it copies is cut to its buffer.
 */
#include <string.h>

#include "logparse.h"

#define TAI_UNIX_OFFSET 0x400000000000000aULL	/* 2^62 + 10 (daemontools) */

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* "@" and 24 hex digits and a space: the seconds; else 0 and nothing used */
static size_t
tai64n(const char *p, size_t len, unsigned long long *when)
{
	unsigned long long label = 0;
	size_t i;

	*when = 0;
	if (len < 26 || p[0] != '@' || p[25] != ' ')
		return 0;
	for (i = 1; i < 25; i++)
		if (hexval(p[i]) < 0)
			return 0;
	for (i = 1; i < 17; i++)
		label = label * 16 + (unsigned long long)hexval(p[i]);
	if (label >= TAI_UNIX_OFFSET)
		*when = label - TAI_UNIX_OFFSET;
	return 26;
}

static int
starts(const char *p, const char *end, const char *word)
{
	size_t n = strlen(word);

	return (size_t)(end - p) >= n && !memcmp(p, word, n);
}

/* the value of " key=" (up to a space) into out; 1 if found */
static int
field(const char *p, const char *end, const char *key, char *out, size_t max)
{
	size_t kl = strlen(key), n = 0;
	const char *s;

	out[0] = 0;
	for (s = p; s + kl <= end; s++) {
		if ((s == p || s[-1] == ' ') && !memcmp(s, key, kl)) {
			s += kl;
			while (s < end && *s != ' ' && n + 1 < max)
				out[n++] = *s++;
			out[n] = 0;
			return 1;
		}
	}
	return 0;
}

static void
copy(char *out, size_t max, const char *s, const char *end)
{
	size_t n = (size_t)(end - s);

	if (n >= max)
		n = max - 1;
	memcpy(out, s, n);
	out[n] = 0;
}

/* the SMTP reply in a refusal line: from the first " NNN N." on */
static void
refusal_reason(const char *p, const char *end, char *out)
{
	const char *s;

	for (s = p; s + 7 <= end; s++)
		if (s[0] == ' ' && s[1] >= '2' && s[1] <= '5' &&
		    s[2] >= '0' && s[2] <= '9' && s[3] >= '0' && s[3] <= '9' &&
		    s[4] == ' ' && s[5] >= '2' && s[5] <= '5' && s[6] == '.') {
			copy(out, LOGREC_REASON_MAX, s + 1, end);
			return;
		}
	copy(out, LOGREC_REASON_MAX, p, end);
}

/* the domain of " to=<local@domain>", lower case */
static void
rcpt_domain(const char *p, const char *end, char *out)
{
	char to[LOGREC_FIELD_MAX];
	char *at, *gt, *c;

	out[0] = 0;
	if (!field(p, end, "to=<", to, sizeof to))
		return;
	at = strrchr(to, '@');
	if (!at)
		return;
	gt = strchr(at, '>');
	if (gt)
		*gt = 0;
	for (c = at + 1; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c + 32);
	strcpy(out, at + 1);
}

static void
delivery(const char *p, const char *end, struct logrec *r)
{
	char st[16];

	field(p, end, "status=", st, sizeof st);
	if (!strcmp(st, "sent"))
		r->kind = LK_SENT;
	else if (!strcmp(st, "deferred"))
		r->kind = LK_DEFERRED;
	else if (!strcmp(st, "bounced"))
		r->kind = LK_BOUNCED;
	else
		return;
	rcpt_domain(p, end, r->domain);
}

enum logkind
logrec_parse(const char *line, size_t len, struct logrec *r)
{
	const char *p = line, *end = line + len, *colon;
	char zone[LOGREC_FIELD_MAX];

	memset(r, 0, sizeof *r);
	r->kind = LK_OTHER;
	p += tai64n(p, len, &r->when);
	colon = memchr(p, ':', (size_t)(end - p));
	if (!colon || colon + 1 >= end || colon[1] != ' ')
		return r->kind;
	p = colon + 2;
	while (starts(p, end, "qid=") || starts(p, end, "sid=")) {
		const char *sp = memchr(p, ' ', (size_t)(end - p));
		if (!sp)
			return r->kind;
		p = sp + 1;
	}
	field(p, end, "ip=", r->ip, sizeof r->ip);
	if (starts(p, end, "queued ")) {
		r->kind = LK_QUEUED;
		field(p, end, "user=", r->user, sizeof r->user);
		if (!strcmp(r->user, "-"))
			r->user[0] = 0;
	} else if (starts(p, end, "delivery "))
		delivery(p, end, r);
	else if (starts(p, end, "refused ")) {
		r->kind = LK_REFUSED;
		if (starts(p, end, "refused connection "))
			strcpy(r->reason, "421 4.7.0 maxconnip");
		else
			refusal_reason(p, end, r->reason);
	} else if (starts(p, end, "early talker from ")) {
		r->kind = LK_REFUSED;
		copy(r->ip, sizeof r->ip, p + 18, end);
		strcpy(r->reason, "554 5.5.0 early talker");
	} else if (starts(p, end, "dnsbl ") && field(p, end, "zone=", zone,
	    sizeof zone)) {
		r->kind = LK_REFUSED;
		strcpy(r->reason, "554 5.7.1 dnsbl ");	/* 16 octets */
		copy(r->reason + 16, sizeof r->reason - 16, zone,
		    zone + strlen(zone));
	} else if (starts(p, end, "auth failed ") ||
	    starts(p, end, "auth refused "))
		r->kind = LK_AUTHFAIL;
	return r->kind;
}
