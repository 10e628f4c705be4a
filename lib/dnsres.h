/*
 * dnsres.h -- the DNS lookups remote delivery needs (MX, A, AAAA), and
 * the SMTP server's DNSBL queries (A records of names under a zone),
 * through c-ares, with the outcome classified so that a domain that does
 * not exist (NXDOMAIN) or has no records is told apart from a resolver
 * that failed or did not answer (SERVFAIL, REFUSED, timeout): the first
 * may bounce, the second must only ever defer.
 *
 * Servers: the `resolvers` setting (IP, IP:PORT, [IPv6]:PORT, comma
 * separated), else /etc/resolv.conf.  Each lookup batch is bounded by the
 * timeoutdns setting in total.
 */
#ifndef SLUICE_DNSRES_H
#define SLUICE_DNSRES_H

#include <stddef.h>
#include "netaddr.h"

enum dns_status { DNS_OK, DNS_NXDOMAIN, DNS_NODATA, DNS_TEMP };

#define MX_MAX		16	/* MX records used per domain */
#define ADDRS_MAX	8	/* addresses used per host */
#define DNS_NAME_MAX	255

struct mxrec {
	unsigned int pref;
	char host[DNS_NAME_MAX + 1];	/* "" for the null MX "." */
};

struct hostaddrs {
	const char *name;		/* in */
	int status;			/* out: enum dns_status */
	int st4, st6;			/* per record type */
	size_t n;
	struct ipaddr ip[ADDRS_MAX];	/* IPv6 first, then IPv4 */
};

struct dnsres;

/* NULL on failure with *why set.  timeout_s bounds each lookup batch. */
struct dnsres *dnsres_open(const char *servers, unsigned int timeout_s,
    const char **why);
void dnsres_close(struct dnsres *d);

/* MX records of name, at most max, in the order received; *n the count.
 * Records whose target is not a valid host name are dropped. */
int dnsres_mx(struct dnsres *d, const char *name, struct mxrec *mx,
    size_t max, size_t *n);
/* A and AAAA of every hosts[i].name, all in parallel */
void dnsres_addrs(struct dnsres *d, struct hostaddrs *hosts, size_t nhosts);
/* A records only (DNSBL queries), the same way */
void dnsres_a(struct dnsres *d, struct hostaddrs *hosts, size_t nhosts);

const char *dns_status_str(int status);

#endif
