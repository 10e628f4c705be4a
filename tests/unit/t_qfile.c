/*
 * t_qfile.c -- unit tests of the queue file parser (queue/qfile.c), the
 * envelope converter (queue/envelope.c) and the bounce composer
 * (manager/dsn.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "../../manager/dsn.h"
#include "../../queue/envelope.h"
#include "../../queue/qfile.h"

static int
parse(const char *text, struct qf *q, char **keep)
{
	*keep = strdup(text);
	return qf_parse(*keep, strlen(text), q);
}

static void
test_head(void)
{
	char head[QF_HEAD_LEN];
	unsigned long n = 0;

	qf_head_format(head, 1234567);
	CHECK(qf_head_parse(head, sizeof head, &n) == 1 && n == 1234567,
	    "head round trip");
	qf_head_format(head, 0);
	CHECK(qf_head_parse(head, sizeof head, &n) == 1 && n == 0, "head zero");
	head[0] = 'X';
	CHECK(!qf_head_parse(head, sizeof head, &n), "bad magic refused");
	memset(head, '0', sizeof head);
	CHECK(!qf_head_parse(head, sizeof head, &n), "placeholder refused");
}

static void
test_journal(void)
{
	struct qf q;
	char *buf;
	stralloc rec = {0};

	CHECK(parse("A100\nN0\nFa@b\nTc@d\nTe@f\nTg@h\nE\n"
	    "K0 101 2.0.0 delivered\n"
	    "Z1 102 4.2.2 full\nZ1 200 4.2.2 still full\n"
	    "D2 103 5.1.1 nope\nB2 104\n"
	    "K1 105 2.0.0 ok", &q, &buf) == 1, "parse");
	CHECK(q.arrival == 100 && q.level == 0 && !strcmp(q.sender, "a@b") &&
	    q.nrcpt == 3, "envelope fields");
	CHECK(q.r[0].state == 'K', "K applies");
	CHECK(q.r[1].state == 0 && q.r[1].attempts == 2 && q.r[1].last == 200,
	    "Z counts attempts; torn K ignored");
	CHECK(!strcmp(q.r[1].status, "4.2.2 still full"), "last status kept");
	CHECK(q.r[2].state == 'B' && !strcmp(q.r[2].status, "5.1.1 nope"),
	    "B after D keeps the status");
	CHECK(q.good_len == strlen("A100\nN0\nFa@b\nTc@d\nTe@f\nTg@h\nE\n"
	    "K0 101 2.0.0 delivered\nZ1 102 4.2.2 full\nZ1 200 4.2.2 still full\n"
	    "D2 103 5.1.1 nope\nB2 104\n"), "good_len stops before the torn line");
	qf_free(&q);
	free(buf);

	CHECK(parse("A1\nN0\nF\nTx@y\nE\nK9 1 2.0.0 x\nK0 1 9.0.0 x\n"
	    "K0 x 2.0.0 x\nB0 1 extra\nK0 1 2.0.0 bad\001\n", &q, &buf) == 1 &&
	    q.r[0].state == 0, "bad records ignored");
	qf_free(&q);
	free(buf);

	CHECK(parse("A1\nN0\nFa\nTb\nE\nH 5\nL 6\n", &q, &buf) == 1 &&
	    q.held && q.warned && q.r[0].state == 0, "H and L records");
	qf_free(&q);
	free(buf);
	CHECK(parse("A1\nN0\nFa\nTb\nE\nH 5\nR 7\nH x\nL\nLx 1\n", &q,
	    &buf) == 1 && !q.held && !q.warned, "R releases; bad ones ignored");
	qf_free(&q);
	free(buf);
	{
		char l1[] = "X 6b02c3ed8bae1.a74760 example.net", l2[] = "H 6b02c3ed8bae1.a7",
		    l3[] = "X 6b02c3ed8bae1.a7 Example.net", l4[] = "Q 6b02c3ed8bae1.a7",
		    l5[] = "F ../x", l6[] = "F 6b02c3ed8bae1.a7 ", cmd, *id, *dom;

		CHECK(qf_command_parse(l1, &cmd, &id, &dom) && cmd == 'X' &&
		    !strcmp(id, "6b02c3ed8bae1.a74760") &&
		    !strcmp(dom, "example.net"), "command with a domain");
		CHECK(qf_command_parse(l2, &cmd, &id, &dom) && cmd == 'H' &&
		    !dom, "command without a domain");
		CHECK(!qf_command_parse(l3, &cmd, &id, &dom) &&
		    !qf_command_parse(l4, &cmd, &id, &dom) &&
		    !qf_command_parse(l5, &cmd, &id, &dom) &&
		    !qf_command_parse(l6, &cmd, &id, &dom),
		    "bad commands refused");
	}
	rec.len = 0;
	CHECK(qf_msg_record(&rec, 'H', 42) && rec.len == 5 &&
	    !memcmp(rec.s, "H 42\n", 5), "message record format");
	rec.len = 0;

	CHECK(parse("A1\nN0\nFa\nE\n", &q, &buf) == 0, "no recipient");
	qf_free(&q);
	free(buf);
	CHECK(parse("A1\nN3\nFa\nTb\nE\n", &q, &buf) == 0, "bad level");
	qf_free(&q);
	free(buf);
	CHECK(parse("A1\nN0\nFa\nTb\n", &q, &buf) == 0, "no end");
	qf_free(&q);
	free(buf);

	qf_record(&rec, 'D', 3, 77, "5.1.1", "a\nb", 3);
	CHECK(rec.len == strlen("D3 77 5.1.1 a?b\n") &&
	    !memcmp(rec.s, "D3 77 5.1.1 a?b\n", rec.len), "record format");
	stralloc_free(&rec);
}

static void
test_ids(void)
{
	char id[QF_ID_MAX];
	stralloc p = {0};

	qf_id_make(id, 0x6b02c3ed, 0x8bae1, 0xa74760);
	CHECK(!strcmp(id, "6b02c3ed8bae1.a74760"), "id format");
	CHECK(qf_id_valid(id), "id valid");
	CHECK(qf_id_bucket(id) == 0xa74760 % QF_BUCKETS, "bucket from inode");
	CHECK(qf_mess_path(&p, id) && !strcmp(p.s, "mess/32/6b02c3ed8bae1.a74760"),
	    "path");
	CHECK(!qf_id_valid("../../etc") && !qf_id_valid("6b02c3ed8bae1.") &&
	    !qf_id_valid("6b02c3ed8bae1.A") && !qf_id_valid(""),
	    "bad ids refused");
	CHECK(qf_retry_at(1, 1000, 300, 14400) == 1300 &&
	    qf_retry_at(3, 1000, 300, 14400) == 2200 &&
	    qf_retry_at(20, 1000, 300, 14400) == 15400, "retry schedule");
	stralloc_free(&p);
}

static void
test_envelope(void)
{
	stralloc out = {0};
	size_t n, used;
	static const char ok[] = "Fa@b\0Tc@d\0Te@f\0\0";
	char big[400];

	CHECK(env_convert(ok, sizeof ok - 1, &out, &n, &used) == ENV_OK &&
	    n == 2 && used == sizeof ok - 1 && out.len == 15 &&
	    !memcmp(out.s, "Fa@b\nTc@d\nTe@f\n", 15), "envelope converted");
	CHECK(env_convert(ok, 8, &out, &n, &used) == ENV_MORE, "incomplete");
	CHECK(env_convert("F\0Tc\0\0", 6, &out, &n, &used) == ENV_OK,
	    "null sender");
	CHECK(env_convert("F\0\0", 3, &out, &n, &used) == ENV_FORMAT,
	    "no recipients");
	CHECK(env_convert("Fa\0T\0\0", 6, &out, &n, &used) == ENV_FORMAT,
	    "empty recipient");
	CHECK(env_convert("Fa\0Xb\0\0", 7, &out, &n, &used) == ENV_FORMAT,
	    "bad tag");
	CHECK(env_convert("Fa\tb\0Tc\0\0", 9, &out, &n, &used) == ENV_FORMAT,
	    "control character");
	memset(big, 'x', sizeof big);
	big[0] = 'F';
	CHECK(env_convert(big, sizeof big, &out, &n, &used) == ENV_ADDRLONG,
	    "long address");
	stralloc_free(&out);
}

static void
test_dsn(void)
{
	stralloc out = {0};
	struct dsn_info in = { "mx.example", "MAILER-DAEMON@mx.example",
	    "s@example", "6b02c3ed8bae1.a74760", "s@example", 1000, 2000, 0, 0, 0 };
	struct dsn_rcpt r[2] = {
		{ "x@remote", "5.1.1 mx.remote[1.2.3.4] said: 550 no" },
		{ "y@remote", "4.4.1 connection refused" } };
	static const char orig[] = "Subject: hi\nFrom: s@example\n\nbody\n";

	CHECK(dsn_compose(&out, &in, r, 2, orig, sizeof orig - 1, 0), "compose");
	CHECK(stralloc_0(&out) && strstr(out.s, "report-type=delivery-status"),
	    "multipart/report");
	CHECK(strstr(out.s, "\nRemote-MTA: dns; mx.remote\n") &&
	    strstr(out.s, "\nDiagnostic-Code: smtp; 550 no\n"), "remote MTA");
	CHECK(strstr(out.s, "\nStatus: 4.4.1\nDiagnostic-Code: x-sluice; "
	    "connection refused\n"), "local diagnostic");
	CHECK(strstr(out.s, "text/rfc822-headers\n\nSubject: hi\nFrom: "
	    "s@example\n\n--") && !strstr(out.s, "body"), "headers only");
	CHECK(!strstr(out.s, "Action: delayed"), "a failure report");
	out.len = 0;
	in.delayed = 1;
	in.retry_until = 604800;
	CHECK(dsn_compose(&out, &in, r + 1, 1, orig, sizeof orig - 1, 0) &&
	    stralloc_0(&out), "compose a delay warning");
	CHECK(strstr(out.s, "\nAction: delayed\nStatus: 4.4.1\n"
	    "Will-Retry-Until: ") && strstr(out.s, "Subject: Delayed Mail") &&
	    !strstr(out.s, "Action: failed") && !strstr(out.s, "gave up"),
	    "Action: delayed");
	stralloc_free(&out);
}

/* a report never passes info.max: the original gives way to its headers,
 * the headers are cut at a line end, then fewer recipients are listed */
