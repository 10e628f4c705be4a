/*
 * t_address.c -- unit tests for lib/address.c: every rule of the RFC 5321
 * path grammar, valid and invalid, the length boundaries 64/65, 255/256
 * and 256/257, UTF-8 handling, canonical forms and addr_parse_prefix.
 */
#include <stdio.h>
#include <string.h>

#include "address.h"
#include "tap.h"

/* parse s with flags; expect err, and when ADDR_OK the formatted form */
static void
expect(const char *s, int flags, int err, const char *canon)
{
	struct addr a;
	char out[ADDR_PATH_MAX + 3], name[400];
	int r;

	r = addr_parse(s, strlen(s), flags, &a);
	snprintf(name, sizeof name, "parse [%.300s] flags %d -> %s", s, flags,
	    addr_strerror(err));
	if (r != err) {
		CHECK(0, name);
		printf("# got %d (%s)\n", r, addr_strerror(r));
		return;
	}
	if (err == ADDR_OK && canon) {
		addr_format(&a, out);
		if (strcmp(out, canon)) {
			CHECK(0, name);
			printf("# canonical [%s], wanted [%s]\n", out, canon);
			return;
		}
	}
	CHECK(1, name);
}

#define OK(s, canon)	expect((s), 0, ADDR_OK, (canon))
#define BAD(s, e)	expect((s), 0, (e), 0)

static char *
repeat(char *buf, char c, size_t n)
{
	memset(buf, c, n);
	buf[n] = 0;
	return buf;
}

static void
test_basic(void)
{
	OK("<user@example.com>", "user@example.com");
	OK("<a@b>", "a@b");
	OK("<User.Name@Example.COM>", "User.Name@example.com");
	OK("<!#$%&'*+-/=?^_`{|}~@example.com>", "!#$%&'*+-/=?^_`{|}~@example.com");
	OK("<a.b.c@x-y.z9.example>", "a.b.c@x-y.z9.example");
	OK("<1@2>", "1@2");
	OK("<a@localhost>", "a@localhost");
	OK("<a@1.2.3.4>", "a@1.2.3.4");	/* all-digit labels are LDH */
	BAD("", ADDR_ESYNTAX);
	BAD("<", ADDR_ESYNTAX);
	BAD(">", ADDR_ESYNTAX);
	BAD("<a@b", ADDR_ESYNTAX);
	BAD("a@b>", ADDR_ESYNTAX);
	BAD("a@b", ADDR_ESYNTAX);		/* brackets required */
	BAD("<a@b> ", ADDR_ESYNTAX);		/* trailing bytes */
	BAD(" <a@b>", ADDR_ESYNTAX);
	BAD("<a@b>>", ADDR_ESYNTAX);
	BAD("<<a@b>>", ADDR_ESYNTAX);
	BAD("< a@b>", ADDR_ESYNTAX);
	BAD("<a@b >", ADDR_ESYNTAX);
	BAD("<a @b>", ADDR_ESYNTAX);
	BAD("<a@ b>", ADDR_EDOMAIN);
	BAD("<a>", ADDR_ESYNTAX);		/* no domain */
	BAD("<@b>", ADDR_ESYNTAX);
	BAD("<a@>", ADDR_EDOMAIN);
	BAD("<a@@b>", ADDR_EDOMAIN);
	BAD("<a@b@c>", ADDR_EDOMAIN);
	BAD("<a(comment)@b>", ADDR_ESYNTAX);
	BAD("<Name <a@b>>", ADDR_ESYNTAX);
	BAD("<a,b@c>", ADDR_ESYNTAX);
	BAD("<a;b@c>", ADDR_ESYNTAX);
	BAD("<a[b@c>", ADDR_ESYNTAX);
	BAD("<a\\b@c>", ADDR_ESYNTAX);
}

static void
test_dot_string(void)
{
	BAD("<.a@b>", ADDR_ESYNTAX);
	BAD("<a.@b>", ADDR_ESYNTAX);
	BAD("<a..b@b>", ADDR_ESYNTAX);
	BAD("<.@b>", ADDR_ESYNTAX);
	OK("<a.b@c>", "a.b@c");
}

