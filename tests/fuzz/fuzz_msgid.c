/*
 * fuzz_msgid.c -- libFuzzer target for the Message-ID finder
 * (manager/msgid.c): the answer is printable, without spaces, shorter than
 * MSGID_MAX, and the finder never reads outside the input (ASan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../manager/msgid.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[MSGID_MAX];
	size_t i, n;
	char *copy = malloc(size ? size : 1);

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (msgid_find(copy, size, out)) {
		n = strlen(out);
		if (!n || n >= MSGID_MAX)
			abort();
		for (i = 0; i < n; i++)
			if ((unsigned char)out[i] <= 0x20 || (unsigned char)out[i] >= 0x7f)
				abort();
	} else if (out[0])
		abort();
	free(copy);
	return 0;
}
