/*
 * t_milterproto.c -- milter reply parsing and header edits
 * (smtpd/milterproto.c).
 */
#include <string.h>

#include "../../smtpd/milterproto.h"
#include "tap.h"

static int
parse(const char *p, size_t len, struct mp_msg *m)
{
	return mp_parse(p, len, m);
}

static int
header_is(const struct mp_header *h, const char *want)
{
	stralloc all = {0};
	size_t i;
	int ok;

	for (i = 0; i < h->n; i++)
		stralloc_cat(&all, &h->f[i].text);
	ok = all.len == strlen(want) && !memcmp(all.s, want, all.len);
	if (!ok) {
		stralloc_0(&all);
		printf("# got: %s\n", all.s);
	}
	stralloc_free(&all);
	return ok;
}

static struct mp_msg
edit(char cmd, unsigned long idx, const char *name, const char *value)
{
	struct mp_msg m;

	memset(&m, 0, sizeof m);
	m.cmd = cmd;
	m.index = idx;
	m.name = name;
	m.namelen = strlen(name);
	m.value = value;
	m.valuelen = strlen(value);
	return m;
}

int
main(void)
{
	struct mp_msg m;
	struct mp_header h = {0};
	stralloc out = {0};
	const char *v;
	size_t vl;

	CHECK(parse("O\0\0\0\6\0\0\0\x13\0\0\0\x42", 13, &m) == MP_OK && m.version == 6 &&
	    m.actions == 0x13 && m.protocol == 0x42, "option negotiation");
	CHECK(parse("O\0\0\0\6", 5, &m) == MP_BAD, "short negotiation refused");
	CHECK(parse("c", 1, &m) == MP_OK && m.cmd == 'c', "continue");
	CHECK(parse("y550 5.7.1 Spam\0", 16, &m) == MP_OK && m.valuelen == 14, "reply code");
	CHECK(parse("y250 ok\0", 8, &m) == MP_BAD, "2xx reply refused");
	CHECK(parse("y550 5.7.1 Spam", 15, &m) == MP_BAD, "unterminated reply refused");
	CHECK(parse("y550 a\nb\0", 9, &m) == MP_BAD, "control character in reply refused");
	CHECK(parse("hX-Spam\0yes\0", 12, &m) == MP_OK && m.namelen == 6 && m.valuelen == 3,
	    "add header");
	CHECK(parse("hX-Spam\0yes", 11, &m) == MP_BAD, "unterminated value refused");
	CHECK(parse("hX-Spam\0yes\0junk", 16, &m) == MP_BAD, "trailing junk refused");
	CHECK(parse("m\0\0\0\2Subject\0\0", 14, &m) == MP_OK && m.index == 2 && m.valuelen == 0,
	    "change header (delete)");
	CHECK(parse("i\0\0", 3, &m) == MP_BAD, "short insert refused");
	CHECK(parse("Z", 1, &m) == MP_BAD && parse("", 0, &m) == MP_BAD, "unknown and empty refused");
	CHECK(mp_put(&out, 'L', "a\0b\0", 4) && out.len == 9 &&
	    !memcmp(out.s, "\0\0\0\5La\0b\0", 9), "packet framing");

	CHECK(mp_header_load(&h, "Received: x\n\tby y\nSubject: hi\nTo: a\nSubject: two\n", 48) &&
	    h.n == 4, "four fields");
	mp_field_value(&h.f[0], &v, &vl);
	CHECK(vl == 7 && !memcmp(v, "x\n\tby y", 7), "value keeps its fold, loses the space");
	m = edit('h', 0, "X-Spam", "yes");
	CHECK(mp_header_edit(&h, &m) == 1, "add");
	m = edit('i', 0, "Authentication-Results", "mx; dkim=pass");
	CHECK(mp_header_edit(&h, &m) == 1, "insert at top");
	m = edit('m', 2, "Subject", "changed");
	CHECK(mp_header_edit(&h, &m) == 1, "change the second Subject");
	m = edit('m', 1, "To", "");
	CHECK(mp_header_edit(&h, &m) == 1, "delete To");
	m = edit('m', 5, "To", "");
	CHECK(mp_header_edit(&h, &m) == 1, "deleting a missing field is fine");
	CHECK(header_is(&h, "Authentication-Results: mx; dkim=pass\nReceived: x\n\tby y\n"
	    "Subject: hi\nSubject: changed\nX-Spam: yes\n"), "edits applied in order");
	m = edit('h', 0, "X-Evil", "a\nInjected: yes");
	CHECK(mp_header_edit(&h, &m) == 0, "a value cannot start a line of its own");
	m = edit('h', 0, "X-Evil", "a\r\n\tfolded");
	CHECK(mp_header_edit(&h, &m) == 1, "CRLF fold accepted");
	m = edit('h', 0, "X-Evil", "a\rb");
	CHECK(mp_header_edit(&h, &m) == 0, "lone CR refused");
	m = edit('h', 0, "Bad Name", "x");
	CHECK(mp_header_edit(&h, &m) == 0, "name with a space refused");
	m = edit('h', 0, "", "x");
	CHECK(mp_header_edit(&h, &m) == 0, "empty name refused");
	m = edit('h', 0, "X:y", "x");
	CHECK(mp_header_edit(&h, &m) == 0, "name with a colon refused");
	CHECK(header_is(&h, "Authentication-Results: mx; dkim=pass\nReceived: x\n\tby y\n"
	    "Subject: hi\nSubject: changed\nX-Spam: yes\nX-Evil: a\n\tfolded\n"), "refused edits left nothing");
	mp_header_free(&h);
	stralloc_free(&out);
	return TAP_DONE();
}
