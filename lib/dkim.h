/*
 * dkim.h -- DKIM signatures (RFC 6376) with relaxed/relaxed
 * canonicalization, RSA-SHA256 and Ed25519-SHA256 (RFC 8463).
 *
 * The message is fed in pieces exactly as it is stored (the queue keeps
 * LF line ends; CRLF is accepted too and both count as CRLF), the header
 * section first.  The body is hashed as it streams by; the header section
 * is kept (at most DKIM_HDR_MAX bytes: a message with a bigger header
 * section is not signed).  dkim_sign then makes one DKIM-Signature field
 * per key, with LF line ends, folded, ready to be put in front of the
 * message.  One body hash serves every key.
 *
 * Signed header fields: those of dkim_signed_fields that are present, each
 * as often as it occurs, plus one more "from" (over-signing, so a From:
 * added in transit breaks the signature).  No l= (the whole body counts),
 * no x=, t= the signing time.
 *
 * Everything but the OpenSSL signing call is pure over bytes; errors are
 * return values, nothing is logged.
 */
#ifndef SLUICE_DKIM_H
#define SLUICE_DKIM_H

#include <stddef.h>
#include <stralloc.h>
#include <openssl/evp.h>

#define DKIM_HDR_MAX (1024 * 1024)	/* header section bytes we keep */
#define DKIM_DOMAIN_MAX 253
#define DKIM_SELECTOR_MAX 63

enum dkim_alg { DKIM_RSA_SHA256, DKIM_ED25519_SHA256 };

struct dkim_key {
	enum dkim_alg alg;
	char domain[DKIM_DOMAIN_MAX + 1];	/* d=, lower case */
	char selector[DKIM_SELECTOR_MAX + 1];	/* s= */
	EVP_PKEY *pkey;
};

enum dkim_state { DKIM_HEADER, DKIM_BODY, DKIM_FAILED };

struct dkim_signer {
	enum dkim_state state;
	stralloc hdr;		/* the header section, as fed */
	int at_line_start;	/* header: the next byte starts a line */
	int saw_cr;		/* header/body: the last byte was a CR */
	EVP_MD_CTX *bh;		/* body hash */
	unsigned long empty_lines;	/* body: empty lines held back */
	int ws_pending;		/* body: whitespace held back in a line */
	int line_has_text;	/* body: this line has text so far */
	int body_done;		/* bhash holds the final body hash */
	unsigned char bhash[32];
	char obuf[4096];	/* canonical body bytes not yet hashed */
	size_t olen;
};

/* 0 ok, -1 out of memory */
int dkim_begin(struct dkim_signer *s);
/* 0 ok, -1 the message cannot be signed (header section too big, or out
 * of memory); feeding more after -1 is harmless */
int dkim_feed(struct dkim_signer *s, const char *buf, size_t len);
/* the body of the first header field named name (case-insensitive) with
 * folding intact, and how many fields have that name: 0 none */
int dkim_header(const struct dkim_signer *s, const char *name,
    const char **val, size_t *vlen);
/* append one DKIM-Signature field (ending in LF) for key k to out.
 * now is the signing time.  0 ok, -1 failed (OpenSSL or memory) */
int dkim_sign(struct dkim_signer *s, const struct dkim_key *k,
    unsigned long now, stralloc *out);
void dkim_end(struct dkim_signer *s);
/* the exact length dkim_sign will append for key k at time now, known as
 * soon as the header section is in: a caller can reserve the room in
 * front of the body and fill it in afterwards.  0 on failure */
size_t dkim_sign_len(const struct dkim_signer *s, const struct dkim_key *k,
    unsigned long now);

/* the header field with relaxed canonicalization (RFC 6376 3.4.2)
 * appended to out, with CRLF.  field is "Name: value" with folding; an
 * optional LF or CRLF at its end is ignored.  0 ok, -1 no colon or memory */
int dkim_relaxed_header(const char *field, size_t len, stralloc *out);

/* key files: a PEM private key (RSA of at least 1024 bits, or Ed25519).
 * 0 ok, -1 unreadable or of another kind (errno or EINVAL) */
int dkim_key_load(struct dkim_key *k, const char *path, const char *domain,
    const char *selector);
void dkim_key_free(struct dkim_key *k);
/* the TXT record's value for the public half of pkey:
 * "v=DKIM1; k=rsa; p=..." or "v=DKIM1; k=ed25519; p=...".  0 ok, -1 err */
int dkim_txt_record(EVP_PKEY *pkey, stralloc *out);

#endif
