/*
 * fuzz_srs.c -- hostile local parts through srs_reverse (lib/srs.c), and
 * every valid forward reverses to what went in.
 */
#include <stdint.h>
#include <string.h>

#include "srs.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	stralloc out = {0}, fw = {0}, back = {0};
	char sender[128];

	(void)srs_reverse((const char *)data, size, "k", 1, 1796679625, &out);
	if (size > 0 && size < sizeof sender && !memchr(data, 0, size)) {
		memcpy(sender, data, size);
		sender[size] = 0;
		if (srs_forward(sender, "f.test", "k", 1, 1796679625, &fw) == 1) {
			size_t l = strcspn(fw.s, "@");
			const char *at = strrchr(fw.s, '@');

			if (!at || srs_reverse(fw.s, (size_t)(at - fw.s), "k", 1,
			    1796679625, &back) != 1 || strcmp(back.s, sender))
				__builtin_trap();
			(void)l;
		}
	}
	stralloc_free(&out);
	stralloc_free(&fw);
	stralloc_free(&back);
	return 0;
}
