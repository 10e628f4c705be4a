/*
 * t_logparse.c -- unit tests of sluice-report's log line parser
 * (queue/logparse.c) on lines as the programs write them.
 */
#include <string.h>

#include "tap.h"
#include "../../queue/logparse.h"

static struct logrec r;

static enum logkind
parse(const char *l)
{
	return logrec_parse(l, strlen(l), &r);
}

int
main(void)
{
	CHECK(parse("@400000006b1726cd05589954 sluice-smtpd: qid=6b17.1 "
	    "sid=6b1726cd.0558.1f queued ip=192.0.2.7 user=alice@example.test "
	    "from=<alice@example.test> rcpts=1 size=300") == LK_QUEUED &&
	    !strcmp(r.ip, "192.0.2.7") && !strcmp(r.user, "alice@example.test"),
	    "accepted message: ip and user");
	CHECK(r.when == 0x6b1726cdULL - 10, "TAI64N to Unix seconds");
	CHECK(parse("sluice-smtpd: qid=x sid=y queued ip=::1 user=- from=<> "
	    "rcpts=1 size=3") == LK_QUEUED && !r.user[0] && r.when == 0,
	    "no login, no timestamp");
	CHECK(parse("@400000006b1726cd05589954 sluice-send: qid=q delivery "
	    "to=<bob@Remote.TEST> status=deferred dsn=4.2.2 relay=remote "
	    "delay=3s size=9 mx said: 452") == LK_DEFERRED &&
	    !strcmp(r.domain, "remote.test"), "deferral with its domain");
	CHECK(parse("sluice-send: qid=q delivery to=<a@b.test> status=sent "
	    "dsn=2.0.0 relay=local") == LK_SENT, "delivered");
	CHECK(parse("sluice-send: qid=q delivery to=<a@b.test> status=bounced "
	    "dsn=5.1.1 relay=local") == LK_BOUNCED, "bounced");
	CHECK(parse("sluice-smtpd: sid=s refused rcpt ip=192.0.2.9 from=<x@y> "
	    "to=<n@example.test> 550 5.1.1 Recipient address rejected: user "
	    "unknown") == LK_REFUSED && !strcmp(r.reason,
	    "550 5.1.1 Recipient address rejected: user unknown") &&
	    !strcmp(r.ip, "192.0.2.9"), "refusal: the reply is the reason");
	CHECK(parse("sluice-smtpd: sid=s refused connection ip=192.0.2.9 "
	    "connections=4 limit=maxconnip") == LK_REFUSED &&
	    !strcmp(r.reason, "421 4.7.0 maxconnip"), "connection limit");
	CHECK(parse("sluice-smtpd: sid=s dnsbl ip=127.0.0.2 zone=bl.test "
	    "listed (zone 1 of the list)") == LK_REFUSED &&
	    !strcmp(r.reason, "554 5.7.1 dnsbl bl.test"), "dnsbl");
	CHECK(parse("sluice-smtpd: sid=s early talker from 192.0.2.1") ==
	    LK_REFUSED && !strcmp(r.ip, "192.0.2.1"), "early talker");
	CHECK(parse("sluice-pop3d: auth failed ip=192.0.2.3 user=bob x") ==
	    LK_AUTHFAIL && !strcmp(r.ip, "192.0.2.3"), "POP3 failed login");
	CHECK(parse("sluice-smtpd: sid=s auth failed ip=192.0.2.4 user=a") ==
	    LK_AUTHFAIL, "SMTP failed login");
	CHECK(parse("sluice-send: started with 0 messages") == LK_OTHER,
	    "other lines");
	CHECK(parse("garbage without colon") == LK_OTHER, "garbage");
	CHECK(parse("@4000zz sluice-smtpd: queued ip=1") == LK_QUEUED &&
	    r.when == 0, "bad timestamp: no date");
	CHECK(logrec_parse("sluice-smtpd: queued ip=1.2.3.4", 27, &r) ==
	    LK_QUEUED && !strcmp(r.ip, "1.2"), "never past len");
	return TAP_DONE();
}
