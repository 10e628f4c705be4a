/*
 * t_pop3cmd.c -- unit tests for sluice-pop3d's pure parsers: the command
 * parser, AUTH PLAIN decoding, the RETR/TOP transform and its size rule,
 * and Maildir name helpers.
 */
#include <string.h>

#include "tap.h"
#include "../../pop3d/pop3cmd.h"
#include "../../pop3d/pop3d.h"

static int
parse(const char *s, int state, struct pop3_cmd *c)
{
	return pop3_parse(s, strlen(s), state, c);
}

static void
test_parser(void)
{
	struct pop3_cmd c;

	CHECK(parse("STAT", POP3_ST_TRANS, &c) == PARSE_OK && c.id == CMD_STAT,
	    "STAT");
	CHECK(parse("stat", POP3_ST_TRANS, &c) == PARSE_OK && c.id == CMD_STAT,
	    "keywords are case-insensitive");
	CHECK(parse("STAT", POP3_ST_AUTH, &c) == PARSE_STATE,
	    "STAT before login is a state error");
	CHECK(parse("USER bob", POP3_ST_TRANS, &c) == PARSE_STATE,
	    "USER after login is a state error");
	CHECK(parse("STAT 1", POP3_ST_TRANS, &c) == PARSE_BADARG,
	    "STAT takes no argument");
	CHECK(parse("LIST", POP3_ST_TRANS, &c) == PARSE_OK && c.nargs == 0,
	    "LIST without argument");
	CHECK(parse("LIST 7", POP3_ST_TRANS, &c) == PARSE_OK && c.nargs == 1 &&
	    c.num[0] == 7, "LIST 7");
	CHECK(parse("LIST 0", POP3_ST_TRANS, &c) == PARSE_BADARG,
	    "message 0 does not exist");
	CHECK(parse("LIST -1", POP3_ST_TRANS, &c) == PARSE_BADARG,
	    "negative message number");
	CHECK(parse("LIST 1 2", POP3_ST_TRANS, &c) == PARSE_BADARG,
	    "LIST with two numbers");
	CHECK(parse("RETR", POP3_ST_TRANS, &c) == PARSE_BADARG,
	    "RETR needs a number");
	CHECK(parse("RETR 12x", POP3_ST_TRANS, &c) == PARSE_BADARG,
	    "RETR with garbage");
	CHECK(parse("RETR 1234567890", POP3_ST_TRANS, &c) == PARSE_BADARG,
	    "RETR with a 10-digit number");
	CHECK(parse("RETR 999999999", POP3_ST_TRANS, &c) == PARSE_OK &&
	    c.num[0] == 999999999UL, "RETR with 9 digits");
	CHECK(parse("TOP 3 0", POP3_ST_TRANS, &c) == PARSE_OK &&
	    c.num[0] == 3 && c.num[1] == 0, "TOP 3 0");
	CHECK(parse("TOP 3", POP3_ST_TRANS, &c) == PARSE_BADARG,
	    "TOP needs two numbers");
	CHECK(parse("DELE 2  ", POP3_ST_TRANS, &c) == PARSE_OK &&
	    c.num[0] == 2, "trailing spaces are ignored");
	CHECK(parse("USER alice@example.com", POP3_ST_AUTH, &c) == PARSE_OK &&
	    c.arglen == 17 && !memcmp(c.arg, "alice@example.com", 17), "USER");
	CHECK(parse("USER a b", POP3_ST_AUTH, &c) == PARSE_BADARG,
	    "USER with two words");
	CHECK(parse("USER", POP3_ST_AUTH, &c) == PARSE_BADARG,
	    "USER without a name");
	CHECK(parse("PASS secret with spaces", POP3_ST_AUTH, &c) == PARSE_OK &&
	    c.arglen == 18 && !memcmp(c.arg, "secret with spaces", 18),
	    "PASS keeps spaces");
	CHECK(pop3_parse("PASS a\0b", 8, POP3_ST_AUTH, &c) == PARSE_BADARG,
	    "PASS with NUL");
	CHECK(parse("PASS", POP3_ST_AUTH, &c) == PARSE_BADARG,
	    "PASS without password");
	CHECK(parse("AUTH", POP3_ST_AUTH, &c) == PARSE_OK && c.nargs == 0,
	    "bare AUTH");
	CHECK(parse("AUTH PLAIN", POP3_ST_AUTH, &c) == PARSE_OK && c.nargs == 1,
	    "AUTH PLAIN");
	CHECK(parse("AUTH PLAIN AGFsaWNlAHB3", POP3_ST_AUTH, &c) == PARSE_OK &&
	    c.nargs == 2 && c.arg2len == 12, "AUTH PLAIN with response");
	CHECK(parse("AUTH PLAIN a b", POP3_ST_AUTH, &c) == PARSE_BADARG,
	    "AUTH with three words");
	CHECK(parse("", POP3_ST_AUTH, &c) == PARSE_EMPTY, "empty line");
	CHECK(parse("XYZZY", POP3_ST_AUTH, &c) == PARSE_UNKNOWN, "unknown");
	CHECK(parse("STATS", POP3_ST_TRANS, &c) == PARSE_UNKNOWN,
	    "no prefix matching");
	CHECK(parse(" STAT", POP3_ST_TRANS, &c) == PARSE_UNKNOWN,
	    "leading space");
	CHECK(parse("CAPA", POP3_ST_AUTH, &c) == PARSE_OK &&
	    parse("CAPA", POP3_ST_TRANS, &c) == PARSE_OK, "CAPA in both");
	CHECK(parse("QUIT now", POP3_ST_TRANS, &c) == PARSE_BADARG,
	    "QUIT takes no argument");
	CHECK(!strcmp(pop3_cmd_name(CMD_UIDL), "UIDL"), "command names");
}

