/*
 * fuzz_logparse.c -- libFuzzer target for sluice-report's log line parser
 * (queue/logparse.c): every field it returns is NUL-terminated within its
 * buffer, and it never reads outside the input (ASan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../queue/logparse.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct logrec r;
	char *copy = malloc(size ? size : 1);

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	logrec_parse(copy, size, &r);
	if (strnlen(r.ip, sizeof r.ip) == sizeof r.ip ||
	    strnlen(r.user, sizeof r.user) == sizeof r.user ||
	    strnlen(r.domain, sizeof r.domain) == sizeof r.domain ||
	    strnlen(r.reason, sizeof r.reason) == sizeof r.reason ||
	    r.kind > LK_AUTHFAIL)
		abort();
	free(copy);
	return 0;
}
