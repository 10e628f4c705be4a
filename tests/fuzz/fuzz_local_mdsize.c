/* fuzz_local_mdsize.c -- libFuzzer target for the maildirsize parser */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../local/mdsize.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1);
	struct mdsize m;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	mdsize_parse(buf, size, &m);
	free(buf);
	return 0;
}
