/*
 * dotstuff.c -- LF to CR LF with dot-stuffing (dotstuff.h).
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
				out[o++] = '\r';	/* a lone CR is kept as it is */
				d->bol = 0;
			}
		}
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
		out[o++] = '\r';
		d->cr = 0;
		d->bol = 0;
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
		if (in[i] == '\n')
			(*size)++;
		else if ((unsigned char)in[i] >= 128)
			*eightbit = 1;
	}
}
