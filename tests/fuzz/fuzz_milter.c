/*
 * fuzz_milter.c -- a hostile milter's reply packets (smtpd/milterproto.c):
 * the input is a stream of length-prefixed packets, each parsed and, when
 * it is a header edit, applied to a small header.  Whatever the edits,
 * every field must still be a "Name: value" line whose line breaks are
 * folds, and the section must never contain an empty line.
 */
#include <stdint.h>
#include <string.h>

#include "../../smtpd/milterproto.h"

static void
check(const struct mp_header *h)
{
	size_t i, j;

	for (i = 0; i < h->n; i++) {
		const stralloc *t = &h->f[i].text;

		if (!t->len || t->s[t->len - 1] != '\n')
			__builtin_trap();
		for (j = 0; j + 1 < t->len; j++)
			if (t->s[j] == '\n' && t->s[j + 1] != ' ' && t->s[j + 1] != '\t')
				__builtin_trap();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char hdr[] = "Received: x\n\tby y\nSubject: hi\nTo: a\n";
	struct mp_header h = {0};
	struct mp_msg m;
	size_t pos = 0;

	mp_header_load(&h, hdr, sizeof hdr - 1);
	while (pos + 2 <= size) {
		size_t len = (size_t)data[pos] << 8 | data[pos + 1];

		pos += 2;
		if (len > size - pos)
			len = size - pos;
		if (mp_parse((const char *)data + pos, len, &m) == MP_OK &&
		    (m.cmd == 'h' || m.cmd == 'i' || m.cmd == 'm'))
			mp_header_edit(&h, &m);
		pos += len;
	}
	check(&h);
	mp_header_free(&h);
	return 0;
}
