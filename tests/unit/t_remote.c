/*
 * t_remote.c -- unit tests of sluice-remote's pure parts: SMTP reply and
 * EHLO parsing, enhanced status codes, dot-stuffing, route values,
 * remoteauth lines, MX ordering and loop avoidance.
 */
#include <string.h>

#include "tap.h"
#include "../../remote/dotstuff.h"
#include "../../remote/mxorder.h"
#include "../../remote/remoteauth.h"
#include "../../remote/route.h"
#include "../../remote/smtpreply.h"

static int
feed_all(struct smtp_reply *r, const char *text)
{
	int st = 0;

	smtp_reply_init(r);
	while (*text) {
		const char *lf = strchr(text, '\n');
		size_t len = lf ? (size_t)(lf - text) + 1 : strlen(text);
		st = smtp_reply_feed(r, text, len);
		if (st != 0)
			return st;
		text += len;
	}
	return st;
}

static void
test_reply(void)
{
	struct smtp_reply r;
	char dsn[12];

	CHECK(feed_all(&r, "250 ok\r\n") == 1 && r.code == 250, "single line reply");
	CHECK(!strcmp(r.text, "250 ok"), "reply text");
	CHECK(feed_all(&r, "250-a\r\n250-b\r\n250 c\r\n") == 1 && r.nlines == 3,
	    "multi-line reply");
	CHECK(!strcmp(r.text, "250 a; b; c"), "multi-line text joined");
	CHECK(feed_all(&r, "250-a\r\n251 b\r\n") == -1, "code change refused");
	CHECK(feed_all(&r, "25x ok\r\n") == -1, "non-digit code refused");
	CHECK(feed_all(&r, "250xok\r\n") == -1, "bad separator refused");
	CHECK(feed_all(&r, "199 x\r\n") == -1, "1xx refused");
	CHECK(feed_all(&r, "220\r\n") == 1 && r.code == 220, "bare code accepted");
	CHECK(feed_all(&r, "550 a\x01z\r\n") == 1 && !strcmp(r.text, "550 a?z"),
	    "control characters masked");
	feed_all(&r, "550 5.1.1 no such user\r\n");
	smtp_reply_dsn(&r, dsn);
	CHECK(!strcmp(dsn, "5.1.1"), "enhanced code taken");
	feed_all(&r, "450 5.1.1 class mismatch\r\n");
	smtp_reply_dsn(&r, dsn);
	CHECK(!strcmp(dsn, "4.0.0"), "mismatched class ignored");
	feed_all(&r, "451 try later\r\n");
	smtp_reply_dsn(&r, dsn);
	CHECK(!strcmp(dsn, "4.0.0"), "default enhanced code");
	feed_all(&r, "552 5.3.4\r\n");
	smtp_reply_dsn(&r, dsn);
	CHECK(!strcmp(dsn, "5.3.4"), "enhanced code alone");
	feed_all(&r, "550 5.1234.1 x\r\n");
	smtp_reply_dsn(&r, dsn);
	CHECK(!strcmp(dsn, "5.0.0"), "overlong subject refused");
	{
		char big[300 * 8 + 1];
		size_t i;
		for (i = 0; i < 300; i++)
			memcpy(big + 8 * i, "250-abc\n", 8);
		big[sizeof big - 1] = 0;
		CHECK(feed_all(&r, big) == -1, "too many lines refused");
	}
}

static void
test_ehlo(void)
{
	struct ehlo_caps c;
	const char *lines[] = { "PIPELINING", "size 1000", "STARTTLS",
	    "AUTH LOGIN PLAIN", "8BITMIME", "SMTPUTF8" };
	size_t i;

	ehlo_caps_init(&c);
	for (i = 0; i < sizeof lines / sizeof lines[0]; i++)
		ehlo_caps_line(&c, lines[i], strlen(lines[i]));
	CHECK(c.pipelining && c.starttls && c.eightbitmime && c.smtputf8,
	    "EHLO keywords");
	CHECK(c.size && c.size_max == 1000, "SIZE value");
	CHECK(c.auth_plain && c.auth_login, "AUTH mechanisms");
	ehlo_caps_init(&c);
	ehlo_caps_line(&c, "AUTH=LOGIN", 10);
	ehlo_caps_line(&c, "STARTTLSX", 9);
	ehlo_caps_line(&c, "SIZE", 4);
	CHECK(c.auth_login && !c.auth_plain, "old AUTH= form");
	CHECK(!c.starttls, "keyword prefix is not the keyword");
	CHECK(c.size && c.size_max == 0, "SIZE without a limit");
}

static size_t
stuff(const char *in, char *out)
{
	struct dotstuff d;
	size_t o;

	dotstuff_init(&d);
	o = dotstuff_encode(&d, in, strlen(in), out);
	o += dotstuff_finish(&d, out + o);
	out[o] = 0;
	return o;
}

