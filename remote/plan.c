/*
 * plan.c -- which hosts to try for a delivery, in which order (plan.h).
 *
 * A static route for the domain (or "." for a smarthost) wins: its host
 * (an IP, or a name looked up for A/AAAA); no loop check, since a route to
 * a filter on this host is legitimate.  Otherwise MX records by
 * preference, random among equals, or the domain's own A/AAAA records when
 * it has no MX (RFC 5321 5.1).  A null MX (RFC 7505) or a domain that does
 * not exist is permanent; a DNS failure or timeout is temporary; an MX
 * that is this host (the `me` name, or an address connect.h's
 * ip_is_local calls this host: loopback, listen, interface) ends the list
 * before its preference (5.4.6 when nothing is left).  Address literals
 * ("[192.0.2.1]") go to that address.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "address.h"
#include "connect.h"
#include "mxorder.h"
#include "plan.h"
#include "route.h"

static int
same_name(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la && a[la - 1] == '.')
		la--;
	if (lb && b[lb - 1] == '.')
		lb--;
	return la == lb && !strncasecmp(a, b, la);
}

/* 1 this host, 0 not, -1 cannot tell (control/listen or notipme unreadable) */
static int
host_is_me(const struct delivery *d, const struct hostaddrs *h)
{
	size_t i;
	int r;

	if (same_name(h->name, d->me))
		return 1;
	for (i = 0; i < h->n; i++)
		if ((r = ip_is_local(&h->ip[i])) != 0)
			return r;
	return 0;
}

static void
plan_add(struct plan *p, const char *host, const struct ipaddr *ip,
    unsigned int port)
{
	if (p->n == TARGETS_MAX)
		return;
	p->t[p->n].host = host;
	p->t[p->n].ip = *ip;
	p->t[p->n].port = port;
	p->n++;
}

/* a static route: its host's addresses (no loop check: a route to a
 * filter on this host is legitimate).  0 ok, -1 given up. */
static int
plan_route(struct delivery *d, struct dnsres *dns, const struct route *rt,
    struct plan *p)
{
	struct hostaddrs h;
	size_t i;

	strcpy(p->names[0], rt->hp.host);
	if (rt->hp.is_ip) {
		plan_add(p, p->names[0], &rt->hp.ip, rt->hp.port);
		return 0;
	}
	h.name = p->names[0];
	dnsres_addrs(dns, &h, 1);
	if (h.status != DNS_OK) {
		delivery_give_up(d, JOB_DEFERRED, "4.4.3", "static route host ", rt->hp.host,
		    h.status == DNS_TEMP ? ": temporary DNS failure" :
		    ": has no address (check control/routes)");
		return -1;
	}
	for (i = 0; i < h.n; i++)
		plan_add(p, p->names[0], &h.ip[i], rt->hp.port);
	return 0;
}

/* MX hosts (or the domain itself) in order, minus this host */
static int
plan_hosts(struct delivery *d, struct dnsres *dns, struct mxrec *mx, size_t n,
    struct plan *p)
{
	static struct hostaddrs h[MX_MAX];
	int self[MX_MAX], temp = 0;
	size_t i, k, usable;

	for (i = 0; i < n; i++) {
		strcpy(p->names[i], mx[i].host);
		h[i].name = p->names[i];
	}
	dnsres_addrs(dns, h, n);
	for (i = 0; i < n; i++)
		if ((self[i] = host_is_me(d, &h[i])) < 0) {
			delivery_give_up(d, JOB_DEFERRED, "4.3.5", "configuration error: ",
			    "cannot tell whether a mail host is this host", 0);
			return -1;
		}
	usable = mx_usable(mx, n, self);
	if (!usable) {
		delivery_give_up(d, JOB_FAILED, "5.4.6", "mail for ", d->j->domain,
		    " loops back to this host (MX or address is this host)");
		return -1;
	}
	for (i = 0; i < usable; i++) {
		if (h[i].status == DNS_TEMP)
			temp = 1;
		for (k = 0; k < h[i].n; k++)
			plan_add(p, p->names[i], &h[i].ip[k], 25);
	}
	if (p->n)
		return 0;
	if (temp)
		delivery_give_up(d, JOB_DEFERRED, "4.4.3", "temporary DNS failure looking up the mail hosts of ",
		    d->j->domain, 0);
	else if (n == 1 && !strcasecmp(mx[0].host, d->j->domain))
		delivery_give_up(d, JOB_FAILED, h[0].status == DNS_NXDOMAIN ? "5.1.2" : "5.4.4",
		    "domain ", d->j->domain, " has no MX and no address records");
	else
		delivery_give_up(d, JOB_FAILED, "5.4.4", "no mail host of ", d->j->domain, " has an address");
	return -1;
}

