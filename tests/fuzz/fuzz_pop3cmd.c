/*
 * fuzz_pop3cmd.c -- libFuzzer target for sluice-pop3d's pure parsers:
 * the command line parser in both states, AUTH PLAIN decoding, the
 * RETR/TOP transform (checked against its size rule) and the Maildir
 * name helpers.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../pop3d/pop3cmd.h"
#include "../../pop3d/pop3d.h"

static void
check_stuff(const char *d, size_t len)
{
	static char out[2 * 4096 + 8];
	struct pop3_stuff s;
	size_t o, i, half = len / 2, body = 0;
	int prevcr = 0;
	unsigned long want;

	if (len > 4096)
		return;
	pop3_stuff_init(&s, 0, 0);
	o = pop3_stuff_chunk(&s, d, half, out);
	o += pop3_stuff_chunk(&s, d + half, len - half, out + o);
	/* without stuffing dots, the output is the size the rule predicts */
	want = len + pop3_crlf_extra(d, len, &prevcr);
	for (i = 0; i < o; i++)
		if (out[i] == '.' && (i == 0 || out[i - 1] == '\n'))
			body++;
	if (o - body != want)
		abort();
	pop3_stuff_init(&s, 1, (unsigned long)(len % 5));
	o = pop3_stuff_chunk(&s, d, len, out);
	if (o > 2 * len + 1)
		abort();
}

/* the name order is antisymmetric; the login splitter stays inside */
static void
check_order_and_ctl(const char *d, size_t len)
{
	static char a[256], b[256], m[600];
	size_t half = len / 2, bl = len - half;
	char *u, *p;

	if (half < sizeof a && bl < sizeof b) {
		memcpy(a, d, half);
		a[half] = 0;
		memcpy(b, d + half, bl);
		b[bl] = 0;
		if ((maildir_name_cmp(a, b) < 0) != (maildir_name_cmp(b, a) > 0))
			abort();
	}
	if (len <= sizeof m) {
		memcpy(m, d, len);
		if (ctl_split_login(m, len, &u, &p) &&
		    (u != m + 1 || p <= u || p >= m + len ||
		    strlen(u) + strlen(p) + 3 != len))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *d = (const char *)data;
	struct pop3_cmd c;
	char u[POP3_ARG_MAX + 1], p[POP3_ARG_MAX + 1], uidl[71];
	unsigned long w;

	if (pop3_parse(d, size, POP3_ST_AUTH, &c) == PARSE_OK && c.arg &&
	    (c.arg < d || c.arg + c.arglen > d + size))
		abort();
	if (pop3_parse(d, size, POP3_ST_TRANS, &c) == PARSE_OK &&
	    c.nargs && c.num[0] == 0)
		abort();
	if (pop3_plain_decode(d, size, u, p) &&
	    (strlen(u) > POP3_ARG_MAX || strlen(p) > POP3_ARG_MAX))
		abort();
	check_stuff(d, size);
	maildir_name_wsize(d, size, &w);
	check_order_and_ctl(d, size);
	if (pop3_uidl(d, maildir_name_unique(d, size), uidl) > 70)
		abort();
	return 0;
}
