/*
 * cpwparse.c -- parse Dovecot's checkpassword input (cpw.h).  Pure: no
 * I/O, no allocation; the results point into the caller's buffer.
 */
#include <string.h>

#include "cpw.h"

int
cpw_parse(const char *buf, size_t len, struct cpw_input *in)
{
	const char *z, *p;
	size_t i;

	if (len > CPW_INPUT_MAX)
		return 0;
	z = memchr(buf, 0, len);
	if (!z || z == buf || (size_t)(z - buf) > CPW_USER_MAX)
		return 0;
	in->user = buf;
	in->userlen = (size_t)(z - buf);
	for (i = 0; i < in->userlen; i++)
		if ((unsigned char)buf[i] < 0x21 ||
		    (unsigned char)buf[i] > 0x7e)
			return 0;
	p = z + 1;
	z = memchr(p, 0, len - (size_t)(p - buf));
	if (!z)
		return 0;
	in->pass = p;
	in->passlen = (size_t)(z - p);
	return 1;
}
