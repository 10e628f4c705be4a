/* fuzz_quotanote.c -- libFuzzer target for the quota note parser and the
 * note name check (lib/quotanote.h) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "quotanote.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	struct quotanote n;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = 0;
	if (quotanote_parse(buf, size, &n) && (n.full != 0 && n.full != 1))
		abort();
	quotanote_key_ok(buf);
	quota_is_near(n.used, n.quota);
	free(buf);
	return 0;
}
