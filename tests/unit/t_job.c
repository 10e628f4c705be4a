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
	j.kind = 'R';
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
	CHECK(d.id == 42 && d.kind == 'R' && d.offset == 17 && d.length == 4096 &&
	    d.arrival == 1700000000, "numbers survive");
	CHECK(!strcmp(d.qid, "q123") && !strcmp(d.sender, "") &&
	    !strcmp(d.domain, "example.test"), "strings survive, null sender");
	CHECK(d.nrcpt == 2 && !strcmp(d.rcpt[1], "b@example.test"), "recipients survive");

	memcpy(buf, sa.s, sa.len);
	CHECK(!job_decode(buf, sa.len - 1, &d), "refuse packet without final NUL");
	memcpy(buf, sa.s, sa.len);
	buf[0] = 'X';
	CHECK(!job_decode(buf, sa.len, &d), "refuse wrong tag");

	j.kind = 'L';
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
	CHECK(job_result_add(&sa, 'K', "2.0.0", "delivered", 9), "add K");
	CHECK(job_result_add(&sa, 'D', "5.1.1", longtext, sizeof longtext), "add long D");
	CHECK(!job_result_add(&sa, 'X', "5.1.1", "x", 1), "refuse bad letter");
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
		if (!job_result_add(&sa, 'K', "2.0.0", text, sizeof text))
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
	split_results();
	return TAP_DONE();
}
