/*
 * sasl.c -- SASL PLAIN / LOGIN response decoding (sasl.h).
 */
#include <string.h>
#include <textcode.h>

#include "sasl.h"

#define B64_IN_MAX 2048

long
sasl_b64decode(const char *s, size_t len, char *out, size_t outmax)
{
	char in[B64_IN_MAX + 1];
	size_t dl = 0;

	if (len > B64_IN_MAX || (len + 3) / 4 * 3 > outmax)
		return -1;
	memcpy(in, s, len);
	in[len] = 0;
	if (scan_base64(in, out, &dl) != len)
		return -1;
	return (long)dl;
}

int
sasl_field(const char *m, size_t len, char *out, size_t max, int allow_empty)
{
	if (len > max || (!len && !allow_empty) || memchr(m, 0, len))
		return 0;
	memcpy(out, m, len);
	out[len] = 0;
	return 1;
}

int
sasl_plain_split(const char *m, size_t len, char *user, char *pass)
{
	const char *z1 = memchr(m, 0, len), *z2;
	size_t azlen, ulen;

	if (!z1)
		return 0;
	azlen = (size_t)(z1 - m);
	z2 = memchr(z1 + 1, 0, len - azlen - 1);
	if (!z2)
		return 0;
	ulen = (size_t)(z2 - z1 - 1);
	if (!sasl_field(z1 + 1, ulen, user, SASL_USER_MAX, 0))
		return 0;
	if (!sasl_field(z2 + 1, len - azlen - ulen - 2, pass, SASL_PASS_MAX, 0))
		return 0;
	if (azlen && (azlen != ulen || memcmp(m, user, ulen)))
		return 0;
	return 1;
}