static void
test_dotstuff(void)
{
	char out[256];
	struct dotstuff d;
	size_t o;
	unsigned long size = 0;
	int eight = 0;

	stuff("a\nb\n", out);
	CHECK(!strcmp(out, "a\r\nb\r\n.\r\n"), "LF to CRLF");
	stuff(".x\n..\n.\n", out);
	CHECK(!strcmp(out, "..x\r\n...\r\n..\r\n.\r\n"), "leading dots doubled");
	stuff("no end", out);
	CHECK(!strcmp(out, "no end\r\n.\r\n"), "missing final LF added");
	stuff("", out);
	CHECK(!strcmp(out, ".\r\n"), "empty message");
	stuff("a\r\nb\rc\n", out);
	CHECK(!strcmp(out, "a\r\nb\r\nc\r\n.\r\n"), "CRLF kept once, lone CR ends a line");
	stuff("x\r.\rMAIL\r", out);
	CHECK(!strcmp(out, "x\r\n..\r\nMAIL\r\n.\r\n"), "no bare CR, dot after a lone CR stuffed");
	dotstuff_init(&d);
	o = dotstuff_encode(&d, "a\n\0.\nb\n.\0\nc\0", 13, out);
	o += dotstuff_finish(&d, out + o);
	out[o] = 0;
	CHECK(o == strlen(out) && !strcmp(out, "a\r\n..\r\nb\r\n..\r\nc\r\n.\r\n"),
	    "NUL dropped, the dots after it stuffed");
	/* chunk boundaries: the same result byte by byte */
	dotstuff_init(&d);
	o = 0;
	{
		const char *in = "x\r\n.y\n";
		size_t i;
		for (i = 0; in[i]; i++)
			o += dotstuff_encode(&d, in + i, 1, out + o);
	}
	o += dotstuff_finish(&d, out + o);
	out[o] = 0;
	CHECK(!strcmp(out, "x\r\n..y\r\n.\r\n"), "streaming across chunks");
	message_measure("ab\ncd\n\xc3\xa9", 8, &size, &eight);
	CHECK(size == 10 && eight, "size with CRLF and 8-bit detection");
}

static void
test_route(void)
{
	struct route r;

	CHECK(route_parse("smtp.example.net", 16, &r) && r.hp.port == 25 &&
	    !strcmp(r.hp.host, "smtp.example.net") && !r.tls_verify, "route host");
	CHECK(route_parse("10.1.2.3:2525\0tls=verify", 24, &r) && r.hp.port == 2525 &&
	    r.hp.is_ip && r.tls_verify, "route IP, port, tls=verify");
	CHECK(route_parse("[::1]:26", 8, &r) && r.hp.is_ip && r.hp.ip.family == 6,
	    "route IPv6");
	CHECK(!route_parse("h\0tls=sometimes", 15, &r), "unknown option refused");
	CHECK(!route_parse("", 0, &r), "empty route refused");
	CHECK(!route_parse("h:99999", 7, &r), "bad port refused");
}

static void
test_remoteauth(void)
{
	const char *f = "# comment\nrelay.example.net alice pass word \n"
	    "other bob x\nbroken\n";
	struct credentials c;
	char b64[AUTH_B64_MAX];

	CHECK(remoteauth_find(f, strlen(f), "RELAY.example.net", &c) &&
	    !strcmp(c.user, "alice") && !strcmp(c.pass, "pass word"),
	    "credentials found, password with a space");
	CHECK(!remoteauth_find(f, strlen(f), "broken", &c), "incomplete line skipped");
	CHECK(!remoteauth_find(f, strlen(f), "nowhere", &c), "unknown host");
	strcpy(c.user, "u");
	strcpy(c.pass, "p");
	auth_plain_response(&c, b64);
	CHECK(!strcmp(b64, "AHUAcA=="), "AUTH PLAIN response");
	auth_b64("alice", b64);
	CHECK(!strcmp(b64, "YWxpY2U="), "base64 of a user name");
}

static void
test_mx(void)
{
	struct mxrec mx[4];
	unsigned int rnd[4] = { 5, 1, 9, 0 };
	int self[4] = { 0, 0, 0, 0 };

	memset(mx, 0, sizeof mx);
	mx[0].pref = 20; strcpy(mx[0].host, "c");
	mx[1].pref = 10; strcpy(mx[1].host, "b");
	mx[2].pref = 10; strcpy(mx[2].host, "a");
	mx[3].pref = 30; strcpy(mx[3].host, "d");
	mx_sort(mx, 4, rnd);
	CHECK(!strcmp(mx[0].host, "b") && !strcmp(mx[1].host, "a") &&
	    !strcmp(mx[2].host, "c") && !strcmp(mx[3].host, "d"),
	    "sorted by preference, ties by the random key");
	CHECK(mx_usable(mx, 4, self) == 4, "all usable without self");
	self[2] = 1;
	CHECK(mx_usable(mx, 4, self) == 2, "self cuts the list");
	self[2] = 0;
	self[1] = 1;
	CHECK(mx_usable(mx, 4, self) == 0, "self at the best preference: nothing");
	strcpy(mx[0].host, "");
	CHECK(mx_is_null(mx, 1) && !mx_is_null(mx, 2), "null MX only alone");
	CHECK(mx_drop_empty(mx, 4) == 3, "empty target dropped");
}

int
main(void)
{
	test_reply();
	test_ehlo();
	test_dotstuff();
	test_route();
	test_remoteauth();
	test_mx();
	return TAP_DONE();
}
