/*
 * t_hdraddr.c -- unit tests of the address-list header parser used by
 * sluice-sendmail -t (queue/hdraddr.c).
 */
#include <string.h>

#include "tap.h"
#include "../../queue/hdraddr.h"

static char got[4096];

static int
collect(void *ctx, const char *a, size_t len)
{
	if (strlen(got) + len + 2 >= sizeof got)
		return 0;
	strncat(got, a, len);
	strcat(got, "|");
	return 1;
}

static int
parse(const char *v)
{
	got[0] = 0;
	return hdr_addrs(v, strlen(v), collect, 0);
}

int
main(void)
{
	char big[HDRADDR_MAX + 10];

	CHECK(parse(" a@b") && !strcmp(got, "a@b|"), "bare address");
	CHECK(parse("a@b, c@d ,e@f") && !strcmp(got, "a@b|c@d|e@f|"), "list");
	CHECK(parse("\"Doe, John\" <jd@x>, Jane <j@y>") &&
	    !strcmp(got, "jd@x|j@y|"), "display names with commas");
	CHECK(parse("a@b (comment, with comma), (c) d@e") &&
	    !strcmp(got, "a@b|d@e|"), "comments");
	CHECK(parse("x@y (nested (deep) comment)") && !strcmp(got, "x@y|"),
	    "nested comment");
	CHECK(parse("team: a@b, c@d;, e@f") && !strcmp(got, "a@b|c@d|e@f|"),
	    "group");
	CHECK(parse("undisclosed-recipients:;") && !strcmp(got, ""),
	    "empty group");
	CHECK(parse("\"odd,\\\"name\" <q@r>") && !strcmp(got, "q@r|"),
	    "escaped quote");
	CHECK(parse("\"quoted local\"@x") && !strcmp(got, "\"quoted local\"@x|"),
	    "quoted local part kept");
	CHECK(parse("u@[IPv6:::1]") && !strcmp(got, "u@[IPv6:::1]|"),
	    "colon in a domain literal");
	CHECK(parse("a@b,\n\tc@d") && !strcmp(got, "a@b|c@d|"), "folded");
	CHECK(!parse("<a@b"), "unbalanced angle");
	CHECK(!parse("\"a@b"), "unbalanced quote");
	CHECK(!parse("a@b (x"), "unbalanced comment");
	CHECK(!parse("<<a@b>>"), "nested angle");
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = 0;
	CHECK(!parse(big), "too long");
	return TAP_DONE();
}