static void
test_plain(void)
{
	char u[POP3_ARG_MAX + 1], p[POP3_ARG_MAX + 1];

	/* "\0alice\0pw" */
	CHECK(pop3_plain_decode("AGFsaWNlAHB3", 12, u, p) == 1 &&
	    !strcmp(u, "alice") && !strcmp(p, "pw"), "PLAIN without authzid");
	/* "alice\0alice\0pw" */
	CHECK(pop3_plain_decode("YWxpY2UAYWxpY2UAcHc=", 20, u, p) == 1 &&
	    !strcmp(u, "alice"), "PLAIN with the same authzid");
	/* "bob\0alice\0pw" */
	CHECK(pop3_plain_decode("Ym9iAGFsaWNlAHB3", 16, u, p) == 0,
	    "PLAIN with another authzid is refused");
	/* "\0alice\0" */
	CHECK(pop3_plain_decode("AGFsaWNlAA==", 12, u, p) == 0,
	    "PLAIN with an empty password");
	/* "alice" */
	CHECK(pop3_plain_decode("YWxpY2U=", 8, u, p) == 0,
	    "PLAIN without NULs");
	CHECK(pop3_plain_decode("AGFsaWNlAHB3!", 13, u, p) == 0,
	    "bad base64");
	CHECK(pop3_plain_decode("AGFsa=WNlAHB3", 13, u, p) == 0,
	    "padding inside");
	CHECK(pop3_plain_decode("", 0, u, p) == 0, "empty response");
	/* "\0a\0b\0c": a NUL inside the password */
	CHECK(pop3_plain_decode("AGEAYgBj", 8, u, p) == 0,
	    "NUL in the password");
}

static int
stuff(const char *in, int limited, unsigned long lines, size_t split,
    char *out)
{
	struct pop3_stuff s;
	size_t o, len = strlen(in);

	pop3_stuff_init(&s, limited, lines);
	if (split > len)
		split = len;
	o = pop3_stuff_chunk(&s, in, split, out);
	o += pop3_stuff_chunk(&s, in + split, len - split, out + o);
	o += pop3_stuff_end(&s, out + o);
	out[o] = 0;
	return (int)o;
}

static void
test_stuff(void)
{
	char out[512];
	const char *msg = "Subject: x\n\n.hello\nline2\n..\nend\n";
	const char *want = "Subject: x\r\n\r\n..hello\r\nline2\r\n...\r\n"
	    "end\r\n.\r\n";
	size_t i;
	int ok = 1, prevcr = 0;

	for (i = 0; i <= strlen(msg); i++) {
		stuff(msg, 0, 0, i, out);
		if (strcmp(out, want))
			ok = 0;
	}
	CHECK(ok, "RETR transform at every chunk boundary");
	stuff("a\r\nb\r\n", 0, 0, 2, out);
	CHECK(!strcmp(out, "a\r\nb\r\n.\r\n"), "CRLF kept, CR/LF split");
	stuff("no newline", 0, 0, 3, out);
	CHECK(!strcmp(out, "no newline\r\n.\r\n"), "last line terminated");
	stuff("", 0, 0, 0, out);
	CHECK(!strcmp(out, ".\r\n"), "empty message");
	stuff(msg, 1, 0, 5, out);
	CHECK(!strcmp(out, "Subject: x\r\n\r\n.\r\n"), "TOP 0");
	stuff(msg, 1, 2, 17, out);
	CHECK(!strcmp(out, "Subject: x\r\n\r\n..hello\r\nline2\r\n.\r\n"),
	    "TOP 2");
	stuff("A: b\r\n\r\nbody\r\nmore\r\n", 1, 1, 7, out);
	CHECK(!strcmp(out, "A: b\r\n\r\nbody\r\n.\r\n"), "TOP 1 with CRLF");
	stuff("A: b\nC: d\n", 1, 5, 3, out);
	CHECK(!strcmp(out, "A: b\r\nC: d\r\n.\r\n"), "TOP without a body");
	CHECK(pop3_crlf_extra("a\nb\r\nc\n", 7, &prevcr) == 2,
	    "extra bytes for LF ends");
	prevcr = 0;
	CHECK(pop3_crlf_extra("a\r", 2, &prevcr) == 0 && prevcr == 1 &&
	    pop3_crlf_extra("\nb\n", 3, &prevcr) == 1,
	    "extra bytes across a CR/LF split");
}

