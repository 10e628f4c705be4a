/*
 * netaddr.c -- IP addresses, CIDR blocks and host[:port] strings
 * (netaddr.h).  Pure functions over bytes: no I/O, no DNS.
 *
 * Addresses are parsed by inet_pton on a bounded, NUL-terminated copy:
 * IPv4 only as four decimal octets without leading zeros, IPv6 in any
 * RFC 4291 text form (including a trailing dotted quad), never with a
 * zone index.  Anything longer than an address can be is refused before
 * it is copied.
 *
 * For matching, an IPv4-mapped IPv6 address (::ffff:a.b.c.d) is the IPv4
 * address a.b.c.d, and a block ::ffff:0:0/96+n is the IPv4 block /n, so
 * "10.0.0.0/8" matches both "10.1.2.3" and "::ffff:10.1.2.3".
 */
#include <arpa/inet.h>
#include <string.h>

#include "netaddr.h"
#include "address.h"

#define IPTEXT_MAX 45	/* longest IPv6 text, without the NUL */

int
ip_parse(const char *s, size_t len, struct ipaddr *ip)
{
	char buf[IPTEXT_MAX + 1];

	if (len == 0 || len > IPTEXT_MAX || memchr(s, 0, len))
		return 0;
	memcpy(buf, s, len);
	buf[len] = 0;
	memset(ip, 0, sizeof *ip);
	if (memchr(buf, ':', len)) {
		if (inet_pton(AF_INET6, buf, ip->a) != 1)
			return 0;
		ip->family = 6;
	} else {
		if (inet_pton(AF_INET, buf, ip->a) != 1)
			return 0;
		ip->family = 4;
	}
	return 1;
}

size_t
ip_format(const struct ipaddr *ip, char *out)
{
	if (!inet_ntop(ip->family == 6 ? AF_INET6 : AF_INET, ip->a, out, 46)) {
		out[0] = 0;
		return 0;
	}
	return strlen(out);
}

static const unsigned char v4mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

/* an IPv4-mapped IPv6 address becomes the IPv4 address */
static void
ip_unmap(struct ipaddr *ip)
{
	if (ip->family == 6 && !memcmp(ip->a, v4mapped, 12)) {
		memmove(ip->a, ip->a + 12, 4);
		memset(ip->a + 4, 0, 12);
		ip->family = 4;
	}
}

/* 1 if the first bits of a and b agree */
static int
prefix_equal(const unsigned char *a, const unsigned char *b,
    unsigned int bits)
{
	unsigned int whole = bits / 8, rest = bits % 8;
	unsigned char mask;

	if (memcmp(a, b, whole))
		return 0;
	if (!rest)
		return 1;
	mask = (unsigned char)(0xff << (8 - rest));
	return (a[whole] & mask) == (b[whole] & mask);
}

/* decimal 0..max with 1 to 3 digits and no leading zero; 1 ok */
static int
parse_small_uint(const char *s, size_t len, unsigned int max,
    unsigned int *out)
{
	unsigned int v = 0;
	size_t i;

	if (len == 0 || len > 3 || (len > 1 && s[0] == '0'))
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (unsigned int)(s[i] - '0');
	}
	if (v > max)
		return 0;
	*out = v;
	return 1;
}

int
cidr_parse(const char *s, size_t len, struct cidr *c)
{
	const char *slash = memchr(s, '/', len);
	size_t iplen = slash ? (size_t)(slash - s) : len;
	unsigned int max, i;

	if (!ip_parse(s, iplen, &c->net))
		return 0;
	max = c->net.family == 6 ? 128 : 32;
	c->bits = max;
	if (slash && !parse_small_uint(slash + 1, len - iplen - 1, max,
	    &c->bits))
		return 0;
	/* host bits must be zero */
	for (i = c->bits; i < max; i++)
		if (c->net.a[i / 8] & (0x80 >> (i % 8)))
			return 0;
	return 1;
}

