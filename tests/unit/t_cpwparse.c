/*
 * t_cpwparse.c -- unit tests for the checkpassword input parser that
 * sluice-checkpassword uses for Dovecot (imap/cpw.h).
 */
#include <string.h>

#include "tap.h"
#include "../../imap/cpw.h"

static int
parse(const char *s, size_t len, struct cpw_input *in)
{
	return cpw_parse(s, len, in);
}

int
main(void)
{
	struct cpw_input in;
	char big[CPW_INPUT_MAX + 2], user[CPW_USER_MAX + 3];

	CHECK(parse("alice@x.test\0secret\0", 20, &in) == 1 &&
	    in.userlen == 12 && !strcmp(in.user, "alice@x.test") &&
	    in.passlen == 6 && !strcmp(in.pass, "secret"), "user and password");
	CHECK(parse("a\0pw\0" "1700000000\0", 16, &in) == 1 &&
	    in.passlen == 2, "further fields are ignored");
	CHECK(parse("a\0\0", 3, &in) == 1 && in.passlen == 0,
	    "an empty password parses (and is refused by the caller)");
	CHECK(parse("\0pw\0", 4, &in) == 0, "empty user");
	CHECK(parse("a b\0pw\0", 7, &in) == 0, "space in user");
	CHECK(parse("a\nb\0pw\0", 7, &in) == 0, "control character in user");
	CHECK(parse("a\xc3\xa9\0pw\0", 7, &in) == 0, "8-bit user");
	CHECK(parse("alice\0secret", 12, &in) == 0, "password without NUL");
	CHECK(parse("alice", 5, &in) == 0, "user without NUL");
	CHECK(parse("", 0, &in) == 0, "nothing");
	memset(big, 'a', sizeof big);
	big[1] = 0;
	big[sizeof big - 1] = 0;
	CHECK(parse(big, sizeof big, &in) == 0, "longer than CPW_INPUT_MAX");
	memset(user, 'u', sizeof user);
	user[CPW_USER_MAX + 1] = 0;
	user[CPW_USER_MAX + 2] = 0;
	CHECK(parse(user, sizeof user, &in) == 0, "user longer than CPW_USER_MAX");
	user[CPW_USER_MAX] = 0;
	user[CPW_USER_MAX + 1] = 0;
	CHECK(parse(user, CPW_USER_MAX + 2, &in) == 1 &&
	    in.userlen == CPW_USER_MAX, "user of CPW_USER_MAX octets");
	return TAP_DONE();
}
