/*
 * t_inject.c -- unit tests for the pure parts of the injection protocol
 * (lib/inject.h): the header line, the reply line, the classification.
 */
#include <string.h>

#include "inject.h"
#include "tap.h"

#define S(x) x, sizeof x - 1

int
main(void)
{
	struct inject_header h;
	struct inject_result r;
	char out[INJECT_REPLY_MAX];
	size_t n;

	CHECK(!inject_header_parse(S("INJECT/1 sign=1 bounce=2"), &h) &&
	    h.sign == 1 && h.bounce == 2, "header");
	CHECK(inject_header_parse(S("INJECT/1 sign=1 bounce=3"), &h),
	    "bounce 3");
	CHECK(inject_header_parse(S("INJECT/2 sign=1 bounce=0"), &h),
	    "version 2");
	CHECK(inject_header_parse(S("INJECT/1 sign=1 bounce=0 "), &h),
	    "trailing space");
	CHECK(inject_header_parse(S(""), &h), "empty");
	h.sign = 0;
	h.bounce = 1;
	n = inject_header_format(out, &h);
	CHECK(n == 25 && !memcmp(out, "INJECT/1 sign=0 bounce=1\n", 25),
	    "format");
	CHECK(!inject_reply_parse(S("ok 6b02c3ed8bae1.a74760"), &r) &&
	    r.status == INJECT_OK && r.code == 0 &&
	    !strcmp(r.qid, "6b02c3ed8bae1.a74760"), "ok reply");
	CHECK(inject_reply_parse(S("ok "), &r), "ok without id");
	CHECK(inject_reply_parse(S("ok a b"), &r), "ok with junk");
	CHECK(!inject_reply_parse(S("31 message too big"), &r) &&
	    r.status == INJECT_PERM && r.code == 31 &&
	    !strcmp(r.text, "message too big"), "permanent");
	CHECK(!inject_reply_parse(S("53 cannot sync\x01"), &r) &&
	    r.status == INJECT_TEMP && !strcmp(r.text, "cannot sync?"),
	    "temporary, made printable");
	CHECK(inject_reply_parse(S("00 fine"), &r), "00 is not a code");
	CHECK(inject_reply_parse(S("3 x"), &r), "one digit");
	CHECK(inject_status_of(0) == INJECT_OK &&
	    inject_status_of(11) == INJECT_PERM &&
	    inject_status_of(40) == INJECT_PERM &&
	    inject_status_of(41) == INJECT_TEMP &&
	    inject_status_of(10) == INJECT_TEMP &&
	    inject_status_of(-1) == INJECT_TEMP, "classification");
	n = inject_reply_format(out, 0, "abc.1");
	CHECK(n == 9 && !memcmp(out, "ok abc.1\n", 9), "format ok");
	n = inject_reply_format(out, 91, "bad\nline");
	CHECK(n == 12 && !memcmp(out, "91 bad?line\n", 12), "format refusal");
	return TAP_DONE();
}
