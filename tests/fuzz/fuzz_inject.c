/*
 * fuzz_inject.c -- libFuzzer target for the injection protocol
 * (lib/inject.h): a request is split as sluice-injectd splits it (header
 * line, message to the NUL, envelope through env_convert), and the
 * header and reply parsers must agree with their formatters: what parses
 * formats back to the same bytes, a reply's text is printable and
 * bounded, and the classification of its code is the one of
 * inject_status_of.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <stralloc.h>

#include "../../queue/envelope.h"
#include "inject.h"

static void
check_header(const char *s, size_t len)
{
	struct inject_header h;
	char out[INJECT_HEADER_MAX];
	size_t n;

	if (inject_header_parse(s, len, &h))
		return;
	if (h.sign < 0 || h.sign > 1 || h.bounce < 0 || h.bounce > 2)
		abort();
	n = inject_header_format(out, &h);
	if (n > INJECT_HEADER_MAX || n != len + 1 || memcmp(out, s, len) ||
	    out[len] != '\n')
		abort();
}

static void
check_reply(const char *s, size_t len)
{
	struct inject_result r;
	char out[INJECT_REPLY_MAX];
	size_t i, n;

	if (inject_reply_parse(s, len, &r))
		return;
	if (r.status != inject_status_of(r.code) || r.code < 0 || r.code > 99)
		abort();
	if (strlen(r.qid) > INJECT_QID_MAX || strlen(r.text) >= INJECT_REPLY_MAX)
		abort();
	for (i = 0; r.text[i]; i++)
		if (r.text[i] < 32 || r.text[i] > 126)
			abort();
	n = inject_reply_format(out, r.code, r.code ? r.text : r.qid);
	if (n > INJECT_REPLY_MAX || out[n - 1] != '\n' || memchr(out, '\n', n - 1))
		abort();
	if (r.code == 0 && (n != len + 1 || memcmp(out, s, len)))
		abort();
}

static void
check_request(const char *s, size_t len)
{
	const char *lf = memchr(s, '\n', len < INJECT_HEADER_MAX ? len :
	    INJECT_HEADER_MAX), *nul;
	stralloc block = {0};
	size_t nrcpt, used, rest;

	if (!lf)
		return;
	check_header(s, (size_t)(lf - s));
	rest = len - (size_t)(lf + 1 - s);
	nul = memchr(lf + 1, 0, rest);
	if (!nul)
		return;
	rest = len - (size_t)(nul + 1 - s);
	if (env_convert(nul + 1, rest, &block, &nrcpt, &used) == ENV_OK &&
	    (used > rest || !nrcpt))
		abort();
	stralloc_free(&block);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;

	if (size > 1 << 20)
		return 0;
	check_request(s, size);
	check_reply(s, size);
	check_header(s, size);
	return 0;
}
