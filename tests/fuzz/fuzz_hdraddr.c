/*
 * fuzz_hdraddr.c -- libFuzzer target for the address-list header parser
 * of sluice-sendmail -t (queue/hdraddr.c).  Every address handed out
 * must be non-empty, at most HDRADDR_MAX bytes, without surrounding
 * blanks; the parser must never read outside the input (ASan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../queue/hdraddr.h"

static int
check(void *ctx, const char *a, size_t len)
{
	if (len == 0 || len > HDRADDR_MAX || a[0] == ' ' || a[len - 1] == ' ' ||
	    a[0] == '\t' || a[len - 1] == '\t')
		abort();
	(void)ctx;
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hdr_addrs((const char *)data, size, check, 0);
	return 0;
}
