/*
 * fuzz_dkim.c -- hostile messages through the DKIM canonicalizer and
 * signer (lib/dkim.c): any bytes, fed in two pieces at a split point the
 * input chooses, then signed with a fixed Ed25519 key.
 */
#include <stdint.h>
#include <string.h>
#include <openssl/evp.h>

#include "dkim.h"

static const unsigned char seed[32] = { 1, 2, 3, 4, 5, 6, 7, 8 };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dkim_key k;
	struct dkim_signer s;
	stralloc out = {0};
	const char *v;
	size_t vlen, cut;

	if (!k.pkey) {
		k.pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
		k.alg = DKIM_ED25519_SHA256;
		strcpy(k.domain, "example.test");
		strcpy(k.selector, "s");
	}
	if (size < 1)
		return 0;
	cut = data[0] % size;
	data++;
	size--;
	if (cut > size)
		cut = size;
	if (dkim_begin(&s) < 0)
		return 0;
	dkim_feed(&s, (const char *)data, cut);
	dkim_feed(&s, (const char *)data + cut, size - cut);
	(void)dkim_header(&s, "from", &v, &vlen);
	if (dkim_sign(&s, &k, 1, &out) == 0 &&
	    (out.len < 16 || out.s[out.len - 1] != '\n'))
		__builtin_trap();
	stralloc_free(&out);
	dkim_end(&s);
	return 0;
}