static void
test_dsn_limit(void)
{
	static char orig[200000], addrs[3000][40];
	static struct dsn_rcpt r[3000];
	struct dsn_info in = { "mx.example", "MAILER-DAEMON@mx.example",
	    "s@example", "6b02c3ed8bae1.a74760", "s@example", 1000, 2000, 0, 0, 0 };
	stralloc out = {0};
	size_t i, len = 0;

	for (i = 0; len + 40 < 100000; i++)
		len += (size_t)sprintf(orig + len, "X-H%zu: %s\n", i,
		    "hhhhhhhhhhhhhhhhhhhhhhhhhh");
	orig[len++] = '\n';
	orig[len++] = '\r';	/* from an old queue file: left out */
	while (len < sizeof orig - 1)
		orig[len++] = i++ % 64 ? 'b' : '\n';
	for (i = 0; i < 3000; i++) {
		sprintf(addrs[i], "user%zu@remote.example", i);
		r[i].addr = addrs[i];
		r[i].status = "5.1.1 mx.remote[1.2.3.4] said: 550 no such user";
	}
	CHECK(dsn_compose(&out, &in, r, 1, orig, len, 1) && out.len > len - 10 &&
	    !memchr(out.s, '\r', out.len), "no limit: whole, without CR");
	in.max = 150000;
	out.len = 0;
	CHECK(dsn_compose(&out, &in, r, 1, orig, len, 1) && out.len <= in.max &&
	    stralloc_0(&out) && strstr(out.s, "only its\nheaders are attached") &&
	    strstr(out.s, "text/rfc822-headers\n\nX-H0:") &&
	    !strstr(out.s, "bbbb") && strstr(out.s, "\n\n--=_sluice"),
	    "too big whole: headers only");
	in.max = 30000;
	out.len = 0;
	CHECK(dsn_compose(&out, &in, r, 1, orig, len, 0) && out.len <= in.max &&
	    out.len > in.max - 200 && stralloc_0(&out) &&
	    strstr(out.s, "may be cut short") && strstr(out.s, "hhhh\n\n--=_"),
	    "headers cut at a line end");
	out.len = 0;
	CHECK(dsn_compose(&out, &in, r, 3000, orig, len, 0) && out.len <= in.max &&
	    stralloc_0(&out) && strstr(out.s, " more recipients failed as well") &&
	    strstr(out.s, "user0@remote.example") &&
	    !strstr(out.s, "user2999@remote.example"), "recipients counted");
	stralloc_free(&out);
}

