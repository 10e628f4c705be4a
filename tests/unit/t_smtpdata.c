/*
 * t_smtpdata.c -- unit tests for sluice-smtpd's DATA/BDAT state machine:
 * end of data only at CRLF.CRLF, dot-unstuffing, CRLF to LF, bare CR and
 * bare LF flagged, long lines, Received counting, any split of the input.
 */
#include <stdio.h>
#include <string.h>

#include "../../smtpd/smtpdata.h"
#include "tap.h"

static char out[1 << 16];
static size_t outlen;

/* feed in with chunks of step octets; returns octets consumed */
static size_t
run(struct smtp_data *d, const char *in, size_t len, size_t step, int binary)
{
	size_t pos = 0, o;

	smtp_data_init(d, binary);
	outlen = 0;
	while (pos < len && !d->done) {
		size_t n = len - pos < step ? len - pos : step;
		size_t used = smtp_data_feed(d, in + pos, n, out + outlen, &o);
		outlen += o;
		pos += used;
		if (used < n && !d->done)
			return (size_t)-1;
	}
	return pos;
}

static int
same(const char *want)
{
	return outlen == strlen(want) && !memcmp(out, want, outlen);
}

static void
each_split(const char *name, const char *in, const char *want, size_t consumed,
    unsigned int err)
{
	struct smtp_data d;
	size_t step, len = strlen(in);
	int good = 1;
	char label[200];

	for (step = 1; step <= len; step++) {
		size_t c = run(&d, in, len, step, 0);
		if (c != consumed || !same(want) || d.err != err || !d.done)
			good = 0;
	}
	snprintf(label, sizeof label, "%s (every split)", name);
	CHECK(good, label);
}

static void
test_end(void)
{
	struct smtp_data d;
	const char *in;

	each_split("simple message", "a\r\nb\r\n.\r\n", "a\nb\n", 9, 0);
	in = "a\r\n.\r\nQUIT\r\n";
	CHECK(run(&d, in, strlen(in), 1000, 0) == 6 && d.done && same("a\n"),
	    "stops right after the end marker");
	CHECK(run(&d, ".\r\n", 3, 10, 0) == 3 && d.done && same(""), "empty message");
	each_split("dot-stuffing undone", "..a\r\n..\r\n.\r\n", ".a\n.\n", 12, 0);
	in = "a\n.\nMAIL FROM:<x@y>\r\n";
	CHECK(run(&d, in, strlen(in), 1000, 0) == strlen(in) && !d.done &&
	    (d.err & DATA_EBARELF), "LF.LF is not an end, and is flagged");
	in = "a\r\n.\nb\r\n.\r\n";
	CHECK(run(&d, in, strlen(in), 1000, 0) == strlen(in) && d.done &&
	    (d.err & DATA_EBARELF), "CRLF.LF is not an end");
	in = "a\n.\r\nb\r\n.\r\n";
	CHECK(run(&d, in, strlen(in), 1000, 0) == strlen(in) && d.done &&
	    (d.err & DATA_EBARELF), "LF.CRLF is not an end");
	in = "a\r.\r\nb\r\n.\r\n";
	CHECK(run(&d, in, strlen(in), 1000, 0) == strlen(in) && d.done &&
	    (d.err & DATA_EBARECR), "CR.CRLF is not an end, bare CR flagged");
	in = "a\r\n.\rb\r\n.\r\n";
	CHECK(run(&d, in, strlen(in), 1000, 0) == strlen(in) && d.done &&
	    (d.err & DATA_EBARECR), ".CR without LF is not an end");
	in = "a\r\r\n.\r\n";
	CHECK(run(&d, in, strlen(in), 1000, 0) == strlen(in) && d.done &&
	    (d.err & DATA_EBARECR), "CR CR LF: bare CR");
	/* smtpsmug: NUL next to the dot is data, and flagged */
	in = "a\r\n\0.\r\nb\r\n.\r\n";
	CHECK(run(&d, in, 13, 1000, 0) == 13 && d.done &&
	    (d.err & DATA_ENUL), "CRLF NUL . CRLF is not an end, NUL flagged");
	in = "a\r\n.\0\r\nb\r\n.\r\n";
	CHECK(run(&d, in, 13, 1000, 0) == 13 && d.done &&
	    (d.err & DATA_ENUL), "CRLF . NUL CRLF is not an end, NUL flagged");
	CHECK(run(&d, "a\0b", 3, 1000, 1) == 3 && (d.err & DATA_ENUL),
	    "BDAT: NUL flagged");
	each_split("clean message has no flags", "Subject: x\r\n\r\nbody\r\n.\r\n",
	    "Subject: x\n\nbody\n", 23, 0);
}

static void
test_lines(void)
{
	struct smtp_data d;
	char big[1200];
	size_t n;

	memset(big, 'x', 998);
	memcpy(big + 998, "\r\n.\r\n", 6);
	n = strlen(big);
	CHECK(run(&d, big, n, 4096, 0) == n && d.done && d.err == 0, "998 + CRLF is fine");
	memset(big, 'x', 999);
	memcpy(big + 999, "\r\n.\r\n", 6);
	n = strlen(big);
	CHECK(run(&d, big, n, 4096, 0) == n && d.done && (d.err & DATA_ELONGLINE),
	    "999 + CRLF is too long");
}

static void
test_headers(void)
{
	struct smtp_data d;
	const char *in = "Received: a\r\nreceived: b\r\nX-Received: c\r\nSubject: s\r\n"
	    "\r\nReceived: in the body\r\n.\r\n";

	CHECK(run(&d, in, strlen(in), 3, 0) == strlen(in) && d.received == 2,
	    "Received counted in the header only");
	CHECK(run(&d, "Receive\r\n.\r\n", 12, 1, 0) == 12 && d.received == 0, "prefix is not a match");
}

static void
test_binary(void)
{
	struct smtp_data d;
	const char *in = "a\r\n.\r\n..b\r\n";

	CHECK(run(&d, in, strlen(in), 2, 1) == strlen(in) && !d.done && same("a\n.\n..b\n") &&
	    d.err == 0, "BDAT: dots are data");
	in = "a\r";
	run(&d, in, 2, 1, 1);
	smtp_data_finish(&d);
	CHECK(d.err & DATA_EBARECR, "BDAT: dangling CR at the end");
	in = "a\nb";
	CHECK(run(&d, in, 3, 1, 1) == 3 && (d.err & DATA_EBARELF) && !d.last_lf, "BDAT: bare LF");
}

int
main(void)
{
	test_end();
	test_lines();
	test_headers();
	test_binary();
	return TAP_DONE();
}