static int
plan_mx(struct delivery *d, struct dnsres *dns, struct plan *p)
{
	static struct mxrec mx[MX_MAX];
	unsigned int rnd[MX_MAX];
	size_t n, i;
	int st;

	st = dnsres_mx(dns, d->j->domain, mx, MX_MAX, &n);
	if (st == DNS_TEMP) {
		delivery_give_up(d, JOB_DEFERRED, "4.4.3", "temporary DNS failure looking up MX for ",
		    d->j->domain, 0);
		return -1;
	}
	if (st == DNS_NXDOMAIN) {
		delivery_give_up(d, JOB_FAILED, "5.1.2", "domain ", d->j->domain, " does not exist");
		return -1;
	}
	if (st == DNS_OK && mx_is_null(mx, n)) {
		delivery_give_up(d, JOB_FAILED, "5.1.10", "domain ", d->j->domain,
		    " accepts no mail (null MX)");
		return -1;
	}
	n = mx_drop_empty(mx, n);
	if (!n) {		/* no MX: the domain itself, RFC 5321 5.1 */
		strcpy(mx[0].host, d->j->domain);
		mx[0].pref = 0;
		n = 1;
	}
	for (i = 0; i < n; i++)
		rnd[i] = arc4random();
	mx_sort(mx, n, rnd);
	return plan_hosts(d, dns, mx, n, p);
}

/* "[1.2.3.4]" or "[IPv6:...]": deliver to that address */
static int
plan_literal(struct delivery *d, struct plan *p)
{
	const char *s = d->j->domain + 1;
	size_t len = strlen(s);
	struct ipaddr ip;
	int r;

	if (len && s[len - 1] == ']')
		len--;
	if (len > 5 && !strncasecmp(s, "IPv6:", 5)) {
		s += 5;
		len -= 5;
	}
	if (!ip_parse(s, len, &ip)) {
		delivery_give_up(d, JOB_FAILED, "5.1.2", "bad address literal ", d->j->domain, 0);
		return -1;
	}
	r = ip_is_local(&ip);
	if (r < 0) {
		delivery_give_up(d, JOB_DEFERRED, "4.3.5", "configuration error: ",
		    "cannot tell whether this host is ", d->j->domain);
		return -1;
	}
	if (r) {
		delivery_give_up(d, JOB_FAILED, "5.4.6", "mail for ", d->j->domain, " loops back to this host");
		return -1;
	}
	strcpy(p->names[0], d->j->domain);
	plan_add(p, p->names[0], &ip, 25);
	return 0;
}

int
plan_make(struct delivery *d, const char *resolvers, unsigned long tdns,
    struct plan *p, struct credentials *cred)
{
	static struct route rt;		/* d->route points here */
	struct dnsres *dns = 0;
	const char *why;
	int r;

	p->n = 0;	/* p outlives the job: the worker runs many */
	if (d->j->domain[0] != '[' && !domain_valid(d->j->domain, strlen(d->j->domain))) {
		delivery_give_up(d, JOB_FAILED, "5.1.2", "bad destination domain ", d->j->domain, 0);
		return -1;
	}
	/* routes first: a smarthost takes mail for address literals too */
	r = route_lookup(d->j->domain, &rt, &why);
	if (r < 0) {
		delivery_give_up(d, JOB_DEFERRED, "4.3.5", "configuration error: ", why, 0);
		return -1;
	}
	if (r > 0) {
		int a = remoteauth_lookup(rt.hp.host, cred, &why);
		if (a < 0) {
			delivery_give_up(d, JOB_DEFERRED, "4.3.5", "configuration error: ", why, 0);
			return -1;
		}
		d->cred = a ? cred : 0;
		d->tls_verify = rt.tls_verify;
		d->route = &rt;
	}
	if (r == 0 && d->j->domain[0] == '[')
		return plan_literal(d, p);
	if (r == 0 || !rt.hp.is_ip) {
		dns = dnsres_open(*resolvers ? resolvers : 0, (unsigned int)tdns, &why);
		if (!dns) {
			delivery_give_up(d, JOB_DEFERRED, "4.3.5", "DNS: ", why, 0);
			return -1;
		}
	}
	r = r > 0 ? plan_route(d, dns, &rt, p) : plan_mx(d, dns, p);
	dnsres_close(dns);
	return r;
}
