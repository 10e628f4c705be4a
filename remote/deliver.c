/*
 * deliver.c -- sluice-remote's delivery of one job: the recipients of one
 * message at one domain (spawner.h deliver_fn).
 *
 * Runs as sluicer in a child forked by the spawner; reads control/ (the
 * settings, routes.cdb, remoteauth), asks DNS, connects out, and touches
 * nothing else.  Routing: a static route for the domain (or "." for a
 * smarthost) wins; otherwise MX records by preference, random among
 * equals, or the domain's own A/AAAA records when it has no MX (RFC 5321
 * 5.1).  A null MX or a domain that does not exist is permanent; a DNS
 * failure or timeout is temporary; an MX that is this host ends the list
 * there (5.4.6 when nothing is left).  Hosts are tried in order until
 * one takes or refuses the message; one result per recipient, in order.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <signal.h>

#include "address.h"
#include "connect.h"
#include "control.h"
#include "dnsres.h"
#include "dotstuff.h"
#include "exitcodes.h"
#include "logmsg.h"
#include "mxorder.h"
#include "remote.h"
#include "route.h"
#include "sysutil.h"

#define TARGETS_MAX 24	/* connections tried per delivery, at most */

struct plan {
	struct target t[TARGETS_MAX];
	size_t n;
	char names[MX_MAX][DNS_NAME_MAX + 1];
};

static struct rcptstate rstate[JOB_RCPT_MAX];

void
rcpt_set(struct rcptstate *r, char status, const char *dsn, const char *text)
{
	size_t len = strlen(text);

	r->status = status;
	strncpy(r->dsn, dsn, DSN_MAX - 1);
	r->dsn[DSN_MAX - 1] = 0;
	/* the class must agree with the status */
	if (status == 'Z')
		r->dsn[0] = '4';
	else if (status == 'D')
		r->dsn[0] = '5';
	else
		r->dsn[0] = '2';
	if (len > JOB_TEXT_MAX)
		len = JOB_TEXT_MAX;
	memcpy(r->text, text, len);
	r->text[len] = 0;
}

void
delivery_fail(struct delivery *d, int temp, const char *dsn, const char *text)
{
	size_t len = strlen(text);

	if (temp)
		d->anytemp = 1;
	strncpy(d->lastdsn, dsn, DSN_MAX - 1);
	d->lastdsn[DSN_MAX - 1] = 0;
	if (len > JOB_TEXT_MAX)
		len = JOB_TEXT_MAX;
	memcpy(d->lasterr, text, len);
	d->lasterr[len] = 0;
}

size_t
delivery_pending(const struct delivery *d)
{
	size_t i, n = 0;

	for (i = 0; i < d->j->nrcpt; i++)
		if (!d->r[i].status)
			n++;
	return n;
}

/* every recipient still to do gets this result */
static void
finish_all(struct delivery *d, char status, const char *dsn, const char *text)
{
	size_t i;

	for (i = 0; i < d->j->nrcpt; i++)
		if (!d->r[i].status)
			rcpt_set(&d->r[i], status, dsn, text);
}

static void
give_up(struct delivery *d, char status, const char *dsn, const char *a,
    const char *b, const char *c)
{
	char text[JOB_TEXT_MAX + 1];

	strncpy(text, a, sizeof text - 1);
	text[sizeof text - 1] = 0;
	if (b)
		strncat(text, b, sizeof text - strlen(text) - 1);
	if (c)
		strncat(text, c, sizeof text - strlen(text) - 1);
	log_line("delivery ", d->j->qid, ": ", d->j->domain, ": ", text, NULL);
	finish_all(d, status, dsn, text);
}

/* an address is safe to put between < > on a command line */
static int
address_ok(const char *s, int *utf8)
{
	size_t i, len = strlen(s);

	if (len > ADDR_PATH_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 32 || c == 127 || c == '<' || c == '>')
			return 0;
		if (c >= 128)
			*utf8 = 1;
	}
	return 1;
}

