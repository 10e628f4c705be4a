/*
 * fuzz_tcprules.c -- libFuzzer target for tcprules_parse (lib/tcpenv.h):
 * a rule from a tcp.cdb value.  Whatever the bytes, the verdict is one of
 * the three; a denying or malformed rule sets nothing; every variable set
 * has a name of 1..255 bytes without '=' or NUL that lies inside the
 * input, and at most TCPRULES_VARS_MAX are set.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tcpenv.h"

struct seen {
	const char *buf;
	size_t len;
	size_t n;
};

static int
set(void *arg, const char *name, size_t nl, const char *value, size_t vl)
{
	struct seen *s = arg;

	if (nl == 0 || nl > 255 || memchr(name, '=', nl) || memchr(name, 0, nl))
		abort();
	if (name < s->buf || name + nl > s->buf + s->len)
		abort();
	if (value && (value < s->buf || value + vl > s->buf + s->len ||
	    memchr(value, 0, vl)))
		abort();
	if (++s->n > TCPRULES_VARS_MAX)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen s = { (const char *)data, size, 0 };
	enum tcprules_verdict v = tcprules_parse((const char *)data, size, set,
	    &s);

	if (v != TCPRULES_ALLOW && v != TCPRULES_DENY && v != TCPRULES_BAD)
		abort();
	if (v != TCPRULES_ALLOW && s.n)
		abort();
	return 0;
}
