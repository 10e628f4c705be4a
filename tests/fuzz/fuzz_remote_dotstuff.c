/*
 * fuzz_remote_dotstuff.c -- libFuzzer target for the DATA encoder: split
 * the input at an arbitrary point, encode, and check the output is
 * well-formed SMTP data (no bare LF, bare CR or NUL, no line "." before the end, ends in
 * CRLF.CRLF) and the same as encoding it in one piece.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../remote/dotstuff.h"

static char out1[DOTSTUFF_OUT(65536) + DOTSTUFF_END_MAX];
static char out2[DOTSTUFF_OUT(65536) + DOTSTUFF_END_MAX + 1];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct dotstuff d;
	size_t split, o1, o2, i;

	if (size < 1 || size > 65536)
		return 0;
	split = data[0] % size;
	dotstuff_init(&d);
	o1 = dotstuff_encode(&d, s, size, out1);
	o1 += dotstuff_finish(&d, out1 + o1);
	dotstuff_init(&d);
	o2 = dotstuff_encode(&d, s, split, out2);
	o2 += dotstuff_encode(&d, s + split, size - split, out2 + o2);
	o2 += dotstuff_finish(&d, out2 + o2);
	if (o1 != o2 || memcmp(out1, out2, o1))
		abort();
	/* ".\r\n" alone (input of nothing but NULs), or text then CRLF.CRLF */
	if (o1 < 3 || memcmp(out1 + o1 - 3, ".\r\n", 3) ||
	    (o1 > 3 && (o1 < 5 || memcmp(out1 + o1 - 5, "\r\n", 2))))
		abort();
	for (i = 0; i < o1; i++) {
		if (out1[i] == '\n' && (i == 0 || out1[i - 1] != '\r'))
			abort();
		/* no bare CR, no NUL, whatever the input */
		if ((out1[i] == '\r' && (i + 1 == o1 || out1[i + 1] != '\n')) || !out1[i])
			abort();
		/* a line that is exactly "." before the end would end DATA */
		if (i + 3 < o1 - 3 && i > 1 && out1[i - 2] == '\r' && out1[i - 1] == '\n' &&
		    !memcmp(out1 + i, ".\r\n", 3))
			abort();
	}
	return 0;
}
