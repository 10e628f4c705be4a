/*
 * t_job.c -- unit tests for the job protocol (lib/job.c); the transport
 * itself is t_packet.c's.
 */
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <fcntl.h>

#include "job.h"
#include "packet.h"
#include "tap.h"

static void
roundtrip(void)
{
	struct job j = {0}, d;
	stralloc sa = {0};
	char buf[JOB_PACKET_MAX];

	j.id = 42;
	j.qid = "q123";
	j.kind = JOB_REMOTE;
	j.sender = "";
	j.arrival = 1700000000;
	j.offset = 17;
	j.length = 4096;
	j.domain = "example.test";
	j.nrcpt = 2;
	j.rcpt[0] = "a@example.test";
	j.rcpt[1] = "b@example.test";
	CHECK(job_encode(&j, &sa), "encode remote job");
	memcpy(buf, sa.s, sa.len);
	CHECK(job_decode(buf, sa.len, &d), "decode remote job");
	CHECK(d.id == 42 && d.kind == JOB_REMOTE && d.offset == 17 && d.length == 4096 &&
	    d.arrival == 1700000000, "numbers survive");
	CHECK(!strcmp(d.qid, "q123") && !strcmp(d.sender, "") &&
	    !strcmp(d.domain, "example.test"), "strings survive, null sender");
	CHECK(d.nrcpt == 2 && !strcmp(d.rcpt[1], "b@example.test"), "recipients survive");

	/* the wire format: the enum values are the letters */
	CHECK(sa.len == 76 && !memcmp(sa.s, "J1\0" "42\0" "q123\0" "R\0" "\0"
	    "1700000000\0" "17\0" "4096\0" "example.test\0" "a@example.test\0"
	    "b@example.test\0", 76), "remote job: the bytes on the wire");

	memcpy(buf, sa.s, sa.len);
	CHECK(!job_decode(buf, sa.len - 1, &d), "refuse packet without final NUL");
	memcpy(buf, sa.s, sa.len);
	buf[11] = 'X';
	CHECK(!job_decode(buf, sa.len, &d), "refuse an unknown kind");
	memcpy(buf, sa.s, sa.len);
	buf[0] = 'X';
	CHECK(!job_decode(buf, sa.len, &d), "refuse wrong tag");

	j.kind = JOB_LOCAL;
	CHECK(job_encode(&j, &sa), "encode local job with two rcpts");
	memcpy(buf, sa.s, sa.len);
	CHECK(!job_decode(buf, sa.len, &d), "refuse local job with two recipients");
	j.rcpt[0] = "a\0b";
	j.nrcpt = 0;
	CHECK(!job_encode(&j, &sa), "refuse job without recipients");
	stralloc_free(&sa);
}

static void
results(void)
{
	stralloc sa = {0};
	struct job_result r;
	char buf[JOB_PACKET_MAX];
	char longtext[3000];

	memset(longtext, 'x', sizeof longtext);
	longtext[5] = '\n';
	longtext[6] = (char)0xff;
	CHECK(job_result_start(&sa, 7), "result start");
	CHECK(job_result_add(&sa, JOB_SENT, "2.0.0", "delivered", 9), "add K");
	CHECK(job_result_add(&sa, JOB_FAILED, "5.1.1", longtext, sizeof longtext),
	    "add long D");
	CHECK(!job_result_add(&sa, (enum job_status)'X', "5.1.1", "x", 1),
	    "refuse bad letter");
	CHECK(!job_result_add(&sa, JOB_NONE, "5.1.1", "x", 1), "refuse no status");
	memcpy(buf, sa.s, sa.len);
	CHECK(job_result_decode(buf, sa.len, &r), "decode result");
	CHECK(r.id == 7 && r.first == 0 && r.n == 2, "id, first and count");
	CHECK(!strcmp(r.status[0], "K2.0.0 delivered"), "K status text");
	CHECK(strlen(r.status[1]) == 7 + JOB_TEXT_MAX, "long text cut");
	CHECK(r.status[1][7 + 5] == ' ' && r.status[1][7 + 6] == '?', "text sanitised");
	memcpy(buf, "R1\0" "7\0" "999\0" "K2.0.0 x\0" "K2.0.0 y\0", 27);
	CHECK(!job_result_decode(buf, 27, &r), "refuse FIRST + n past the limit");
	memcpy(buf, "R1\0" "7\0" "0\0", 7);
	CHECK(!job_result_decode(buf, 7, &r), "refuse a result without status");
	stralloc_free(&sa);
}