static void
test_quoted(void)
{
	OK("<\"a\"@b>", "a@b");			/* valid dot-string: unquoted */
	OK("<\"a.b\"@b>", "a.b@b");
	OK("<\"a\\b\"@b>", "ab@b");		/* needless quoted-pair */
	OK("<\"a\\.b\"@b>", "a.b@b");
	OK("<\"a b\"@b>", "\"a b\"@b");		/* needs quotes */
	OK("<\"a\\ b\"@b>", "\"a b\"@b");
	OK("<\"a..b\"@b>", "\"a..b\"@b");
	OK("<\".a\"@b>", "\".a\"@b");
	OK("<\"a@b\"@c>", "\"a@b\"@c");
	OK("<\"a\\\"b\"@c>", "\"a\\\"b\"@c");	/* escaped quote stays */
	OK("<\"a\\\\b\"@c>", "\"a\\\\b\"@c");	/* escaped backslash stays */
	OK("<\"\"@c>", "\"\"@c");		/* empty quoted string */
	OK("<\"(x)\"@c>", "\"(x)\"@c");
	OK("<\"a\\~b\"@c>", "a~b@c");
	BAD("<\"a@b>", ADDR_ESYNTAX);		/* unterminated */
	BAD("<\"a\"b@c>", ADDR_ESYNTAX);	/* quote then atom */
	BAD("<a\"b\"@c>", ADDR_ESYNTAX);
	BAD("<\"a\".b@c>", ADDR_ESYNTAX);
	BAD("<\"a\\\"@c>", ADDR_ESYNTAX);	/* escaped closing quote */
	BAD("<\"a\tb\"@c>", ADDR_ESYNTAX);	/* tab is not qtextSMTP */
	BAD("<\"a\\\tb\"@c>", ADDR_ESYNTAX);	/* nor a quoted-pair */
	BAD("<\"a\rb\"@c>", ADDR_ESYNTAX);
	BAD("<\"a\x7f\"@c>", ADDR_ESYNTAX);
	BAD("<\"a\\", ADDR_ESYNTAX);
}

static void
test_controls(void)
{
	struct addr a;
	static const char nul[] = "<a\0b@c>";
	static const char nuld[] = "<ab@c\0d>";
	static const char nulq[] = "<\"a\0b\"@c>";
	char buf[32];
	int c, bad = 0;

	CHECK(addr_parse(nul, sizeof nul - 1, 0, &a) == ADDR_ESYNTAX,
	    "NUL in local part refused");
	CHECK(addr_parse(nuld, sizeof nuld - 1, 0, &a) == ADDR_ESYNTAX,
	    "NUL in domain refused");
	CHECK(addr_parse(nulq, sizeof nulq - 1, 0, &a) == ADDR_ESYNTAX,
	    "NUL in quoted string refused");
	for (c = 1; c < 32; c++) {
		snprintf(buf, sizeof buf, "<a%cb@c>", c);
		bad += addr_parse(buf, strlen(buf), ADDR_UTF8, &a) == ADDR_OK;
		snprintf(buf, sizeof buf, "<ab@c%cd>", c);
		bad += addr_parse(buf, strlen(buf), ADDR_UTF8, &a) == ADDR_OK;
		snprintf(buf, sizeof buf, "<\"a%cb\"@c>", c);
		bad += addr_parse(buf, strlen(buf), ADDR_UTF8, &a) == ADDR_OK;
	}
	CHECK(bad == 0, "every control character refused everywhere");
	BAD("<a\x7f@c>", ADDR_ESYNTAX);
	BAD("<a@c\x7f>", ADDR_ESYNTAX);
}

