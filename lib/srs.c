/*
 * srs.c -- Sender Rewriting Scheme addresses (see srs.h).
 */
#include "srs.h"

#include <string.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "address.h"

static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";

static char
lc(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
}

static int
b32_value(char c)
{
	const char *p;

	c = lc(c);
	if (!c || !(p = strchr(b32, c)))
		return -1;
	return (int)(p - b32);
}

/* HHHHHH for "tt=domain=local" (lower-cased) */
static int
srs_hash(const char *tt, const char *dom, size_t dlen, const char *local,
    size_t llen, const char *secret, size_t secretlen, char out[SRS_HASH_LEN])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0, i;
	unsigned long bits;
	stralloc in = {0};
	size_t k;
	int ok;

	ok = stralloc_catb(&in, tt, 2) && stralloc_append(&in, "=") &&
	    stralloc_catb(&in, dom, dlen) && stralloc_append(&in, "=") &&
	    stralloc_catb(&in, local, llen);
	if (!ok)
		return -1;
	for (k = 0; k < in.len; k++)
		in.s[k] = lc(in.s[k]);
	ok = HMAC(EVP_sha256(), secret, (int)secretlen,
	    (const unsigned char *)in.s, in.len, mac, &maclen) != NULL;
	stralloc_free(&in);
	if (!ok || maclen < 4)
		return -1;
	bits = ((unsigned long)mac[0] << 24 | (unsigned long)mac[1] << 16 |
	    (unsigned long)mac[2] << 8 | mac[3]) >> 2;
	for (i = 0; i < SRS_HASH_LEN; i++)
		out[i] = b32[(bits >> (5 * (SRS_HASH_LEN - 1 - i))) & 31];
	return 0;
}

static void
day_stamp(time_t now, char tt[2])
{
	unsigned long d = (unsigned long)(now / 86400) % 1024;

	tt[0] = b32[d >> 5];
	tt[1] = b32[d & 31];
}

/* a host name (letters, digits, '.', '-') and a local part without
 * control characters: what the reverse can take apart again */
static int
rewritable(const char *local, size_t llen, const char *dom, size_t dlen)
{
	size_t i;

	for (i = 0; i < llen; i++)
		if ((unsigned char)local[i] < 0x20 || local[i] == 0x7f)
			return 0;
	for (i = 0; i < dlen; i++) {
		char c = lc(dom[i]);

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '-'))
			return 0;
	}
	return 1;
}

int
srs_forward(const char *sender, const char *srsdomain, const char *secret,
    size_t secretlen, time_t now, stralloc *out)
{
	const char *at = strrchr(sender, '@');
	char tt[2], h[SRS_HASH_LEN];
	size_t llen, dlen;

	if (!*sender || !at || at == sender || !at[1])
		return 0;
	llen = (size_t)(at - sender);
	dlen = strlen(at + 1);
	/* "SRS0=" HASH "=" TT "=" domain "=" local */
	if (5 + SRS_HASH_LEN + 1 + 2 + 1 + dlen + 1 + llen > ADDR_LOCAL_MAX ||
	    !rewritable(sender, llen, at + 1, dlen))
		return 0;
	day_stamp(now, tt);
	if (srs_hash(tt, at + 1, dlen, sender, llen, secret, secretlen, h) < 0)
		return -1;
	out->len = 0;
	if (!stralloc_cats(out, "SRS0=") || !stralloc_catb(out, h, sizeof h) ||
	    !stralloc_append(out, "=") || !stralloc_catb(out, tt, 2) ||
	    !stralloc_append(out, "=") || !stralloc_catb(out, at + 1, dlen) ||
	    !stralloc_append(out, "=") || !stralloc_catb(out, sender, llen) ||
	    !stralloc_append(out, "@") || !stralloc_cats(out, srsdomain) ||
	    !stralloc_0(out))
		return -1;
	out->len--;
	return 1;
}

int
srs_reverse(const char *local, size_t len, const char *secret,
    size_t secretlen, time_t now, stralloc *out)
{
	const char *h, *tt, *dom, *orig, *end = local + len;
	char want[SRS_HASH_LEN];
	unsigned long day, today = (unsigned long)(now / 86400) % 1024;
	unsigned char diff = 0;
	int a, b, i;

	if (len < 5 || lc(local[0]) != 's' || lc(local[1]) != 'r' ||
	    lc(local[2]) != 's' || local[3] != '0' || local[4] != '=')
		return 0;
	h = local + 5;
	tt = h + SRS_HASH_LEN + 1;
	dom = tt + 3;
	if (dom >= end || h[SRS_HASH_LEN] != '=' || tt[2] != '=')
		return -1;
	for (orig = dom; orig < end && *orig != '='; orig++)
		;
	if (orig == dom || orig + 1 >= end)
		return -1;
	a = b32_value(tt[0]);
	b = b32_value(tt[1]);
	if (a < 0 || b < 0)
		return -1;
	day = (unsigned long)(a << 5 | b);
	if ((today + 1024 - day) % 1024 > SRS_MAX_AGE)
		return -1;
	if (srs_hash(tt, dom, (size_t)(orig - dom), orig + 1,
	    (size_t)(end - orig - 1), secret, secretlen, want) < 0)
		return -1;
	for (i = 0; i < SRS_HASH_LEN; i++)
		diff |= (unsigned char)(lc(h[i]) ^ want[i]);
	if (diff)
		return -1;
	out->len = 0;
	if (!stralloc_catb(out, orig + 1, (size_t)(end - orig - 1)) ||
	    !stralloc_append(out, "@") ||
	    !stralloc_catb(out, dom, (size_t)(orig - dom)) || !stralloc_0(out))
		return -1;
	return 1;
}
