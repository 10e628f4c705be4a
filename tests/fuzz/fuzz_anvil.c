/*
 * fuzz_anvil.c -- libFuzzer target for the request splitter of the
 * counter service protocol (lib/anvil.c, anvil_words): the words it
 * returns are non-empty, printable, at most ANVIL_KEY_MAX octets, inside
 * the line, and never more than asked for.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "anvil.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line, *w[5];
	int n, i;
	size_t k, len;

	if (size > ANVIL_LINE_MAX)
		return 0;
	line = malloc(size + 1);
	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = 0;
	n = anvil_words(line, w, 5);
	if (n > 5)
		abort();
	for (i = 0; i < n; i++) {
		if (w[i] < line || w[i] >= line + size)
			abort();
		len = strlen(w[i]);
		if (!len || len > ANVIL_KEY_MAX)
			abort();
		for (k = 0; k < len; k++)
			if ((unsigned char)w[i][k] < 33 || (unsigned char)w[i][k] > 126)
				abort();
	}
	free(line);
	return 0;
}