static void
test_domain(void)
{
	char buf[600], lab[80];

	BAD("<a@-b.c>", ADDR_EDOMAIN);
	BAD("<a@b-.c>", ADDR_EDOMAIN);
	BAD("<a@b.-c>", ADDR_EDOMAIN);
	BAD("<a@b.c->", ADDR_EDOMAIN);
	OK("<a@b--c.d>", "a@b--c.d");
	OK("<a@xn--bcher-kva.example>", "a@xn--bcher-kva.example");
	BAD("<a@b..c>", ADDR_EDOMAIN);
	BAD("<a@.b>", ADDR_EDOMAIN);
	BAD("<a@b.>", ADDR_EDOMAIN);		/* no trailing dot in SMTP */
	BAD("<a@b_c.d>", ADDR_EDOMAIN);
	BAD("<a@b*c>", ADDR_EDOMAIN);
	BAD("<a@b/c>", ADDR_EDOMAIN);
	BAD("<a@b%c>", ADDR_EDOMAIN);
	BAD("<a@\"b\">", ADDR_EDOMAIN);
	OK("<a@EXAMPLE.Org>", "a@example.org");
	/* label 63 ok, 64 not */
	snprintf(buf, sizeof buf, "<a@%s.com>", repeat(lab, 'x', 63));
	expect(buf, 0, ADDR_OK, 0);
	snprintf(buf, sizeof buf, "<a@%s.com>", repeat(lab, 'x', 64));
	expect(buf, 0, ADDR_EDOMAIN, 0);
	snprintf(buf, sizeof buf, "<a@com.%s>", repeat(lab, 'x', 64));
	expect(buf, 0, ADDR_EDOMAIN, 0);

	CHECK(domain_valid("example.com", 11), "domain_valid example.com");
	CHECK(domain_valid("a", 1), "domain_valid single label");
	CHECK(!domain_valid("", 0), "domain_valid empty");
	CHECK(!domain_valid(".", 1), "domain_valid dot");
	CHECK(!domain_valid("a.", 2), "domain_valid trailing dot");
	CHECK(!domain_valid("a b", 3), "domain_valid space");
	CHECK(!domain_valid("-a", 2), "domain_valid leading hyphen");
	CHECK(!domain_valid("a-", 2), "domain_valid trailing hyphen");
	CHECK(!domain_valid("[1.2.3.4]", 9), "domain_valid literal");
	CHECK(!domain_valid("b\xc3\xbc" "cher.de", 9), "domain_valid UTF-8");
	CHECK(!domain_valid("a\0b", 3), "domain_valid NUL");
	CHECK(domain_valid(repeat(lab, 'y', 63), 63), "domain_valid label 63");
	CHECK(!domain_valid(repeat(lab, 'y', 64), 64), "domain_valid label 64");
}

/* a domain of exactly n octets: labels of 63 joined by dots */
static void
make_domain(char *d, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		d[i] = (i % 64 == 63) ? '.' : 'd';
	if (d[n - 1] == '.')
		d[n - 1] = 'e';
	d[n] = 0;
}

