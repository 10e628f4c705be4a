/*
 * fuzz_netaddr.c -- libFuzzer target for the IP, CIDR, host:port and
 * relay-list parsers, and milter socket addresses.  Whatever parses must format and parse back to the
 * same value, a block must contain its own network address, and ports
 * and host names must stay in their bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netaddr.h"

static void
check_ip(const char *s, size_t len)
{
	struct ipaddr ip, back;
	char out[46];
	size_t n;

	if (!ip_parse(s, len, &ip))
		return;
	if (ip.family != 4 && ip.family != 6)
		abort();
	n = ip_format(&ip, out);
	if (!n || n != strlen(out) || !ip_parse(out, n, &back) ||
	    back.family != ip.family || memcmp(back.a, ip.a, 16))
		abort();
}

static void
check_cidr(const char *s, size_t len)
{
	struct cidr c;

	if (!cidr_parse(s, len, &c))
		return;
	if (c.bits > (c.net.family == 6 ? 128u : 32u) ||
	    !cidr_match(&c, &c.net))
		abort();
}

static void
check_hostport(const char *s, size_t len)
{
	struct hostport hp;
	struct ipaddr ip;

	if (hostport_parse(s, len, 25, &hp)) {
		if (hp.port < 1 || hp.port > 65535 || !hp.host[0] ||
		    strlen(hp.host) >= sizeof hp.host)
			abort();
		if (hp.is_ip != ip_parse(hp.host, strlen(hp.host), &ip))
			abort();
	}
	if (hostport_parse_ip(s, len, 53, &hp) && !hp.is_ip)
		abort();
}

static void
check_sockspec(const char *s, size_t len)
{
	struct sockspec sp;

	if (!sockspec_parse(s, len, &sp))
		return;
	if (sp.is_unix ? (sp.path[0] != '/' || strlen(sp.path) >= sizeof sp.path) :
	    (!sp.hp.is_ip || sp.hp.port < 1 || sp.hp.port > 65535))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size ? size : 1);	/* exact size for ASan */

	if (!s)
		return 0;
	memcpy(s, data, size);
	check_ip(s, size);
	check_cidr(s, size);
	check_hostport(s, size);
	check_sockspec(s, size);
	(void)cidr_list_match(s, size, "10.1.2.3");
	(void)cidr_list_match(s, size, "::ffff:192.0.2.1");
	free(s);
	return 0;
}
