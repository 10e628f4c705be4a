/*
 * t_local_parse.c -- unit tests for sluice-local's pure parsers: the
 * per-user delivery file (dotfile.c), header scanning for loops
 * (hdrscan.c) and Maildir++ maildirsize (mdsize.c).
 */
#include <string.h>

#include "tap.h"
#include "../../local/dotfile.h"
#include "../../local/hdrscan.h"
#include "../../local/mdsize.h"

static struct dotfile df;

static int
parse(const char *text)
{
	static char buf[DOT_FILE_MAX + 2];
	size_t len = strlen(text);

	memcpy(buf, text, len + 1);
	return dotfile_parse(buf, len, &df);
}

static void
test_dotfile(void)
{
	CHECK(parse("") && df.n == 0, "empty file: default delivery");
	CHECK(parse("# only\n\n   \n#x") && df.n == 0, "comments and blanks");
	CHECK(parse("&a@b.example\nc@d.example\n./Maildir/\n|cat >x\n") &&
	    df.n == 4, "four kinds");
	CHECK(df.line[0].kind == DOT_FORWARD && !strcmp(df.line[0].arg, "a@b.example"),
	    "& forward");
	CHECK(df.line[1].kind == DOT_FORWARD && !strcmp(df.line[1].arg, "c@d.example"),
	    "bare forward");
	CHECK(df.line[2].kind == DOT_MAILDIR && !strcmp(df.line[2].arg, "./Maildir/"),
	    "maildir");
	CHECK(df.line[3].kind == DOT_PROGRAM && !strcmp(df.line[3].arg, "cat >x") &&
	    df.line[3].lineno == 4, "program and line number");
	CHECK(parse("  & x@y.example \r\n") && df.n == 1 &&
	    !strcmp(df.line[0].arg, "x@y.example"), "blanks and CR trimmed");
	CHECK(!parse("./mbox\n") && df.errline == 1, "mbox refused");
	CHECK(!parse("# c\n/var/mail/x\n") && df.errline == 2, "mbox line 2");
	CHECK(!parse("|\n"), "empty program refused");
	CHECK(!parse("&\n"), "empty forward refused");
	{
		char nul[4] = { 'a', 0, 'b', 0 };

		CHECK(!dotfile_parse(nul, 3, &df), "NUL refused");
	}
	{
		static char big[DOT_LINE_MAX + 10];

		memset(big, 'a', sizeof big - 1);
		CHECK(!parse(big), "long line refused");
	}
	{
		static char many[(DOT_LINES_MAX + 1) * 4 + 1];
		size_t i;

		for (i = 0; i <= DOT_LINES_MAX; i++)
			memcpy(many + i * 4, "a@b\n", 4);
		CHECK(!parse(many), "too many lines refused");
		many[DOT_LINES_MAX * 4] = 0;
		CHECK(parse(many) && df.n == DOT_LINES_MAX, "limit accepted");
	}
}

static void
test_hdrscan(void)
{
	const char *h = "Received: from a\n\tby b\nDelivered-To: X@Example.COM\n"
	    "Subject: hi\nreceived: c\nDELIVERED-TO:  <y@example.com> \n"
	    "\nReceived: in body\nDelivered-To: z@example.com\n";
	size_t len = strlen(h);

	CHECK(hdr_hops(h, len) == 4, "hops: two Received, two Delivered-To");
	CHECK(hdr_delivered_to(h, len, "x@example.com", 13), "delivered-to case");
	CHECK(hdr_delivered_to(h, len, "y@example.com", 13), "brackets and blanks");
	CHECK(!hdr_delivered_to(h, len, "z@example.com", 13), "body ignored");
	CHECK(!hdr_delivered_to(h, len, "x@example.co", 12), "no prefix match");
	CHECK(hdr_end(h, len) == (size_t)(strstr(h, "\n\n") - h) + 2, "header end");
	CHECK(hdr_end("a: b\n", 5) == 0, "no end yet");
	CHECK(hdr_end("\nbody", 5) == 1, "empty header");
	CHECK(hdr_hops("Received", 8) == 0, "cut field");
	CHECK(hdr_hops("From x\nReceived: y", 18) == 1, "junk line skipped");
	{
		const char *f = "Delivered-To:\n\t<a@b.test>\n\n";

		CHECK(hdr_delivered_to(f, strlen(f), "a@b.test", 8), "folded value");
	}
	{
		const char *f = "Delivered-To : a@b.test\nX-Delivered-To: c@d.test\n";

		CHECK(!hdr_delivered_to(f, strlen(f), "a@b.test", 8),
		    "space before colon is no field");
		CHECK(!hdr_delivered_to(f, strlen(f), "c@d.test", 8),
		    "other field names do not count");
	}
}

static void
test_mdsize(void)
{
	struct mdsize m;
	const char *f = "1000S,50C\n100 1\n  200 2\n-50 -1\n";
	char out[24];

	CHECK(mdsize_parse(f, strlen(f), &m) && m.qbytes == 1000 && m.qcount == 50 &&
	    m.bytes == 250 && m.count == 2 && m.lines == 3, "maildirsize sums");
	CHECK(mdsize_parse("5S\n-10 -1\n", 10, &m) && m.bytes == 0 && m.count == 0,
	    "negative clamps to 0");
	CHECK(!mdsize_parse("5S\n10 1", 7, &m), "unterminated line");
	CHECK(!mdsize_parse("5X\n", 3, &m), "bad quota");
	CHECK(!mdsize_parse("", 0, &m), "empty");
	CHECK(!mdsize_parse("5S\n1x 1\n", 8, &m), "bad change");
	CHECK(!mdsize_parse("5S\n99999999999999999999 1\n", 26, &m), "overflow");
	CHECK(mdsize_header(out, 12345) == 7 && !memcmp(out, "12345S\n", 7), "header");
}

int
main(void)
{
	test_dotfile();
	test_hdrscan();
	test_mdsize();
	return TAP_DONE();
}
