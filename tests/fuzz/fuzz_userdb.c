/*
 * fuzz_userdb.c -- libFuzzer target for user_parse, the parser of
 * users.cdb values (HASH\0HOME\0QUOTA\0UID\0GID).  An accepted record
 * must have a non-empty hash and an absolute home within their bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "userdb.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct user u;
	char *s = malloc(size ? size : 1);	/* exact size for ASan */

	if (!s)
		return 0;
	memcpy(s, data, size);
	if (user_parse(s, size, &u)) {
		size_t h = strlen(u.hash), d = strlen(u.home);

		if (!h || h > USER_HASH_MAX || !d || d > USER_HOME_MAX ||
		    u.home[0] != '/' || strstr(u.home, "/../") ||
		    strchr(u.hash, ':'))
			abort();
	}
	free(s);
	return 0;
}
