/*
 * decimal.c -- see decimal.h.
 */
#include "decimal.h"

int
decimal_parse(const char *s, size_t len, size_t maxdigits, unsigned long *out)
{
	unsigned long v = 0;
	size_t i;

	if (len == 0 || len > maxdigits || maxdigits > 19)
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	*out = v;
	return 1;
}
