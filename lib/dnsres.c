/*
 * dnsres.c -- MX/A/AAAA lookups through c-ares (dnsres.h).
 *
 * One channel per delivery; queries run in parallel and one poll loop
 * drives them until all have answered or the batch deadline passes (then
 * they are cancelled and count as temporary failures).  Answers are
 * hostile: names are length-checked and validated, counts bounded.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ares.h>

#include "address.h"
#include "dnsres.h"
#include "sysutil.h"

#define SERVERS_MAX 8

struct dnsres {
	ares_channel ch;
	unsigned int timeout_ms;
	int pending;
};

struct mxq {
	struct dnsres *d;
	struct mxrec *mx;
	size_t max, n;
	int status;
};

struct addrq {
	struct dnsres *d;
	struct hostaddrs *h;
	int family;
};

const char *
dns_status_str(int status)
{
	switch (status) {
	case DNS_OK:
		return "ok";
	case DNS_NXDOMAIN:
		return "no such domain";
	case DNS_NODATA:
		return "no records";
	}
	return "temporary DNS failure";
}

static int
classify(int ares_status)
{
	switch (ares_status) {
	case ARES_SUCCESS:
		return DNS_OK;
	case ARES_ENOTFOUND:
		return DNS_NXDOMAIN;
	case ARES_ENODATA:
		return DNS_NODATA;
	}
	return DNS_TEMP;	/* SERVFAIL, REFUSED, timeout, bad answer, ... */
}

static int
set_servers(ares_channel ch, const char *servers, const char **why)
{
	struct ares_addr_port_node nodes[SERVERS_MAX];
	const char *p = servers;
	size_t n = 0;

	while (*p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		const char *next = comma ? comma + 1 : p + len;
		struct hostport hp;

		while (len && (*p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (n == SERVERS_MAX || !hostport_parse_ip(p, len, 53, &hp)) {
			*why = "bad resolvers setting";
			return -1;
		}
		memset(&nodes[n], 0, sizeof nodes[n]);
		nodes[n].family = hp.ip.family == 6 ? AF_INET6 : AF_INET;
		if (hp.ip.family == 6)
			memcpy(&nodes[n].addr.addr6, hp.ip.a, 16);
		else
			memcpy(&nodes[n].addr.addr4, hp.ip.a, 4);
		nodes[n].udp_port = nodes[n].tcp_port = (int)hp.port;
		if (n)
			nodes[n - 1].next = &nodes[n];
		n++;
		p = next;
	}
	if (!n)
		return 0;
	if (ares_set_servers_ports(ch, nodes) != ARES_SUCCESS) {
		*why = "cannot set DNS servers";
		return -1;
	}
	return 0;
}

struct dnsres *
dnsres_open(const char *servers, unsigned int timeout_s, const char **why)
{
	struct ares_options opt;
	struct dnsres *d;
	int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;

	if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) {
		*why = "cannot initialise c-ares";
		return 0;
	}
	d = calloc(1, sizeof *d);
	if (!d) {
		*why = "out of memory";
		return 0;
	}
	d->timeout_ms = timeout_s * 1000;
	memset(&opt, 0, sizeof opt);
	opt.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
	/* two tries, the second waits twice as long: 3 units in all */
	opt.timeout = (int)(d->timeout_ms / 3 ? d->timeout_ms / 3 : 1);
	opt.tries = 2;
	if (ares_init_options(&d->ch, &opt, mask) != ARES_SUCCESS) {
		*why = "cannot initialise the DNS resolver";
		free(d);
		return 0;
	}
	if (servers && set_servers(d->ch, servers, why) < 0) {
		ares_destroy(d->ch);
		free(d);
		return 0;
	}
	return d;
}

void
dnsres_close(struct dnsres *d)
{
	if (!d)
		return;
	ares_destroy(d->ch);
	free(d);
}

/* drive the channel until every query has answered or time runs out */
static void
run(struct dnsres *d)
{
	unsigned long long deadline = now_ms() + d->timeout_ms + 500;

	while (d->pending > 0) {
		ares_socket_t socks[ARES_GETSOCK_MAXNUM];
		struct pollfd pf[ARES_GETSOCK_MAXNUM];
		struct timeval maxtv, tv, *tvp;
		unsigned long long now = now_ms();
		unsigned int bits;
		int i, n = 0, ms, r;

		if (now >= deadline) {
			ares_cancel(d->ch);	/* callbacks see ARES_ECANCELLED */
			break;
		}
		/* c-ares' own bit macros shift into the sign bit: use unsigned */
		bits = (unsigned int)ares_getsock(d->ch, socks, ARES_GETSOCK_MAXNUM);
		for (i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
			short ev = 0;
			if (bits & (1u << i))
				ev |= POLLIN;
			if (bits & (1u << (i + ARES_GETSOCK_MAXNUM)))
				ev |= POLLOUT;
			if (!ev)
				continue;
			pf[n].fd = socks[i];
			pf[n].events = ev;
			pf[n].revents = 0;
			n++;
		}
		maxtv.tv_sec = (time_t)((deadline - now) / 1000);
		maxtv.tv_usec = (suseconds_t)((deadline - now) % 1000 * 1000);
		tvp = ares_timeout(d->ch, &maxtv, &tv);
		ms = (int)(tvp->tv_sec * 1000 + tvp->tv_usec / 1000) + 1;
		r = poll(pf, (nfds_t)n, ms);
		if (r < 0 && errno != EINTR)
			break;
		if (r <= 0) {
			ares_process_fd(d->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
			continue;
		}
		for (i = 0; i < n; i++) {
			short re = pf[i].revents;
			if (!re)
				continue;
			ares_process_fd(d->ch,
			    (re & (POLLIN | POLLERR | POLLHUP)) ? pf[i].fd : ARES_SOCKET_BAD,
			    (re & POLLOUT) ? pf[i].fd : ARES_SOCKET_BAD);
		}
	}
	if (d->pending > 0)
		ares_cancel(d->ch);
}

/* copy a name from an answer: strip one trailing dot, validate */
static int
name_copy(char *out, const char *name)
{
	size_t len = strlen(name);

	if (len && name[len - 1] == '.')
		len--;
	if (len > DNS_NAME_MAX)
		return 0;
	memcpy(out, name, len);
	out[len] = 0;
	return len == 0 || domain_valid(out, len);
}

static void
mx_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct mxq *q = arg;
	struct ares_mx_reply *list = 0, *m;

	q->d->pending--;
	q->status = classify(status);
	if (q->status != DNS_OK)
		return;
	status = ares_parse_mx_reply(abuf, alen, &list);
	q->status = classify(status);
	if (status == ARES_EBADRESP || status == ARES_ENOMEM)
		q->status = DNS_TEMP;
	for (m = list; m && q->n < q->max; m = m->next) {
		q->mx[q->n].pref = m->priority;
		if (name_copy(q->mx[q->n].host, m->host))
			q->n++;
	}
	if (list)
		ares_free_data(list);
}

int
dnsres_mx(struct dnsres *d, const char *name, struct mxrec *mx, size_t max,
    size_t *n)
{
	struct mxq q;

	q.d = d;
	q.mx = mx;
	q.max = max;
	q.n = 0;
	q.status = DNS_TEMP;
	d->pending++;
	ares_query(d->ch, name, ns_c_in, ns_t_mx, mx_answer, &q);
	run(d);
	*n = q.n;
	if (q.status == DNS_OK && !q.n)
		return DNS_NODATA;
	return q.status;
}

static void
addr_add(struct hostaddrs *h, int family, const void *a)
{
	size_t i;

	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (h->n == ADDRS_MAX)
		return;
	if (family == 6 && !memcmp(a, mapped, 12)) {
		/* an IPv4-mapped AAAA is that IPv4 address (loop check, connect) */
		family = 4;
		a = (const unsigned char *)a + 12;
	}
	if (family == 6) {
		/* IPv6 before IPv4: shift the IPv4 ones up */
		for (i = h->n; i > 0 && h->ip[i - 1].family == 4; i--)
			h->ip[i] = h->ip[i - 1];
		h->ip[i].family = 6;
		memcpy(h->ip[i].a, a, 16);
	} else {
		i = h->n;
		memset(&h->ip[i], 0, sizeof h->ip[i]);
		h->ip[i].family = 4;
		memcpy(h->ip[i].a, a, 4);
	}
	h->n++;
}

static void
addr_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct addrq *q = arg;
	struct hostaddrs *h = q->h;
	int *st = q->family == 6 ? &h->st6 : &h->st4;
	int i, n = ADDRS_MAX;

	q->d->pending--;
	*st = classify(status);
	if (*st != DNS_OK)
		return;
	if (q->family == 6) {
		struct ares_addr6ttl a6[ADDRS_MAX];
		status = ares_parse_aaaa_reply(abuf, alen, 0, a6, &n);
		if (status == ARES_SUCCESS)
			for (i = 0; i < n; i++)
				addr_add(h, 6, &a6[i].ip6addr);
	} else {
		struct ares_addrttl a4[ADDRS_MAX];
		status = ares_parse_a_reply(abuf, alen, 0, a4, &n);
		if (status == ARES_SUCCESS)
			for (i = 0; i < n; i++)
				addr_add(h, 4, &a4[i].ipaddr);
	}
	*st = classify(status);
	if (status == ARES_EBADRESP || status == ARES_ENOMEM)
		*st = DNS_TEMP;
}