/* compaction keeps every recipient's state, attempts, last time and
 * text in fewer records */
static void
test_compact(void)
{
	const char *tail = "A100\nN0\nFs@x.test\nTa@y\nTb@y\nTc@y\nTd@y\nTe@y\nE\n"
	    "Z0 10 4.2.2 full\nZ0 11 4.2.2 full\nK0 12 2.0.0 done\n"
	    "Z1 13 4.4.1 one\nZ1 14 4.4.1 two\nZ1 15 4.4.1 three\n"
	    "D2 16 5.1.1 no such user\nB2 17\nX3 18\nA4 19 7\n";
	struct qf q, c;
	stralloc t = {0};
	char *keep;
	size_t envlen;

	CHECK(parse(tail, &q, &keep) == 1, "parse a long journal");
	envlen = q.env_len;
	CHECK(envlen == strlen("A100\nN0\nFs@x.test\nTa@y\nTb@y\nTc@y\nTd@y\nTe@y\nE\n"),
	    "envelope length");
	CHECK(stralloc_copyb(&t, tail, envlen) && qf_compact(&q, &t), "compact");
	CHECK(stralloc_0(&t) && qf_parse(t.s, t.len - 1, &c) == 1, "parse it again");
	CHECK(c.r[0].state == 'K' && !strcmp(c.r[0].status, "2.0.0 done"), "K kept");
	CHECK(c.r[1].state == 0 && c.r[1].attempts == 3 && c.r[1].last == 15 &&
	    !strcmp(c.r[1].status, "4.4.1 three"), "attempts, time and last text kept");
	CHECK(c.r[2].state == 'B' && c.r[3].state == 'X', "B and X kept");
	CHECK(c.r[4].state == 0 && c.r[4].attempts == 7 && c.r[4].last == 19,
	    "A record");
	CHECK(strstr(t.s, "Z0") == 0 && strstr(t.s, "Z1 14") == 0, "fewer records");
	qf_free(&q);
	qf_free(&c);
	free(keep);
	stralloc_free(&t);
}

int
main(void)
{
	test_head();
	test_journal();
	test_ids();
	test_envelope();
	test_dsn();
	test_compact();
	test_dsn_limit();
	return TAP_DONE();
}
