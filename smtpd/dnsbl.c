/*
 * dnsbl.c -- DNS blocklists for port 25 (setting dnsbl, DESIGN.md
 * "Sending rules and limits").  Before the first message is taken (at
 * MAIL), the client's reversed address (IPv4 octets, or IPv6 nibbles) is
 * looked up under every zone at once with c-ares (lib/dnsres.h) through
 * the instance's resolvers, bounded by DNSBL_TIMEOUT seconds; an A record
 * in 127.0.0.0/8 lists the client, and MAIL gets 554 5.7.1 naming the
 * first zone that does.  Authenticated clients, relay clients and the
 * submission ports are never checked.  A DNS failure never refuses mail
 * (fail open, logged).  Answers are kept DNSBL_CACHE seconds in
 * sluice-anvil (key "b:IP": 1 clean, 2 + N listed by zone N).
 */
#include <string.h>

#include "abuse.h"
#include "anvil.h"
#include "control.h"
#include "dnsres.h"
#include "logmsg.h"
#include "netaddr.h"
#include "smtpd.h"

#define DNSBL_TIMEOUT 5
#define DNSBL_CACHE "300"
#define ZONES_MAX 8

static char refusal[300];

/* the reversed address of ip with a dot after it, into out (>= 74) */
static int
reversed(const char *ip, char *out)
{
	static const char hex[] = "0123456789abcdef";
	struct ipaddr a;
	size_t n = 0;
	int i;
	char num[21];

	if (!ip_parse(ip, strlen(ip), &a))
		return 0;
	if (a.family == 4) {
		for (i = 3; i >= 0; i--) {
			ulong_str(num, a.a[i]);
			memcpy(out + n, num, strlen(num));
			n += strlen(num);
			out[n++] = '.';
		}
	} else {
		for (i = 15; i >= 0; i--) {
			out[n++] = hex[a.a[i] & 15];
			out[n++] = '.';
			out[n++] = hex[a.a[i] >> 4];
			out[n++] = '.';
		}
	}
	out[n] = 0;
	return 1;
}

/* split the zone list into zone[] (pointers into list, NUL-separated) */
static size_t
zones_split(char *list, char **zone)
{
	size_t n = 0;
	char *p = list;

	while (*p && n < ZONES_MAX) {
		zone[n++] = p;
		p += strcspn(p, ",");
		if (*p)
			*p++ = 0;
	}
	return n;
}

static int
listed(const struct hostaddrs *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if (h->ip[i].family == 4 && h->ip[i].a[0] == 127)
			return 1;
	return 0;
}

/* ask the zones; the index of the first that lists ip, -1 none, -2 when
 * a lookup failed and none listed */
static int
lookup(const char *ip, char **zone, size_t nz)
{
	struct hostaddrs h[ZONES_MAX];
	char names[ZONES_MAX][DNS_NAME_MAX + 1], rev[80];
	stralloc res = {0};
	struct dnsres *d;
	const char *why;
	size_t i;
	int r = -1;

	if (!reversed(ip, rev))
		return -1;
	if (control_get_str("resolvers", &res) < 0) {
		log_line_sys("warning: dnsbl: cannot read resolvers", NULL);
		return -2;
	}
	d = dnsres_open(res.s && *res.s ? res.s : 0, DNSBL_TIMEOUT, &why);
	stralloc_free(&res);
	if (!d) {
		log_line("warning: dnsbl: ", why, NULL);
		return -2;
	}
	memset(h, 0, sizeof h);
	for (i = 0; i < nz; i++) {
		if (strlen(rev) + strlen(zone[i]) >= sizeof names[i])
			names[i][0] = 0;
		else {
			strcpy(names[i], rev);
			strcat(names[i], zone[i]);
		}
		h[i].name = names[i];
	}
	dnsres_a(d, h, nz);
	dnsres_close(d);
	for (i = 0; i < nz && r < 0; i++)
		if (listed(&h[i]))
			r = (int)i;
	for (i = 0; i < nz && r == -1; i++)
		if (h[i].status == DNS_TEMP) {
			log_line("warning: dnsbl ", zone[i], " lookup failed for ",
			    ip, " (not refused)", NULL);
			r = -2;
		}
	return r;
}

const char *
dnsbl_refusal(struct smtpd *s)
{
	char list[1100], *zone[ZONES_MAX], key[80], n[21];
	size_t nz;
	long v;
	int r;

	if (s->dnsbl_done)
		return s->dnsbl_reply;
	if (!s->dnsbl.len || !s->dnsbl.s[0] || s->authed || s->relayclient ||
	    s->mode != MODE_MX || s->dnsbl.len > sizeof list)
		return 0;
	s->dnsbl_done = 1;
	s->dnsbl_reply = 0;
	memcpy(list, s->dnsbl.s, s->dnsbl.len);	/* NUL-terminated */
	nz = zones_split(list, zone);
	if (strlen(s->ip) + 3 > sizeof key)
		return 0;
	strcpy(key, "b:");
	strcat(key, s->ip);
	v = counter_get(key);
	if (v >= 2 && (size_t)(v - 2) < nz)
		r = (int)(v - 2);
	else if (v == 1)
		r = -1;
	else {
		r = lookup(s->ip, zone, nz);
		if (r != -2)
			counter_set(key, (unsigned long)(r + 2 > 0 ? r + 2 : 1),
			    DNSBL_CACHE);
	}
	if (r < 0)
		return 0;
	strcpy(refusal, "554 5.7.1 Service unavailable; client [");
	strcat(refusal, s->ip);
	strcat(refusal, "] blocked using ");
	strcat(refusal, zone[r]);	/* zones <= 200 octets (settings.c) */
	s->dnsbl_reply = refusal;
	log_line("dnsbl ip=", s->ip, " zone=", zone[r], " listed (zone ",
	    ulong_str(n, (unsigned long)r + 1), " of the list)", NULL);
	return refusal;
}