static void
test_lengths(void)
{
	char local[80], dom[320], buf[700];
	struct addr a;

	/* local part 64 / 65 */
	snprintf(buf, sizeof buf, "<%s@b>", repeat(local, 'l', 64));
	expect(buf, 0, ADDR_OK, 0);
	snprintf(buf, sizeof buf, "<%s@b>", repeat(local, 'l', 65));
	expect(buf, 0, ADDR_ELOCALLONG, 0);
	/* a quoted local part counts with its quotes */
	snprintf(buf, sizeof buf, "<\"%s \"@b>", repeat(local, 'q', 61));
	expect(buf, 0, ADDR_OK, 0);
	snprintf(buf, sizeof buf, "<\"%s \"@b>", repeat(local, 'q', 62));
	expect(buf, 0, ADDR_ELOCALLONG, 0);
	snprintf(buf, sizeof buf, "<\"%s\"@b>", repeat(local, 'q', 63));
	expect(buf, 0, ADDR_ELOCALLONG, 0);
	snprintf(buf, sizeof buf, "<\"%s\"@b>", repeat(local, 'q', 62));
	expect(buf, 0, ADDR_OK, 0);

	/* domain 255 / 256 (255 fits no path, so bare-domain checks too) */
	make_domain(dom, 255);
	CHECK(domain_valid(dom, 255), "domain_valid 255 octets");
	snprintf(buf, sizeof buf, "<a@%s>", dom);
	expect(buf, 0, ADDR_EPATHLONG, 0);
	make_domain(dom, 256);
	CHECK(!domain_valid(dom, 256), "domain_valid 256 octets refused");
	snprintf(buf, sizeof buf, "<a@%s>", dom);
	expect(buf, 0, ADDR_EDOMAINLONG, 0);
	make_domain(dom, 300);
	snprintf(buf, sizeof buf, "<a@%s>", dom);
	expect(buf, 0, ADDR_EDOMAINLONG, 0);

	/* whole path 256 / 257: "<" 64 "@" 189 ">" = 256 */
	make_domain(dom, 189);
	snprintf(buf, sizeof buf, "<%s@%s>", repeat(local, 'l', 64), dom);
	CHECK(strlen(buf) == 256, "path of 256 built");
	expect(buf, 0, ADDR_OK, 0);
	CHECK(addr_parse(buf, 256, 0, &a) == ADDR_OK &&
	    a.local_len == 64 && a.domain_len == 189, "256 path lengths");
	make_domain(dom, 190);
	snprintf(buf, sizeof buf, "<%s@%s>", repeat(local, 'l', 64), dom);
	expect(buf, 0, ADDR_EPATHLONG, 0);
	/* a bare mailbox is measured as "<mailbox>" */
	make_domain(dom, 189);
	snprintf(buf, sizeof buf, "%s@%s", repeat(local, 'l', 64), dom);
	expect(buf, ADDR_NO_BRACKETS, ADDR_OK, 0);
	make_domain(dom, 190);
	snprintf(buf, sizeof buf, "%s@%s", repeat(local, 'l', 64), dom);
	expect(buf, ADDR_NO_BRACKETS, ADDR_EPATHLONG, 0);
	/* the source route counts toward the path */
	make_domain(dom, 180);
	snprintf(buf, sizeof buf, "<@r.example:%s@%s>", repeat(local, 'l', 64),
	    dom);
	expect(buf, 0, ADDR_EPATHLONG, 0);
}

static void
test_literals(void)
{
	OK("<a@[1.2.3.4]>", "a@[1.2.3.4]");
	OK("<a@[255.255.255.255]>", "a@[255.255.255.255]");
	OK("<a@[IPv6:::1]>", "a@[IPv6:::1]");
	OK("<a@[IPv6:2001:db8::1]>", "a@[IPv6:2001:db8::1]");
	OK("<a@[ipv6:2001:DB8::1]>", "a@[ipv6:2001:DB8::1]");	/* as written */
	OK("<a@[IPv6:::ffff:1.2.3.4]>", "a@[IPv6:::ffff:1.2.3.4]");
	OK("<a@[IPv6:1:2:3:4:5:6:7:8]>", "a@[IPv6:1:2:3:4:5:6:7:8]");
	BAD("<a@[1.2.3]>", ADDR_EDOMAIN);
	BAD("<a@[1.2.3.256]>", ADDR_EDOMAIN);
	BAD("<a@[1.2.3.4.5]>", ADDR_EDOMAIN);
	BAD("<a@[01.2.3.4]>", ADDR_EDOMAIN);
	BAD("<a@[ 1.2.3.4]>", ADDR_EDOMAIN);
	BAD("<a@[1.2.3.4>", ADDR_EDOMAIN);
	BAD("<a@1.2.3.4]>", ADDR_EDOMAIN);
	BAD("<a@[]>", ADDR_EDOMAIN);
	BAD("<a@[::1]>", ADDR_EDOMAIN);		/* IPv6 needs its tag */
	BAD("<a@[IPv6:1.2.3.4]>", ADDR_EDOMAIN);
	BAD("<a@[IPv6:]>", ADDR_EDOMAIN);
	BAD("<a@[IPv6:1:2:3:4:5:6:7:8:9]>", ADDR_EDOMAIN);
	BAD("<a@[IPv6:1::2::3]>", ADDR_EDOMAIN);
	BAD("<a@[IPv6:fe80::1%eth0]>", ADDR_EDOMAIN);
	BAD("<a@[IPv6::1]>", ADDR_EDOMAIN);
	BAD("<a@[x-tag:stuff]>", ADDR_EDOMAIN);	/* general literal */
	BAD("<a@[1.2.3.4].com>", ADDR_ESYNTAX);
	BAD("<a@[1.2.3.4]x>", ADDR_ESYNTAX);
	BAD("<a@x[1.2.3.4]>", ADDR_EDOMAIN);
	{
		struct addr a;

		CHECK(addr_parse("<a@[1.2.3.4]>", 13, 0, &a) == ADDR_OK &&
		    a.is_literal && a.has_domain && !a.is_null,
		    "literal flags");
		CHECK(addr_parse("<a@b.c>", 7, 0, &a) == ADDR_OK &&
		    !a.is_literal && a.has_domain, "domain flags");
	}
}