static void
test_names(void)
{
	const char *n1 = "1700000000.M1P2Q3R0123456789abcdef.host,S=100,W=104:2,S";
	char out[80];
	unsigned long w = 0;

	CHECK(maildir_name_wsize(n1, strlen(n1), &w) == 1 && w == 104,
	    "W= size");
	CHECK(maildir_name_wsize("123.456.host:2,", 15, &w) == 0,
	    "no W= size");
	CHECK(maildir_name_wsize("123.host:2,W=5", 14, &w) == 0,
	    "W= in the info part is not a size");
	CHECK(maildir_name_wsize("123.host,W=", 11, &w) == 0, "empty W=");
	CHECK(maildir_name_wsize("123.host,W=12x", 14, &w) == 0, "bad W=");
	CHECK(maildir_name_unique(n1, strlen(n1)) == strlen(n1) - 4,
	    "unique part");
	CHECK(pop3_uidl(n1, maildir_name_unique(n1, strlen(n1)), out) == 51 &&
	    !strcmp(out, "1700000000.M1P2Q3R0123456789abcdef.host,S=100,W=104"),
	    "UIDL is the unique name when valid");
	CHECK(pop3_uidl("1700000000.M123456P12345Q1R0123456789abcdef.mail.example.test"
	    ",S=1234,W=1270", 75, out) == 61 &&
	    !strcmp(out, "1700000000.M123456P12345Q1R0123456789abcdef.mail.example.test"),
	    "too long: size attributes dropped");
	CHECK(pop3_uidl("a\x01" "b", 3, out) == 64, "UIDL hashed when unsafe");
	memset(out, 'x', 75);
	CHECK(pop3_uidl("0123456789012345678901234567890123456789"
	    "0123456789012345678901234567890", 71, out) == 64,
	    "UIDL hashed when longer than 70");
}

static void
test_order(void)
{
	CHECK(maildir_name_cmp("1700.M9P1.h", "1700.M10P1.h") < 0,
	    "digit runs compare as numbers");
	CHECK(maildir_name_cmp("1700.M10P1.h", "1700.M9P1.h") > 0,
	    "and the other way round");
	CHECK(maildir_name_cmp("1699.M99P1.h", "1700.M1P1.h") < 0,
	    "seconds first");
	CHECK(maildir_name_cmp("a.host", "b.host") < 0, "plain bytes");
	CHECK(maildir_name_cmp("x01", "x1") == 0, "leading zeros are equal");
	CHECK(maildir_name_cmp("x1", "x1y") < 0, "prefix first");
	CHECK(maildir_name_cmp("", "") == 0, "empty names");
}

static void
test_ctl(void)
{
	char m1[] = "Aalice\0pw\0", m2[] = "Aalice\0\0", m3[] = "A\0pw\0",
	    m4[] = "Aalice\0pw\0x\0", m5[] = "Balice\0pw\0", m6[] = "Aalice\0pw";
	char *u, *p;

	CHECK(ctl_split_login(m1, sizeof m1 - 1, &u, &p) == 1 &&
	    !strcmp(u, "alice") && !strcmp(p, "pw"), "login request");
	CHECK(ctl_split_login(m2, sizeof m2 - 1, &u, &p) == 0,
	    "empty password");
	CHECK(ctl_split_login(m3, sizeof m3 - 1, &u, &p) == 0, "empty user");
	CHECK(ctl_split_login(m4, sizeof m4 - 1, &u, &p) == 0,
	    "a third field");
	CHECK(ctl_split_login(m5, sizeof m5 - 1, &u, &p) == 0, "wrong type");
	CHECK(ctl_split_login(m6, sizeof m6 - 1, &u, &p) == 0,
	    "no final NUL");
	CHECK(ctl_split_login(m1, 0, &u, &p) == 0, "empty message");
}

int
main(void)
{
	test_order();
	test_ctl();
	test_parser();
	test_plain();
	test_stuff();
	test_names();
	return TAP_DONE();
}
