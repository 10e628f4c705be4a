/*
 * t_netaddr.c -- unit tests for lib/netaddr.c: IP parsing and formatting,
 * CIDR parsing and matching (with IPv4-mapped addresses), host[:port]
 * strings and relay-list matching.
 */
#include <stdio.h>
#include <string.h>

#include "netaddr.h"
#include "tap.h"

static int
ip_ok(const char *s, int family)
{
	struct ipaddr ip;

	return ip_parse(s, strlen(s), &ip) && ip.family == family;
}

static int
ip_bad(const char *s)
{
	struct ipaddr ip;

	return !ip_parse(s, strlen(s), &ip);
}

static void
test_ip(void)
{
	struct ipaddr ip;
	char out[46];
	static const char nul[] = "1.2.3.4\0";
	char longs[100];

	CHECK(ip_ok("1.2.3.4", 4), "ip 1.2.3.4");
	CHECK(ip_ok("0.0.0.0", 4), "ip 0.0.0.0");
	CHECK(ip_ok("255.255.255.255", 4), "ip 255.255.255.255");
	CHECK(ip_ok("::1", 6), "ip ::1");
	CHECK(ip_ok("::", 6), "ip ::");
	CHECK(ip_ok("2001:db8::1", 6), "ip 2001:db8::1");
	CHECK(ip_ok("2001:DB8:0:0:0:0:0:1", 6), "ip upper-case v6");
	CHECK(ip_ok("::ffff:10.1.2.3", 6), "ip v4-mapped");
	CHECK(ip_ok("1:2:3:4:5:6:7:8", 6), "ip full v6");
	CHECK(ip_ok("0000:0000:0000:0000:0000:ffff:255.255.255.255", 6),
	    "ip longest text (45)");
	CHECK(ip_bad(""), "ip empty");
	CHECK(ip_bad("1.2.3"), "ip 3 octets");
	CHECK(ip_bad("1.2.3.4.5"), "ip 5 octets");
	CHECK(ip_bad("1.2.3.256"), "ip octet 256");
	CHECK(ip_bad("01.2.3.4"), "ip leading zero");
	CHECK(ip_bad("0x1.2.3.4"), "ip hex");
	CHECK(ip_bad("1.2.3.4 "), "ip trailing space");
	CHECK(ip_bad(" 1.2.3.4"), "ip leading space");
	CHECK(ip_bad("1.2.3.4/8"), "ip with prefix");
	CHECK(ip_bad("1::2::3"), "ip two ::");
	CHECK(ip_bad("1:2:3:4:5:6:7:8:9"), "ip 9 groups");
	CHECK(ip_bad("fe80::1%eth0"), "ip zone index");
	CHECK(ip_bad("[::1]"), "ip brackets");
	CHECK(ip_bad("12345::1"), "ip group too long");
	CHECK(ip_bad("localhost"), "ip name");
	CHECK(!ip_parse(nul, sizeof nul - 1, &ip), "ip trailing NUL");
	memset(longs, '1', sizeof longs);
	CHECK(!ip_parse(longs, sizeof longs, &ip), "ip 100 octets");
	CHECK(!ip_parse("1.2.3.4", 0, &ip), "ip length 0");
	CHECK(ip_parse("1.2.3.45", 7, &ip) && ip.a[3] == 4,
	    "ip honours the length");

	CHECK(ip_parse("10.20.30.40", 11, &ip) && ip_format(&ip, out) == 11 &&
	    !strcmp(out, "10.20.30.40"), "format v4");
	CHECK(ip_parse("2001:DB8:0:0:0:0:0:1", 20, &ip) &&
	    ip_format(&ip, out) == 11 && !strcmp(out, "2001:db8::1"),
	    "format v6 canonical");
}

static int
cidr_ok(const char *s, unsigned int bits)
{
	struct cidr c;

	return cidr_parse(s, strlen(s), &c) && c.bits == bits;
}

static int
cidr_bad(const char *s)
{
	struct cidr c;

	return !cidr_parse(s, strlen(s), &c);
}

/* 1 if ip is inside the block */
static int
in(const char *block, const char *ipt)
{
	struct cidr c;
	struct ipaddr ip;

	if (!cidr_parse(block, strlen(block), &c) ||
	    !ip_parse(ipt, strlen(ipt), &ip)) {
		printf("# bad test input %s %s\n", block, ipt);
		return -1;
	}
	return cidr_match(&c, &ip);
}