static void
test_route(void)
{
	OK("<@relay.example:a@b.c>", "a@b.c");
	OK("<@r1.example,@r2.example:a@b.c>", "a@b.c");
	OK("<@R1.Example,@r2:user@Dest.Example>", "user@dest.example");
	BAD("<@:a@b>", ADDR_EDOMAIN);
	BAD("<@r1,a@b>", ADDR_ESYNTAX);
	BAD("<@r1,:a@b>", ADDR_ESYNTAX);
	BAD("<@r1@r2:a@b>", ADDR_EDOMAIN);
	BAD("<@r1;@r2:a@b>", ADDR_EDOMAIN);
	BAD("<@r1 :a@b>", ADDR_ESYNTAX);
	BAD("<@-bad:a@b>", ADDR_EDOMAIN);
	BAD("<@[1.2.3.4]:a@b>", ADDR_EDOMAIN);
	BAD("<@r1:>", ADDR_ESYNTAX);
	BAD("<@r1:@r2:a@b>", ADDR_ESYNTAX);
	BAD("<@r1>", ADDR_ESYNTAX);
	BAD("<@r1:<>>", ADDR_ESYNTAX);
	expect("@r1:a@b", ADDR_NO_BRACKETS, ADDR_ESYNTAX, 0);
}

static void
test_null(void)
{
	struct addr a;
	char out[ADDR_PATH_MAX + 3];

	BAD("<>", ADDR_ENULL);
	expect("<>", ADDR_NULL_OK, ADDR_OK, "");
	CHECK(addr_parse("<>", 2, ADDR_NULL_OK, &a) == ADDR_OK && a.is_null &&
	    addr_format(&a, out) == 0 && out[0] == 0, "null path formats empty");
	expect("< >", ADDR_NULL_OK, ADDR_ESYNTAX, 0);
	expect("<> ", ADDR_NULL_OK, ADDR_ESYNTAX, 0);
	expect("<<>>", ADDR_NULL_OK, ADDR_ESYNTAX, 0);
	expect("<>", ADDR_NULL_OK | ADDR_NO_BRACKETS, ADDR_OK, "");
	expect("", ADDR_NULL_OK | ADDR_NO_BRACKETS, ADDR_OK, "");
	expect("", ADDR_NO_BRACKETS, ADDR_ENULL, 0);
	expect("<>", ADDR_NO_BRACKETS, ADDR_ENULL, 0);
	expect("<@r:>", ADDR_NULL_OK, ADDR_ESYNTAX, 0);
	CHECK(addr_parse("<a@b>", 5, ADDR_NULL_OK, &a) == ADDR_OK &&
	    !a.is_null, "NULL_OK still parses mailboxes");
}

