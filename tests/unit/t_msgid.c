/*
 * t_msgid.c -- unit tests of the Message-ID finder of the queue
 * manager's log lines (manager/msgid.c).
 */
#include <string.h>

#include "tap.h"
#include "../../manager/msgid.h"

static char out[MSGID_MAX];

static int
find(const char *h)
{
	return msgid_find(h, strlen(h), out);
}

int
main(void)
{
	char big[600];

	CHECK(find("From: a@b\nMessage-ID: <x1@y>\n\nbody") &&
	    !strcmp(out, "<x1@y>"), "plain field");
	CHECK(find("message-id:\n  <folded@y>\n\n") && !strcmp(out, "<folded@y>"),
	    "folded, lower case");
	CHECK(find("Message-Id: junk <a b@c> trailing\n") &&
	    !strcmp(out, "<ab@c>"), "the <...> part, spaces dropped");
	CHECK(find("Message-ID: noangle@x\n") && !strcmp(out, "noangle@x"),
	    "without angle brackets");
	CHECK(!find("Subject: hi\n\nMessage-ID: <body@x>\n"),
	    "not in the body");
	CHECK(!find("Subject: x\n"), "absent");
	CHECK(!find("Message-ID:\n"), "empty");
	CHECK(find("Message-ID: <tab\x01\x7f@x>\n") && !strcmp(out, "<tab@x>"),
	    "control characters dropped");
	memset(big, 'a', sizeof big);
	memcpy(big, "Message-ID: <", 13);
	big[sizeof big - 1] = 0;
	CHECK(find(big) && strlen(out) == MSGID_MAX - 1, "cut to MSGID_MAX");
	CHECK(msgid_find("Message-ID: <a@b>", 11, out) == 0,
	    "never reads past len");
	return TAP_DONE();
}
