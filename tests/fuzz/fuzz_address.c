/*
 * fuzz_address.c -- libFuzzer target for the RFC 5321 address parser.
 * The first input byte chooses the flags, the rest is the address.  On
 * success the parsed form must respect every bound, and its canonical
 * text must parse again, as a bare mailbox, to the same canonical text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"

static void
check_clean(const struct addr *a, int flags)
{
	size_t i;

	if (a->local_len != strlen(a->local) || a->local_len > ADDR_LOCAL_MAX ||
	    a->domain_len != strlen(a->domain) ||
	    a->domain_len > ADDR_DOMAIN_MAX)
		abort();
	for (i = 0; i < a->local_len; i++)
		if ((unsigned char)a->local[i] < 32 ||
		    (unsigned char)a->local[i] == 127 ||
		    ((unsigned char)a->local[i] >= 128 && !(flags & ADDR_UTF8)))
			abort();
	for (i = 0; i < a->domain_len; i++)
		if ((unsigned char)a->domain[i] < 33 ||
		    (!a->is_literal && a->domain[i] >= 'A' &&
		    a->domain[i] <= 'Z'))
			abort();
	if (!a->is_null && !a->has_domain && !(flags & ADDR_LOCAL_OK))
		abort();
}

/* canonical text parses again to itself */
static void
check_roundtrip(const struct addr *a, int flags)
{
	char out[ADDR_PATH_MAX + 3], again[ADDR_PATH_MAX + 3];
	struct addr b;
	size_t n;
	int f = (flags & ADDR_UTF8) | ADDR_NO_BRACKETS;

	n = addr_format(a, out);
	if (n != strlen(out) || n > ADDR_PATH_MAX - 2)
		abort();
	if (a->is_null)
		f |= ADDR_NULL_OK;
	if (!a->has_domain)
		f |= ADDR_LOCAL_OK;
	if (addr_parse(out, n, f, &b) != ADDR_OK)
		abort();
	addr_format(&b, again);
	if (strcmp(out, again) || b.is_literal != a->is_literal ||
	    b.is_utf8 != a->is_utf8)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct addr a, p;
	char *s;
	size_t len, used;
	int flags, r;

	if (size < 1)
		return 0;
	flags = data[0] & 15;
	len = size - 1;
	s = malloc(len ? len : 1);	/* exact size: ASan sees over-reads */
	if (!s)
		return 0;
	memcpy(s, data + 1, len);
	r = addr_parse(s, len, flags, &a);
	if (r < ADDR_OK || r > ADDR_E8BIT || !*addr_strerror(r))
		abort();
	if (r == ADDR_OK) {
		check_clean(&a, flags);
		check_roundtrip(&a, flags);
	}
	r = addr_parse_prefix(s, len, flags, &p, &used);
	if (r == ADDR_OK) {
		if (used > len)
			abort();
		check_clean(&p, flags);
		if (addr_parse(s, used, flags, &a) != ADDR_OK)
			abort();
	}
	if (domain_valid(s, len) && len > ADDR_DOMAIN_MAX)
		abort();
	free(s);
	return 0;
}