static void
test_bare(void)
{
	struct addr a;

	expect("a@b.c", ADDR_NO_BRACKETS, ADDR_OK, "a@b.c");
	expect("<a@b.c>", ADDR_NO_BRACKETS, ADDR_ESYNTAX, 0);
	expect("a@b.c>", ADDR_NO_BRACKETS, ADDR_ESYNTAX, 0);
	expect("\"x y\"@B.C", ADDR_NO_BRACKETS, ADDR_OK, "\"x y\"@b.c");
	expect("postmaster", ADDR_NO_BRACKETS, ADDR_ESYNTAX, 0);
	expect("postmaster", ADDR_NO_BRACKETS | ADDR_LOCAL_OK, ADDR_OK,
	    "postmaster");
	expect("<postmaster>", ADDR_LOCAL_OK, ADDR_OK, "postmaster");
	expect("<Postmaster>", 0, ADDR_ESYNTAX, 0);
	expect("a@", ADDR_NO_BRACKETS | ADDR_LOCAL_OK, ADDR_EDOMAIN, 0);
	expect("a.", ADDR_NO_BRACKETS | ADDR_LOCAL_OK, ADDR_ESYNTAX, 0);
	CHECK(addr_parse("joe", 3, ADDR_NO_BRACKETS | ADDR_LOCAL_OK, &a) ==
	    ADDR_OK && !a.has_domain && a.domain_len == 0 && !a.domain[0],
	    "bare local part has no domain");
}

static void
test_utf8(void)
{
	struct addr a;
	/* "jörg@bücher.example" */
	static const char u[] = "<j\xc3\xb6rg@b\xc3\xbc" "cher.example>";
	static const char uq[] = "<\"j\xc3\xb6 rg\"@b.example>";

	BAD(u, ADDR_E8BIT);
	BAD(uq, ADDR_E8BIT);
	BAD("<a@b\xc3\xbc.c>", ADDR_E8BIT);
	expect(u, ADDR_UTF8, ADDR_OK, "j\xc3\xb6rg@b\xc3\xbc" "cher.example");
	expect(uq, ADDR_UTF8, ADDR_OK, "\"j\xc3\xb6 rg\"@b.example");
	CHECK(addr_parse(u, strlen(u), ADDR_UTF8, &a) == ADDR_OK && a.is_utf8,
	    "is_utf8 set");
	CHECK(addr_parse("<a@b>", 5, ADDR_UTF8, &a) == ADDR_OK && !a.is_utf8,
	    "is_utf8 clear for ASCII");
	/* upper-case ASCII lowered, non-ASCII kept in a U-label */
	expect("<x@B\xc3\x9c" "CHER.de>", ADDR_UTF8, ADDR_OK,
	    "x@b\xc3\x9c" "cher.de");
	/* 3- and 4-octet sequences */
	expect("<\xe2\x82\xac@x>", ADDR_UTF8, ADDR_OK, "\xe2\x82\xac@x");
	expect("<\xf0\x9f\x98\x80@x>", ADDR_UTF8, ADDR_OK, "\xf0\x9f\x98\x80@x");
	/* bad UTF-8 of every kind */
	expect("<\xc3@x>", ADDR_UTF8, ADDR_E8BIT, 0);		/* truncated */
	expect("<\xc3(@x>", ADDR_UTF8, ADDR_E8BIT, 0);		/* bad continuation */
	expect("<\x80@x>", ADDR_UTF8, ADDR_E8BIT, 0);		/* lone continuation */
	expect("<\xc0\xaf@x>", ADDR_UTF8, ADDR_E8BIT, 0);	/* overlong '/' */
	expect("<\xe0\x80\xaf@x>", ADDR_UTF8, ADDR_E8BIT, 0);	/* overlong */
	expect("<\xf0\x80\x80\xaf@x>", ADDR_UTF8, ADDR_E8BIT, 0); /* overlong */
	expect("<\xed\xa0\x80@x>", ADDR_UTF8, ADDR_E8BIT, 0);	/* surrogate */
	expect("<\xf4\x90\x80\x80@x>", ADDR_UTF8, ADDR_E8BIT, 0); /* > 10FFFF */
	expect("<\xf5\x80\x80\x80@x>", ADDR_UTF8, ADDR_E8BIT, 0);
	expect("<\xff@x>", ADDR_UTF8, ADDR_E8BIT, 0);
	expect("<\xc2\x85@x>", ADDR_UTF8, ADDR_E8BIT, 0);	/* C1 control NEL */
	expect("<a@\xc3>", ADDR_UTF8, ADDR_E8BIT, 0);
	expect("<\"\xc3\"@x>", ADDR_UTF8, ADDR_E8BIT, 0);
	expect("<\"\\\xc3\xb6\"@x>", ADDR_UTF8, ADDR_E8BIT, 0);	/* pair is ASCII only */
	expect("<a@[IPv6:\xc3\xb6]>", ADDR_UTF8, ADDR_EDOMAIN, 0);
	/* UTF-8 in a discarded source route does not make the address UTF-8 */
	CHECK(addr_parse("<@r\xc3\xb6.de:x@y>", 13, ADDR_UTF8, &a) == ADDR_OK &&
	    !a.is_utf8, "is_utf8 ignores the source route");
	expect("<@r\xc3\xb6.de:x@y>", 0, ADDR_E8BIT, 0);
	/* a quoted UTF-8 dot-string loses its quotes */
	expect("<\"j\xc3\xb6rg\"@x>", ADDR_UTF8, ADDR_OK, "j\xc3\xb6rg@x");
}

