/*
 * t_smtpcmd.c -- unit tests for sluice-smtpd's command-line parser.
 */
#include <string.h>

#include "../../smtpd/smtpcmd.h"
#include "tap.h"

static int
line(const char *l, struct smtp_line *sl)
{
	return smtp_line_parse(l, strlen(l), sl);
}

static int
path(const char *arg, int is_mail, int flags, struct smtp_path *p)
{
	return smtp_path_parse(arg, strlen(arg), is_mail, flags, p);
}

static void
test_lines(void)
{
	struct smtp_line sl;

	CHECK(line("EHLO client.example\r\n", &sl) == SP_OK && sl.verb == V_EHLO &&
	    sl.arglen == 14 && !memcmp(sl.arg, "client.example", 14), "EHLO with argument");
	CHECK(line("ehlo x\n", &sl) == SP_OK && sl.verb == V_EHLO, "lower case, bare LF line end");
	CHECK(line("QUIT\r\n", &sl) == SP_OK && sl.verb == V_QUIT && sl.arglen == 0, "QUIT");
	CHECK(line("quit   \r\n", &sl) == SP_OK && sl.arglen == 0, "trailing blanks dropped");
	CHECK(line("StartTLS\r\n", &sl) == SP_OK && sl.verb == V_STARTTLS, "STARTTLS mixed case");
	CHECK(line("XYZZY\r\n", &sl) == SP_OK && sl.verb == V_UNKNOWN, "unknown verb");
	CHECK(line("MAILX FROM:<a@b>\r\n", &sl) == SP_OK && sl.verb == V_UNKNOWN, "prefix of a verb is not the verb");
	CHECK(line("\r\n", &sl) == SP_EMPTY, "empty line");
	CHECK(line("   \r\n", &sl) == SP_EMPTY, "blank line");
	CHECK(line("NOOP\rRSET\r\n", &sl) == SP_BADCHAR, "bare CR inside a command");
	CHECK(smtp_line_parse("NO\0OP\r\n", 7, &sl) == SP_BADCHAR, "NUL inside a command");
	CHECK(line("NOOP \x1b[2J\r\n", &sl) == SP_BADCHAR, "escape sequence");
	CHECK(line("M@IL FROM:<>\r\n", &sl) == SP_SYNTAX, "non-letter in verb");
	CHECK(line("ABCDEFGHIJKLMNOP\r\n", &sl) == SP_SYNTAX, "over-long verb");
	CHECK(line("GET / HTTP/1.0\r\n", &sl) == SP_OK && sl.verb == V_FORBIDDEN, "HTTP GET");
	CHECK(line("POST /x HTTP/1.1\r\n", &sl) == SP_OK && sl.verb == V_FORBIDDEN, "HTTP POST");
	CHECK(!strcmp(smtp_verb_name(V_MAIL), "MAIL"), "verb name");
}