int
cidr_match(const struct cidr *c, const struct ipaddr *ip)
{
	struct cidr n = *c;
	struct ipaddr x = *ip;

	ip_unmap(&x);
	if (n.net.family == 6 && n.bits >= 96 &&
	    !memcmp(n.net.a, v4mapped, 12)) {
		ip_unmap(&n.net);
		n.bits -= 96;
	}
	if (n.net.family != x.family)
		return 0;
	return prefix_equal(n.net.a, x.a, n.bits);
}

/* decimal port 1..65535, 1 to 5 digits; 1 ok */
static int
parse_port(const char *s, size_t len, unsigned int *port)
{
	unsigned long v = 0;
	size_t i;

	if (len == 0 || len > 5)
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return 0;
	*port = (unsigned int)v;
	return 1;
}

/* split s into host text and port; brackets stripped.  1 ok */
static int
split_hostport(const char *s, size_t len, unsigned int defport,
    const char **host, size_t *hostlen, int *bracketed, unsigned int *port)
{
	const char *colon, *close;

	*port = defport;
	*bracketed = 0;
	if (len && s[0] == '[') {
		close = memchr(s, ']', len);
		if (!close)
			return 0;
		*host = s + 1;
		*hostlen = (size_t)(close - s) - 1;
		*bracketed = 1;
		len -= (size_t)(close - s) + 1;
		if (!len)
			return 1;
		return close[1] == ':' && parse_port(close + 2, len - 1, port);
	}
	*host = s;
	*hostlen = len;
	colon = memchr(s, ':', len);
	/* more than one colon: a bare IPv6 address, no port */
	if (!colon || memchr(colon + 1, ':', len - (size_t)(colon - s) - 1))
		return 1;
	*hostlen = (size_t)(colon - s);
	return parse_port(colon + 1, len - *hostlen - 1, port);
}

int
hostport_parse(const char *s, size_t len, unsigned int defport,
    struct hostport *hp)
{
	const char *host;
	size_t hostlen;
	int bracketed;

	memset(hp, 0, sizeof *hp);
	if (!split_hostport(s, len, defport, &host, &hostlen, &bracketed,
	    &hp->port))
		return 0;
	if (hostlen == 0 || hostlen >= sizeof hp->host)
		return 0;
	if (ip_parse(host, hostlen, &hp->ip))
		hp->is_ip = 1;
	else if (bracketed || !domain_valid(host, hostlen))
		return 0;
	memcpy(hp->host, host, hostlen);
	hp->host[hostlen] = 0;
	return 1;
}

int
hostport_parse_ip(const char *s, size_t len, unsigned int defport,
    struct hostport *hp)
{
	if (!hostport_parse(s, len, defport, hp))
		return 0;
	if (!hp->is_ip) {
		memset(hp, 0, sizeof *hp);
		return 0;
	}
	return 1;
}

int
cidr_list_match(const char *lines, size_t len, const char *iptext)
{
	struct ipaddr ip;
	struct cidr c;
	size_t i = 0, n;
	const char *end;

	if (!ip_parse(iptext, strlen(iptext), &ip))
		return 0;
	while (i < len) {
		end = memchr(lines + i, 0, len - i);
		n = end ? (size_t)(end - (lines + i)) : len - i;
		if (cidr_parse(lines + i, n, &c) && cidr_match(&c, &ip))
			return 1;
		i += n + 1;
	}
	return 0;
}

int
sockspec_parse(const char *s, size_t len, struct sockspec *sp)
{
	size_t i;

	memset(sp, 0, sizeof *sp);
	if (len > 5 && !memcmp(s, "unix:", 5)) {
		if (s[5] != '/' || len - 5 >= sizeof sp->path)
			return 0;
		for (i = 5; i < len; i++)
			if ((unsigned char)s[i] <= 32 || (unsigned char)s[i] == 127 ||
			    s[i] == ',')
				return 0;
		memcpy(sp->path, s + 5, len - 5);
		sp->is_unix = 1;
		return 1;
	}
	if (len > 5 && !memcmp(s, "inet:", 5))
		return hostport_parse_ip(s + 5, len - 5, 0, &sp->hp) &&
		    sp->hp.port != 0;
	return 0;
}
