/*
 * dotstuff.c -- LF to CR LF with dot-stuffing (dotstuff.h).  Whatever the
 * queue file holds, the output has no bare CR, no bare LF and no NUL.
 */
#include "dotstuff.h"

void
dotstuff_init(struct dotstuff *d)
{
	d->bol = 1;
	d->cr = 0;
}

size_t
dotstuff_encode(struct dotstuff *d, const char *in, size_t len, char *out)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		char c = in[i];

		if (d->cr) {
			d->cr = 0;
			if (c != '\n') {
				/* a lone CR ends a line: never a bare CR on the wire */
				out[o++] = '\r';
				out[o++] = '\n';
				d->bol = 1;
			}
		}
		if (!c)
			continue;	/* NUL is not text (RFC 5321 2.3.8) */
		if (c == '\r') {
			d->cr = 1;
			continue;
		}
		if (c == '\n') {
			out[o++] = '\r';
			out[o++] = '\n';
			d->bol = 1;
			continue;
		}
		if (d->bol && c == '.')
			out[o++] = '.';
		out[o++] = c;
		d->bol = 0;
	}
	return o;
}

size_t
dotstuff_finish(struct dotstuff *d, char *out)
{
	size_t o = 0;

	if (d->cr) {
		d->cr = 0;
		d->bol = 0;	/* the CR LF below ends it */
	}
	if (!d->bol) {
		out[o++] = '\r';
		out[o++] = '\n';
	}
	out[o++] = '.';
	out[o++] = '\r';
	out[o++] = '\n';
	d->bol = 1;
	return o;
}

void
message_measure(const char *in, size_t len, unsigned long *size, int *eightbit)
{
	size_t i;

	*size += len;
	for (i = 0; i < len; i++) {
		if (in[i] == '\n' || in[i] == '\r')	/* a lone CR gets an LF */
			(*size)++;
		else if ((unsigned char)in[i] >= 128)
			*eightbit = 1;
	}
}
