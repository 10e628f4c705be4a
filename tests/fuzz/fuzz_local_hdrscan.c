/* fuzz_local_hdrscan.c -- libFuzzer target for header scanning */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../local/hdrscan.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1);
	size_t end;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	end = hdr_end(buf, size);
	if (end > size)
		abort();
	hdr_hops(buf, size);
	hdr_delivered_to(buf, size, "a@b.example", 11);
	free(buf);
	return 0;
}