static void
test_cidr(void)
{
	CHECK(cidr_ok("10.0.0.0/8", 8), "cidr /8");
	CHECK(cidr_ok("1.2.3.4", 32), "cidr host v4");
	CHECK(cidr_ok("1.2.3.4/32", 32), "cidr /32");
	CHECK(cidr_ok("0.0.0.0/0", 0), "cidr /0");
	CHECK(cidr_ok("::1", 128), "cidr host v6");
	CHECK(cidr_ok("2001:db8::/32", 32), "cidr v6 /32");
	CHECK(cidr_ok("::/0", 0), "cidr v6 /0");
	CHECK(cidr_ok("10.128.0.0/9", 9), "cidr /9");
	CHECK(cidr_bad("10.0.0.1/8"), "cidr host bits set");
	CHECK(cidr_bad("10.128.0.0/8"), "cidr host bit 9 set");
	CHECK(cidr_bad("10.0.0.0/33"), "cidr /33");
	CHECK(cidr_bad("::/129"), "cidr /129");
	CHECK(cidr_bad("10.0.0.0/"), "cidr empty bits");
	CHECK(cidr_bad("10.0.0.0/08"), "cidr leading zero bits");
	CHECK(cidr_bad("10.0.0.0/-8"), "cidr negative");
	CHECK(cidr_bad("10.0.0.0/8/8"), "cidr two slashes");
	CHECK(cidr_bad("10.0.0.0/ 8"), "cidr space");
	CHECK(cidr_bad("10.0.0/8"), "cidr short address");
	CHECK(cidr_bad("/8"), "cidr no address");
	CHECK(cidr_bad(""), "cidr empty");
	CHECK(cidr_bad("2001:db8::1/32"), "cidr v6 host bits");

	CHECK(in("10.0.0.0/8", "10.1.2.3") == 1, "match v4");
	CHECK(in("10.0.0.0/8", "11.0.0.0") == 0, "no match v4");
	CHECK(in("10.0.0.0/8", "9.255.255.255") == 0, "no match v4 below");
	CHECK(in("10.128.0.0/9", "10.127.255.255") == 0, "/9 lower half");
	CHECK(in("10.128.0.0/9", "10.128.0.0") == 1, "/9 upper half");
	CHECK(in("1.2.3.4", "1.2.3.4") == 1, "host match");
	CHECK(in("1.2.3.4", "1.2.3.5") == 0, "host no match");
	CHECK(in("0.0.0.0/0", "200.1.1.1") == 1, "v4 /0 matches all v4");
	CHECK(in("0.0.0.0/0", "2001:db8::1") == 0, "v4 /0 not v6");
	CHECK(in("::/0", "1.2.3.4") == 0, "v6 /0 not v4");
	CHECK(in("10.0.0.0/8", "::ffff:10.9.8.7") == 1, "mapped v6 in v4 block");
	CHECK(in("10.0.0.0/8", "::ffff:11.9.8.7") == 0, "mapped v6 outside");
	CHECK(in("::ffff:10.0.0.0/104", "10.1.2.3") == 1,
	    "mapped block matches v4");
	CHECK(in("::ffff:10.0.0.0/104", "11.1.2.3") == 0,
	    "mapped block rejects other v4");
	CHECK(in("10.0.0.0/8", "::10.1.2.3") == 0, "compatible form not mapped");
	CHECK(in("2001:db8::/32", "2001:db8:ffff::1") == 1, "match v6");
	CHECK(in("2001:db8::/32", "2001:db9::1") == 0, "no match v6");
	CHECK(in("2001:db8::/33", "2001:db8:8000::1") == 0, "v6 /33");
	CHECK(in("::1", "::1") == 1, "v6 host");
}

static int
hp(const char *s, unsigned int defport, const char *host, unsigned int port,
    int is_ip)
{
	struct hostport h;

	if (!hostport_parse(s, strlen(s), defport, &h))
		return 0;
	return !strcmp(h.host, host) && h.port == port && h.is_ip == is_ip;
}

static int
hp_bad(const char *s)
{
	struct hostport h;

	return !hostport_parse(s, strlen(s), 25, &h);
}