static int
measure(struct delivery *d)
{
	static char buf[65536];
	unsigned long done = 0;

	d->size = 0;
	while (done < d->j->length) {
		size_t want = d->j->length - done > sizeof buf ? sizeof buf : d->j->length - done;
		ssize_t r = pread(d->msgfd, buf, want, (off_t)(d->j->offset + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		message_measure(buf, (size_t)r, &d->size, &d->eightbit);
		done += (unsigned long)r;
	}
	return 0;
}

static int
settings_read(struct delivery *d, stralloc *me, stralloc *resolvers,
    unsigned long *tdns)
{
	unsigned long tr, tc;
	static char host[256];

	if (control_get_str("me", me) < 0 || control_get_str("resolvers", resolvers) < 0 ||
	    control_get_uint("timeoutremote", &tr) < 0 ||
	    control_get_uint("timeoutconnect", &tc) < 0 ||
	    control_get_uint("timeoutdns", tdns) < 0)
		return -1;
	d->timeout = (unsigned int)tr;
	d->timeoutconnect = (unsigned int)tc;
	d->me = me->s;
	if (!*d->me) {
		if (gethostname(host, sizeof host - 1) < 0)
			return -1;
		d->me = host;
	}
	return 0;
}

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

static int
host_is_me(const struct delivery *d, const struct hostaddrs *h)
{
	size_t i;

	if (same_name(h->name, d->me))
		return 1;
	for (i = 0; i < h->n; i++)
		if (ip_is_local(&h->ip[i]) == 1)
			return 1;
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
		give_up(d, 'Z', "4.4.3", "static route host ", rt->hp.host,
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
		self[i] = host_is_me(d, &h[i]);
	usable = mx_usable(mx, n, self);
	if (!usable) {
		give_up(d, 'D', "5.4.6", "mail for ", d->j->domain,
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
		give_up(d, 'Z', "4.4.3", "temporary DNS failure looking up the mail hosts of ",
		    d->j->domain, 0);
	else if (n == 1 && !strcasecmp(mx[0].host, d->j->domain))
		give_up(d, 'D', h[0].status == DNS_NXDOMAIN ? "5.1.2" : "5.4.4",
		    "domain ", d->j->domain, " has no MX and no address records");
	else
		give_up(d, 'D', "5.4.4", "no mail host of ", d->j->domain, " has an address");
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
		give_up(d, 'Z', "4.4.3", "temporary DNS failure looking up MX for ",
		    d->j->domain, 0);
		return -1;
	}
	if (st == DNS_NXDOMAIN) {
		give_up(d, 'D', "5.1.2", "domain ", d->j->domain, " does not exist");
		return -1;
	}
	if (st == DNS_OK && mx_is_null(mx, n)) {
		give_up(d, 'D', "5.1.10", "domain ", d->j->domain,
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

	if (len && s[len - 1] == ']')
		len--;
	if (len > 5 && !strncasecmp(s, "IPv6:", 5)) {
		s += 5;
		len -= 5;
	}
	if (!ip_parse(s, len, &ip)) {
		give_up(d, 'D', "5.1.2", "bad address literal ", d->j->domain, 0);
		return -1;
	}
	if (ip_is_local(&ip) == 1) {
		give_up(d, 'D', "5.4.6", "mail for ", d->j->domain, " loops back to this host");
		return -1;
	}
	strcpy(p->names[0], d->j->domain);
	plan_add(p, p->names[0], &ip, 25);
	return 0;
}

static int
plan_make(struct delivery *d, const char *resolvers, unsigned long tdns,
    struct plan *p, struct credentials *cred)
{
	struct dnsres *dns = 0;
	struct route rt;
	const char *why;
	int r;

	if (d->j->domain[0] == '[')
		return plan_literal(d, p);
	if (!domain_valid(d->j->domain, strlen(d->j->domain))) {
		give_up(d, 'D', "5.1.2", "bad destination domain ", d->j->domain, 0);
		return -1;
	}
	r = route_lookup(d->j->domain, &rt, &why);
	if (r < 0) {
		give_up(d, 'Z', "4.3.5", "configuration error: ", why, 0);
		return -1;
	}
	if (r > 0) {
		int a = remoteauth_lookup(rt.hp.host, cred, &why);
		if (a < 0) {
			give_up(d, 'Z', "4.3.5", "configuration error: ", why, 0);
			return -1;
		}
		d->cred = a ? cred : 0;
		d->tls_verify = rt.tls_verify;
	}
	if (r == 0 || !rt.hp.is_ip) {
		dns = dnsres_open(*resolvers ? resolvers : 0, (unsigned int)tdns, &why);
		if (!dns) {
			give_up(d, 'Z', "4.4.3", "DNS: ", why, 0);
			return -1;
		}
	}
	r = r > 0 ? plan_route(d, dns, &rt, p) : plan_mx(d, dns, p);
	dnsres_close(dns);
	return r;
}

static void
results(struct delivery *d, stralloc *res)
{
	size_t i;

	for (i = 0; i < d->j->nrcpt; i++) {
		const struct rcptstate *r = &d->r[i];
		if (!job_result_add(res, r->status, r->dsn, r->text, strlen(r->text)))
			fatal_nomem(EX_SL_TEMP);
	}
}

static void
try_hosts(struct delivery *d, const struct plan *p)
{
	size_t i;

	for (i = 0; i < p->n && delivery_pending(d); i++) {
		enum attempt a = smtp_attempt(d, &p->t[i], 0);
		if (a == ATTEMPT_PLAIN)
			a = smtp_attempt(d, &p->t[i], 1);
		if (a == ATTEMPT_DONE)
			break;
	}
	if (!delivery_pending(d))
		return;
	if (!d->lasterr[0])
		delivery_fail(d, 1, "4.4.1", "no host to deliver to");
	finish_all(d, d->anytemp ? 'Z' : 'D', d->lastdsn, d->lasterr);
}

void
deliver_remote(const struct job *j, int msgfd, stralloc *res)
{
	static struct delivery d;
	static struct plan p;
	static struct credentials cred;
	stralloc me = {0}, resolvers = {0};
	unsigned long tdns = 5;
	size_t i;
	int utf8 = 0, bad = 0;

	sig_ignore(SIGPIPE);
	memset(&d, 0, sizeof d);
	memset(rstate, 0, sizeof rstate[0] * j->nrcpt);
	d.j = j;
	d.msgfd = msgfd;
	d.r = rstate;
	if (!address_ok(j->sender, &utf8))
		bad = 1;
	for (i = 0; i < j->nrcpt; i++)
		if (!address_ok(j->rcpt[i], &utf8) || !*j->rcpt[i])
			rcpt_set(&rstate[i], 'D', "5.1.3", "bad recipient address syntax");
	d.utf8addr = utf8;
	if (bad)
		give_up(&d, 'D', "5.1.7", "bad sender address syntax", 0, 0);
	else if (settings_read(&d, &me, &resolvers, &tdns) < 0)
		give_up(&d, 'Z', "4.3.5", "configuration error: cannot read the settings", 0, 0);
	else if (measure(&d) < 0)
		give_up(&d, 'Z', "4.3.0", "cannot read the message", 0, 0);
	else if (delivery_pending(&d) && plan_make(&d, resolvers.s, tdns, &p, &cred) == 0)
		try_hosts(&d, &p);
	results(&d, res);
	memset(&cred, 0, sizeof cred);
	if (d.tls_ctx)
		SSL_CTX_free(d.tls_ctx);
	stralloc_free(&me);
	stralloc_free(&resolvers);
}
