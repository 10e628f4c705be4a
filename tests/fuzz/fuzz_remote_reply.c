/*
 * fuzz_remote_reply.c -- libFuzzer target for sluice-remote's parsers of
 * what the peer says: SMTP replies (line by line), enhanced status codes
 * and EHLO keywords.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../remote/smtpreply.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct smtp_reply r;
	struct ehlo_caps c;
	char dsn[12];
	size_t pos = 0;
	int st = 0;

	smtp_reply_init(&r);
	ehlo_caps_init(&c);
	while (pos < size && st == 0) {
		const char *lf = memchr(s + pos, '\n', size - pos);
		size_t len = lf ? (size_t)(lf - (s + pos)) + 1 : size - pos;

		st = smtp_reply_feed(&r, s + pos, len);
		if (len > 4)
			ehlo_caps_line(&c, s + pos + 4, len - 4);
		pos += len;
	}
	if (r.textlen > REPLY_TEXT_MAX || strlen(r.text) != r.textlen)
		abort();
	if (st == 1) {
		smtp_reply_dsn(&r, dsn);
		if (strlen(dsn) > 11 || dsn[0] != '0' + r.code / 100)
			abort();
	}
	return 0;
}
