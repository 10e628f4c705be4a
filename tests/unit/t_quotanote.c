/*
 * t_quotanote.c -- unit tests for the quota note format (lib/quotanote.h).
 */
#include <string.h>

#include "quotanote.h"
#include "tap.h"

int
main(void)
{
	struct quotanote n;

	CHECK(quotanote_parse("9500 10000 near\n", 16, &n) && n.used == 9500 &&
	    n.quota == 10000 && !n.full, "near note");
	CHECK(quotanote_parse("10 10000 full\n", 14, &n) && n.full, "full note");
	CHECK(!quotanote_parse("10 10000 full", 13, &n), "no newline");
	CHECK(!quotanote_parse("10 10000 empty\n", 15, &n), "bad state");
	CHECK(!quotanote_parse("-1 10000 near\n", 14, &n), "negative");
	CHECK(!quotanote_parse("10  10000 near\n", 15, &n), "two spaces");
	CHECK(!quotanote_parse("99999999999999999999 1 near\n", 28, &n),
	    "too many digits");
	CHECK(!quotanote_parse("10 10000 near\nx", 15, &n), "trailing bytes");
	CHECK(!quotanote_parse("", 0, &n), "empty");
	CHECK(quota_is_near(9000, 10000) && !quota_is_near(8999, 10000),
	    "90 % is near, just below is not");
	CHECK(!quota_is_near(5, 0), "no quota is never near");
	CHECK(quota_is_near(~0UL, ~0UL), "no overflow");
	CHECK(quotanote_key_ok("bob@example.test") &&
	    quotanote_key_ok("a.b+c=d_e-f@x.test"), "usual keys");
	CHECK(!quotanote_key_ok(".x@y") && !quotanote_key_ok("a/b@c") &&
	    !quotanote_key_ok("A@b") && !quotanote_key_ok("") &&
	    !quotanote_key_ok("a b@c") && !quotanote_key_ok(".."), "bad keys");
	return TAP_DONE();
}
