/*
 * fuzz_cpwparse.c -- libFuzzer target for the checkpassword input parser
 * (imap/cpw.h): results must lie inside the input and obey its rules.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../imap/cpw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cpw_input in;
	const char *b = (const char *)data;
	size_t i;

	if (!cpw_parse(b, size, &in))
		return 0;
	if (in.user != b || !in.userlen || in.userlen > CPW_USER_MAX ||
	    in.user[in.userlen] != 0)
		abort();
	for (i = 0; i < in.userlen; i++)
		if ((unsigned char)in.user[i] < 0x21 ||
		    (unsigned char)in.user[i] > 0x7e)
			abort();
	if (in.pass != b + in.userlen + 1 ||
	    in.pass + in.passlen >= b + size || in.pass[in.passlen] != 0 ||
	    memchr(in.pass, 0, in.passlen))
		abort();
	return 0;
}
