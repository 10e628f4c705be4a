/*
 * t_dkim.c -- DKIM canonicalization and signing (lib/dkim.c).  The
 * signatures are checked against OpenSSL's verify with the public half;
 * tests/lib/test_dkim_verify.py checks them with dkimpy as well.
 */
#include <string.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "dkim.h"
#include "tap.h"

static int
canon_is(const char *field, const char *want)
{
	stralloc out = {0};
	int ok = dkim_relaxed_header(field, strlen(field), &out) == 0 &&
	    out.len == strlen(want) && !memcmp(out.s, want, out.len);

	stralloc_free(&out);
	return ok;
}

static void
body_hash_of(const char *msg, unsigned char *bh)
{
	struct dkim_signer s;
	struct dkim_key k;
	stralloc out = {0};

	dkim_begin(&s);
	dkim_feed(&s, msg, strlen(msg));
	memset(&k, 0, sizeof k);
	k.pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	strcpy(k.domain, "example.test");
	strcpy(k.selector, "s");
	k.alg = DKIM_ED25519_SHA256;
	dkim_sign(&s, &k, 1, &out);
	memcpy(bh, s.bhash, 32);
	EVP_PKEY_free(k.pkey);
	stralloc_free(&out);
	dkim_end(&s);
}

static int
same_body_hash(const char *a, const char *b)
{
	unsigned char x[32], y[32];

	body_hash_of(a, x);
	body_hash_of(b, y);
	return !memcmp(x, y, 32);
}

static int
hash_is(const char *msg, const char *canon)
{
	unsigned char x[32], y[32];
	unsigned int n;

	body_hash_of(msg, x);
	EVP_Digest(canon, strlen(canon), y, &n, EVP_sha256(), NULL);
	return !memcmp(x, y, 32);
}

int
main(void)
{
	struct dkim_signer s;
	const char *v;
	size_t vlen;
	stralloc out = {0};
	struct dkim_key k;
	char big[4096];
	unsigned long i;

	CHECK(canon_is("Subject: Hello  World \n", "subject:Hello World\r\n"), "relaxed header: spaces");
	CHECK(canon_is("SUBJECT :\tfolded\r\n\tline\r\n", "subject:folded line\r\n"), "relaxed header: folding, space before colon");
	CHECK(canon_is("X-Empty:   \n", "x-empty:\r\n"), "relaxed header: empty value");
	CHECK(dkim_relaxed_header("no colon", 8, &out) < 0, "relaxed header: no colon refused");

	CHECK(hash_is("From: a@b\n\n", ""), "empty body hashes as empty");
	CHECK(hash_is("From: a@b\n\nline  one \t\n\n\n", "line one\r\n"), "trailing empty lines and spaces go");
	CHECK(hash_is("From: a@b\n\n  lead\nlast", " lead\r\nlast\r\n"), "leading space kept as one; CRLF added at end");
	CHECK(hash_is("From: a@b\n\na\n\n\nb\n", "a\r\n\r\n\r\nb\r\n"), "inner empty lines kept");
	CHECK(same_body_hash("From: a@b\n\nx y\nz\n", "From: a@b\r\n\r\nx y\r\nz\r\n"), "LF and CRLF messages hash alike");
	CHECK(hash_is("From: a@b\n\na\rb\n", "a\rb\r\n"), "a lone CR is text");
	CHECK(hash_is("From: a@b\n", ""), "no body at all");

	dkim_begin(&s);
	dkim_feed(&s, "From: Alice <alice@example.test>\nTo: bob@x\nFrom: second\n\nbody\n", 62);
	CHECK(dkim_header(&s, "FROM", &v, &vlen) == 2 && vlen == 27 &&
	    !memcmp(v, " Alice <alice@example.test>", 27), "dkim_header finds From and counts it");
	dkim_end(&s);

	/* a header section over the bound is refused, not truncated */
	memset(big, 'a', sizeof big);
	dkim_begin(&s);
	dkim_feed(&s, "X-Long: ", 8);
	for (i = 0; i <= DKIM_HDR_MAX / sizeof big; i++)
		dkim_feed(&s, big, sizeof big);
	CHECK(dkim_feed(&s, "\n\nbody\n", 7) < 0, "oversized header section refused");
	memset(&k, 0, sizeof k);
	k.pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	k.alg = DKIM_ED25519_SHA256;
	strcpy(k.domain, "d");
	strcpy(k.selector, "s");
	out.len = 0;
	CHECK(dkim_sign(&s, &k, 1, &out) < 0 && out.len == 0, "no signature for it");
	dkim_end(&s);

	/* split feeding gives the same signature input as one piece */
	{
		const char *m = "From: a@example.test\r\nSubject: t\r\n\r\nHello \r\n\r\n";
		stralloc o1 = {0}, o2 = {0};
		struct dkim_signer s1, s2;

		dkim_begin(&s1);
		dkim_feed(&s1, m, strlen(m));
		dkim_begin(&s2);
		for (i = 0; m[i]; i++)
			dkim_feed(&s2, m + i, 1);
		{
			size_t want = dkim_sign_len(&s1, &k, 7);
			dkim_sign(&s1, &k, 7, &o1);
			CHECK(want == o1.len, "dkim_sign_len predicts the Ed25519 field");
		}
		dkim_sign(&s2, &k, 7, &o2);
		/* Ed25519 is deterministic: the same input signs the same */
		CHECK(o1.len > 0 && o1.len == o2.len && !memcmp(o1.s, o2.s, o1.len),
		    "byte-by-byte feeding signs the same");
		CHECK(o1.len > 0 && o1.s[o1.len - 1] == '\n' &&
		    !memcmp(o1.s, "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed; d=d; s=s;", 66),
		    "signature field starts as expected");
		CHECK(strstr(o1.s, "h=from:from:subject;") != NULL, "h list: present fields, From over-signed");
		dkim_end(&s1);
		dkim_end(&s2);
		stralloc_free(&o1);
		stralloc_free(&o2);
	}

	out.len = 0;
	CHECK(dkim_txt_record(k.pkey, &out) == 0 && out.len == 22 + 44 &&
	    !memcmp(out.s, "v=DKIM1; k=ed25519; p=", 22), "Ed25519 TXT record");
	EVP_PKEY_free(k.pkey);
	k.pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	k.alg = DKIM_RSA_SHA256;
	{
		const char *m = "From: a@example.test\nTo: b@c\nSubject: long subject line\n\nHello\n";
		size_t want;

		dkim_begin(&s);
		dkim_feed(&s, m, strlen(m));
		want = dkim_sign_len(&s, &k, 1765000000);
		out.len = 0;
		CHECK(dkim_sign(&s, &k, 1765000000, &out) == 0 && want == out.len,
		    "dkim_sign_len predicts the RSA field");
		dkim_end(&s);
	}
	out.len = 0;
	CHECK(dkim_txt_record(k.pkey, &out) == 0 && out.len > 300 &&
	    !memcmp(out.s, "v=DKIM1; k=rsa; p=MIIBIjAN", 26), "RSA TXT record is an SPKI");
	EVP_PKEY_free(k.pkey);
	stralloc_free(&out);
	return TAP_DONE();
}