static void
test_paths(void)
{
	struct smtp_path p;

	CHECK(path("FROM:<a@example.org>", 1, ADDR_NULL_OK, &p) == SP_OK &&
	    !strcmp(p.addr.local, "a") && !strcmp(p.addr.domain, "example.org"), "MAIL FROM plain");
	CHECK(path("from:<>", 1, ADDR_NULL_OK, &p) == SP_OK && p.addr.is_null, "null sender");
	CHECK(path("FROM:<>", 1, 0, &p) == SP_ADDR, "null path refused without ADDR_NULL_OK");
	CHECK(path("FROM: <a@b.example>", 1, 0, &p) == SP_OK, "space after colon tolerated");
	CHECK(path("FROM:a@b.example", 1, 0, &p) == SP_SYNTAX, "brackets required");
	CHECK(path("FROM:<a@b.example", 1, 0, &p) == SP_ADDR, "unclosed bracket");
	CHECK(path("TO:<a@b.example>", 1, 0, &p) == SP_SYNTAX, "MAIL needs FROM:");
	CHECK(path("FROM:<a@b.example> SIZE=12345 BODY=8BITMIME", 1, 0, &p) == SP_OK &&
	    p.has_size && p.size == 12345 && p.body == BODY_8BITMIME, "SIZE and BODY");
	CHECK(path("FROM:<a@b.example> size=1 body=7bit", 1, 0, &p) == SP_OK && p.body == BODY_7BIT,
	    "parameters are case-insensitive");
	CHECK(path("FROM:<a@b.example> SIZE=", 1, 0, &p) == SP_PARAMSYNTAX, "empty SIZE");
	CHECK(path("FROM:<a@b.example> SIZE=12x", 1, 0, &p) == SP_PARAMSYNTAX, "bad SIZE");
	CHECK(path("FROM:<a@b.example> SIZE=1234567890123456789012", 1, 0, &p) == SP_PARAMSYNTAX,
	    "SIZE overflow");
	CHECK(path("FROM:<a@b.example> SIZE=1 SIZE=2", 1, 0, &p) == SP_PARAMSYNTAX, "SIZE twice");
	CHECK(path("FROM:<a@b.example> BODY=BINARYMIME", 1, 0, &p) == SP_PARAM, "BINARYMIME not offered");
	CHECK(path("FROM:<a@b.example> SMTPUTF8", 1, 0, &p) == SP_OK && p.smtputf8, "SMTPUTF8");
	CHECK(path("FROM:<a@b.example> SMTPUTF8=yes", 1, 0, &p) == SP_PARAMSYNTAX, "SMTPUTF8 takes no value");
	CHECK(path("FROM:<a@b.example> AUTH=<>", 1, 0, &p) == SP_OK, "AUTH= accepted");
	CHECK(path("FROM:<a@b.example> RET=HDRS", 1, 0, &p) == SP_PARAM, "DSN not offered");
	CHECK(path("FROM:<a@b.example>SIZE=1", 1, 0, &p) == SP_SYNTAX, "parameter must follow a space");
	CHECK(path("TO:<u@d.example>", 0, 0, &p) == SP_OK && !strcmp(p.addr.domain, "d.example"), "RCPT TO");
	CHECK(path("TO:<u@D.Example>", 0, 0, &p) == SP_OK && !strcmp(p.addr.domain, "d.example"),
	    "domain lower-cased");
	CHECK(path("TO:<u@d.example> NOTIFY=NEVER", 0, 0, &p) == SP_PARAM, "RCPT takes no parameters");
	CHECK(path("TO:<Postmaster>", 0, ADDR_LOCAL_OK, &p) == SP_OK && !p.addr.has_domain,
	    "bare Postmaster");
	CHECK(path("TO:<>", 0, 0, &p) == SP_ADDR, "null recipient");
	CHECK(path("TO:<@relay.example:u@d.example>", 0, 0, &p) == SP_OK &&
	    !strcmp(p.addr.domain, "d.example"), "source route dropped");
	CHECK(path("TO:<j\xc3\xb6rg@d.example>", 0, 0, &p) == SP_OK && p.addr.is_utf8, "UTF-8 flagged");
	CHECK(path("TO:<a\"b@d.example>", 0, 0, &p) != SP_OK, "stray quote");
	CHECK(path("", 0, 0, &p) == SP_SYNTAX, "empty argument");
	{
		char big[600];
		memset(big, 'a', sizeof big);
		memcpy(big, "TO:<", 4);
		memcpy(big + sizeof big - 12, "@x.example>", 11);
		big[sizeof big - 1] = 0;
		CHECK(path(big, 0, 0, &p) == SP_ADDR, "over-long address");
	}
}

static void
test_bdat(void)
{
	unsigned long size;
	int last;

	CHECK(smtp_bdat_parse("100", 3, &size, &last) == SP_OK && size == 100 && !last, "BDAT 100");
	CHECK(smtp_bdat_parse("0 LAST", 6, &size, &last) == SP_OK && size == 0 && last, "BDAT 0 LAST");
	CHECK(smtp_bdat_parse("5 last", 6, &size, &last) == SP_OK && last, "last lower case");
	CHECK(smtp_bdat_parse("", 0, &size, &last) == SP_SYNTAX, "BDAT without size");
	CHECK(smtp_bdat_parse("x", 1, &size, &last) == SP_SYNTAX, "BDAT x");
	CHECK(smtp_bdat_parse("5 FIRST", 7, &size, &last) == SP_SYNTAX, "BDAT 5 FIRST");
	CHECK(smtp_bdat_parse("5 LAST x", 8, &size, &last) == SP_SYNTAX, "trailing junk");
	CHECK(smtp_bdat_parse("-5", 2, &size, &last) == SP_SYNTAX, "negative");
	CHECK(smtp_bdat_parse("9999999999999999999999", 22, &size, &last) == SP_SYNTAX, "huge");
}

int
main(void)
{
	test_lines();
	test_paths();
	test_bdat();
	return TAP_DONE();
}
