/* fuzz_local_dotfile.c -- libFuzzer target for the per-user file parser */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../local/dotfile.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dotfile d;
	char *buf = malloc(size + 1);
	size_t i;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (dotfile_parse(buf, size, &d))
		for (i = 0; i < d.n; i++)
			if (strlen(d.line[i].arg) != d.line[i].len || !d.line[i].len)
				abort();
	free(buf);
	return 0;
}