/* one status field taken apart: the letters are the enum's values */
static void
statuses(void)
{
	enum job_status st;
	char dsn[JOB_DSN_MAX + 1];
	const char *text;

	CHECK(JOB_SENT == 'K' && JOB_DEFERRED == 'Z' && JOB_FAILED == 'D' &&
	    JOB_LOCAL == 'L' && JOB_REMOTE == 'R', "enum values are the letters");
	CHECK(job_status_split("K2.0.0 delivered", &st, dsn, &text) &&
	    st == JOB_SENT && !strcmp(dsn, "2.0.0") && !strcmp(text, "delivered"),
	    "split K");
	CHECK(job_status_split("Z4.2.2", &st, dsn, &text) && st == JOB_DEFERRED &&
	    !strcmp(dsn, "4.2.2") && !strcmp(text, ""), "split Z without text");
	CHECK(job_status_split("D5.100.999 x", &st, dsn, &text) &&
	    st == JOB_FAILED && !strcmp(dsn, "5.100.999"), "split D, long code");
	CHECK(!job_status_split("X2.0.0 x", &st, dsn, &text), "refuse letter X");
	CHECK(!job_status_split("B5.0.0 x", &st, dsn, &text),
	    "refuse a journal-only letter");
	CHECK(!job_status_split("K3.0.0 x", &st, dsn, &text), "refuse class 3");
	CHECK(!job_status_split("K2.0 x", &st, dsn, &text), "refuse short code");
	CHECK(!job_status_split("K2.0.0000 x", &st, dsn, &text), "refuse long part");
	CHECK(!job_status_split("K2.0.0 a\tb", &st, dsn, &text), "refuse control");
	CHECK(!job_status_split("", &st, dsn, &text), "refuse empty");
	CHECK(job_status_of('K') == JOB_SENT && job_status_of('Q') == JOB_NONE &&
	    job_status_of(0) == JOB_NONE, "letters to statuses");
}

/* a result of 1,000 long statuses goes out in several packets that
 * together give every status once, in order */
static void
split_results(void)
{
	static char buf[JOB_PACKET_MAX + 1];
	stralloc sa = {0};
	struct job_result r;
	char text[JOB_TEXT_MAX];
	int sv[2], packets = 0, bad = 0;
	size_t i, next = 0;
	long n;

	memset(text, 'y', sizeof text);
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0, "socketpair");
	CHECK(job_result_start(&sa, 42), "start");
	for (i = 0; i < JOB_RCPT_MAX; i++)
		if (!job_result_add(&sa, JOB_SENT, "2.0.0", text, sizeof text))
			bad++;
	CHECK(!bad && sa.len > JOB_PACKET_MAX, "a result bigger than a packet");
	if (fork() == 0) {
		_exit(job_result_send(sv[0], sa.s, sa.len) ? 1 : 0);
	}
	close(sv[0]);
	while (next < JOB_RCPT_MAX &&
	    (n = packet_recv(sv[1], buf, JOB_PACKET_MAX, 0)) > 0) {
		packets++;
		if (!job_result_decode(buf, (size_t)n, &r) || r.id != 42 ||
		    r.first != next)
			bad++;
		for (i = 0; i < r.n; i++)
			if (strncmp(r.status[i], "K2.0.0 yyy", 10))
				bad++;
		next += r.n;
	}
	CHECK(!bad && next == JOB_RCPT_MAX, "every status once, in order");
	CHECK(packets >= 8, "split into packets");
	close(sv[1]);
	wait(0);
	stralloc_free(&sa);
}

int
main(void)
{
	roundtrip();
	results();
	statuses();
	split_results();
	return TAP_DONE();
}