static void
test_hostport(void)
{
	struct hostport h;
	char buf[300];

	CHECK(hp("mx.example.com", 25, "mx.example.com", 25, 0), "host");
	CHECK(hp("mx.example.com:587", 25, "mx.example.com", 587, 0),
	    "host:port");
	CHECK(hp("1.2.3.4", 53, "1.2.3.4", 53, 1), "ip");
	CHECK(hp("1.2.3.4:5353", 53, "1.2.3.4", 5353, 1), "ip:port");
	CHECK(hp("::1", 53, "::1", 53, 1), "bare v6");
	CHECK(hp("[::1]", 53, "::1", 53, 1), "[v6]");
	CHECK(hp("[::1]:5353", 53, "::1", 5353, 1), "[v6]:port");
	CHECK(hp("[1.2.3.4]:26", 25, "1.2.3.4", 26, 1), "[v4]:port");
	CHECK(hp("h:1", 25, "h", 1, 0), "port 1");
	CHECK(hp("h:65535", 25, "h", 65535, 0), "port 65535");
	CHECK(hp_bad("h:0"), "port 0");
	CHECK(hp_bad("h:65536"), "port 65536");
	CHECK(hp_bad("h:123456"), "port 6 digits");
	CHECK(hp_bad("h:"), "empty port");
	CHECK(hp_bad("h:-1"), "negative port");
	CHECK(hp_bad("h:+25"), "signed port");
	CHECK(hp_bad("h:2 5"), "space in port");
	CHECK(hp_bad(":25"), "empty host");
	CHECK(hp_bad(""), "empty");
	CHECK(hp_bad("[]:25"), "empty brackets");
	CHECK(hp_bad("[::1"), "unclosed bracket");
	CHECK(hp_bad("[::1]25"), "no colon after bracket");
	CHECK(hp_bad("[::1]:"), "empty port after bracket");
	CHECK(hp_bad("[mx.example.com]:25"), "name in brackets");
	CHECK(hp_bad("bad_host:25"), "underscore host");
	CHECK(hp_bad("-bad.example"), "hyphen host");
	CHECK(hp_bad("host.example."), "trailing dot host");
	CHECK(hp_bad("a b"), "space in host");
	CHECK(hp_bad("1.2.3.4:25:26"), "two ports");
	CHECK(hp_bad("fe80::1%eth0"), "zone index");
	memset(buf, 'a', 256);
	buf[256] = 0;
	CHECK(hp_bad(buf), "256-octet host");
	CHECK(hostport_parse("h", 1, 0, &h) && h.port == 0,
	    "default port passed through");

	CHECK(hostport_parse_ip("127.0.0.1:53", 12, 53, &h) && h.is_ip &&
	    h.port == 53, "parse_ip v4");
	CHECK(hostport_parse_ip("[::1]:5300", 10, 53, &h) && h.port == 5300 &&
	    h.ip.family == 6, "parse_ip [v6]:port");
	CHECK(!hostport_parse_ip("dns.example", 11, 53, &h),
	    "parse_ip refuses names");
	CHECK(!hostport_parse_ip("dns.example:53", 14, 53, &h),
	    "parse_ip refuses name:port");
}

static void
test_list(void)
{
	static const char lines[] = "127.0.0.0/8\0garbage\0" "10.1.0.0/16\0::1";
	size_t len = sizeof lines - 1;	/* last line without NUL */

	CHECK(cidr_list_match(lines, len, "127.0.0.1"), "list loopback");
	CHECK(cidr_list_match(lines, len, "10.1.200.3"), "list second block");
	CHECK(cidr_list_match(lines, len, "::1"), "list last line unterminated");
	CHECK(cidr_list_match(lines, len, "::ffff:127.1.2.3"), "list mapped");
	CHECK(!cidr_list_match(lines, len, "10.2.0.1"), "list no match");
	CHECK(!cidr_list_match(lines, len, "garbage"), "list bad ip text");
	CHECK(!cidr_list_match(lines, len, ""), "list empty ip");
	CHECK(!cidr_list_match("", 0, "127.0.0.1"), "empty list");
	CHECK(!cidr_list_match(lines, 4, "127.0.0.1"),
	    "list honours its length");
}

int
main(void)
{
	test_ip();
	test_cidr();
	test_hostport();
	test_list();
	return TAP_DONE();
}