static void
test_prefix(void)
{
	struct addr a;
	size_t used = 99;
	const char *s;

	s = "<a@b.c> SIZE=1000 BODY=8BITMIME";
	CHECK(addr_parse_prefix(s, strlen(s), 0, &a, &used) == ADDR_OK &&
	    used == 7 && !strcmp(a.domain, "b.c"), "prefix with parameters");
	s = "<> SIZE=10";
	CHECK(addr_parse_prefix(s, strlen(s), ADDR_NULL_OK, &a, &used) ==
	    ADDR_OK && used == 2 && a.is_null, "prefix null path");
	s = "<a@b.c>";
	CHECK(addr_parse_prefix(s, strlen(s), 0, &a, &used) == ADDR_OK &&
	    used == 7, "prefix whole input");
	s = "<\"a> b\"@c> X=1";
	CHECK(addr_parse_prefix(s, strlen(s), 0, &a, &used) == ADDR_OK &&
	    used == 10 && !strcmp(a.local, "\"a> b\""),
	    "prefix: '>' inside quotes is not the end");
	s = "<a@b.c SIZE=1";
	CHECK(addr_parse_prefix(s, strlen(s), 0, &a, &used) == ADDR_ESYNTAX,
	    "prefix: unclosed path refused");
	s = "a@b.c SIZE=1";
	CHECK(addr_parse_prefix(s, strlen(s), ADDR_NO_BRACKETS, &a, &used) ==
	    ADDR_OK && used == 5, "prefix bare mailbox stops at space");
	s = "<a@[1.2.3.4]>X";
	CHECK(addr_parse_prefix(s, strlen(s), 0, &a, &used) == ADDR_OK &&
	    used == 13, "prefix literal");
	used = 99;
	s = "<a@b..c> X";
	CHECK(addr_parse_prefix(s, strlen(s), 0, &a, &used) == ADDR_EDOMAIN &&
	    used == 0, "prefix error leaves used 0");
	CHECK(addr_parse_prefix("", 0, 0, &a, &used) == ADDR_ESYNTAX,
	    "prefix empty");
}

static void
test_strerror(void)
{
	int e, distinct = 1;

	for (e = ADDR_OK; e <= ADDR_E8BIT; e++)
		if (!addr_strerror(e) || !*addr_strerror(e) ||
		    (e && !strcmp(addr_strerror(e), addr_strerror(ADDR_OK))))
			distinct = 0;
	CHECK(distinct, "every error has a message");
	CHECK(addr_strerror(999) != 0, "unknown error has a message");
}

/* the struct is fully reset on failure: no stale data leaks through */
static void
test_reset(void)
{
	struct addr a;

	addr_parse("<x@y>", 5, 0, &a);
	CHECK(addr_parse("<x@y> ", 6, 0, &a) == ADDR_ESYNTAX &&
	    a.local_len == 0 && a.local[0] == 0, "struct cleared on error");
}

int
main(void)
{
	test_basic();
	test_dot_string();
	test_quoted();
	test_controls();
	test_domain();
	test_lengths();
	test_literals();
	test_route();
	test_null();
	test_bare();
	test_utf8();
	test_prefix();
	test_strerror();
	test_reset();
	return TAP_DONE();
}