/* one verdict for a host from its A and AAAA answers: doubt defers */
static int
combine(const struct hostaddrs *h)
{
	if (h->n)
		return DNS_OK;
	if (h->st4 == DNS_TEMP || h->st6 == DNS_TEMP)
		return DNS_TEMP;
	if (h->st4 == DNS_NXDOMAIN || h->st6 == DNS_NXDOMAIN)
		return DNS_NXDOMAIN;
	return DNS_NODATA;
}

/* A (and with6, AAAA) of every host, all in parallel */
static void
addrs_query(struct dnsres *d, struct hostaddrs *hosts, size_t nhosts,
    int with6)
{
	struct addrq q[2 * MX_MAX];
	size_t i;

	if (nhosts > MX_MAX)
		nhosts = MX_MAX;
	for (i = 0; i < nhosts; i++) {
		hosts[i].n = 0;
		hosts[i].st4 = DNS_TEMP;
		hosts[i].st6 = with6 ? DNS_TEMP : DNS_NODATA;
		q[2 * i].d = q[2 * i + 1].d = d;
		q[2 * i].h = q[2 * i + 1].h = &hosts[i];
		q[2 * i].family = 6;
		q[2 * i + 1].family = 4;
		d->pending += with6 ? 2 : 1;
		if (with6)
			ares_query(d->ch, hosts[i].name, ns_c_in, ns_t_aaaa,
			    addr_answer, &q[2 * i]);
		ares_query(d->ch, hosts[i].name, ns_c_in, ns_t_a, addr_answer, &q[2 * i + 1]);
	}
	run(d);
	for (i = 0; i < nhosts; i++)
		hosts[i].status = combine(&hosts[i]);
}

void
dnsres_addrs(struct dnsres *d, struct hostaddrs *hosts, size_t nhosts)
{
	addrs_query(d, hosts, nhosts, 1);
}

void
dnsres_a(struct dnsres *d, struct hostaddrs *hosts, size_t nhosts)
{
	addrs_query(d, hosts, nhosts, 0);
}
