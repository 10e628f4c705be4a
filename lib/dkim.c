/*
 * dkim.c -- DKIM signing: relaxed/relaxed canonicalization, body hash,
 * header selection and the DKIM-Signature field (see dkim.h).
 */
#include "dkim.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <textcode.h>

#include <fmt.h>

static const char *const signed_fields[] = {
	"from", "sender", "reply-to", "subject", "date", "message-id",
	"to", "cc", "in-reply-to", "references", "mime-version",
	"content-type", "content-transfer-encoding", NULL
};

#define IS_WSP(c) ((c) == ' ' || (c) == '\t')

int
dkim_begin(struct dkim_signer *s)
{
	memset(s, 0, sizeof *s);
	s->state = DKIM_HEADER;
	s->at_line_start = 1;
	s->bh = EVP_MD_CTX_new();
	if (!s->bh || !EVP_DigestInit_ex(s->bh, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(s->bh);
		s->bh = NULL;
		s->state = DKIM_FAILED;
		return -1;
	}
	return 0;
}

void
dkim_end(struct dkim_signer *s)
{
	EVP_MD_CTX_free(s->bh);
	s->bh = NULL;
	stralloc_free(&s->hdr);
}

static void
body_out(struct dkim_signer *s, const char *p, size_t n)
{
	if (s->olen + n > sizeof s->obuf) {
		EVP_DigestUpdate(s->bh, s->obuf, s->olen);
		s->olen = 0;
	}
	if (n > sizeof s->obuf) {
		EVP_DigestUpdate(s->bh, p, n);
		return;
	}
	memcpy(s->obuf + s->olen, p, n);
	s->olen += n;
}

/* a byte of a line's text (not WSP, not the line end) */
static void
body_text(struct dkim_signer *s, char c)
{
	for (; s->empty_lines > 0; s->empty_lines--)
		body_out(s, "\r\n", 2);
	if (s->ws_pending)
		body_out(s, " ", 1);
	s->ws_pending = 0;
	s->line_has_text = 1;
	body_out(s, &c, 1);
}

static void
body_byte(struct dkim_signer *s, char c)
{
	if (s->saw_cr && c != '\n')
		body_text(s, '\r');
	s->saw_cr = 0;
	if (c == '\r') {
		s->saw_cr = 1;
	} else if (c == '\n') {
		if (s->line_has_text)
			body_out(s, "\r\n", 2);
		else
			s->empty_lines++;
		s->ws_pending = 0;
		s->line_has_text = 0;
	} else if (IS_WSP(c)) {
		s->ws_pending = 1;
	} else {
		body_text(s, c);
	}
}

/* the current header line is empty: only "" or "\r" since its start */
static int
header_line_empty(const struct dkim_signer *s)
{
	size_t n = s->hdr.len;

	if (s->at_line_start)
		return 1;
	return n >= 1 && s->hdr.s[n - 1] == '\r' &&
	    (n == 1 || s->hdr.s[n - 2] == '\n');
}

int
dkim_feed(struct dkim_signer *s, const char *buf, size_t len)
{
	size_t i = 0;

	if (s->state == DKIM_FAILED)
		return -1;
	while (i < len && s->state == DKIM_HEADER) {
		char c = buf[i++];

		if (c == '\n' && header_line_empty(s)) {
			if (s->hdr.len && s->hdr.s[s->hdr.len - 1] == '\r' &&
			    !s->at_line_start)
				s->hdr.len--;
			s->state = DKIM_BODY;
			break;
		}
		if (s->hdr.len >= DKIM_HDR_MAX || !stralloc_append(&s->hdr, &c)) {
			s->state = DKIM_FAILED;
			return -1;
		}
		s->at_line_start = (c == '\n');
	}
	for (; i < len; i++)
		body_byte(s, buf[i]);
	return 0;
}

static int
body_finish(struct dkim_signer *s)
{
	unsigned int n = 0;

	if (s->body_done)
		return 0;
	if (s->saw_cr)
		body_text(s, '\r');
	s->saw_cr = 0;
	if (s->line_has_text)
		body_out(s, "\r\n", 2);
	s->line_has_text = 0;
	EVP_DigestUpdate(s->bh, s->obuf, s->olen);
	s->olen = 0;
	if (!EVP_DigestFinal_ex(s->bh, s->bhash, &n) || n != sizeof s->bhash)
		return -1;
	s->body_done = 1;
	return 0;
}

/*
 * Header fields: call fn for each field of the header section in order,
 * with its text (folding intact, without the final line end) and the
 * length of its name.  Lines that are not fields (no colon) are skipped.
 */
struct field {
	const char *p;
	size_t len, namelen;
};

static size_t
next_field(const char *h, size_t len, size_t pos, struct field *f)
{
	while (pos < len) {
		size_t start = pos, end, colon;

		/* a field runs to an LF not followed by WSP */
		for (end = pos; end < len; end++)
			if (h[end] == '\n' && (end + 1 >= len || !IS_WSP(h[end + 1])))
				break;
		pos = end < len ? end + 1 : len;
		if (end > start && h[end - 1] == '\r' && end < len)
			end--;
		for (colon = start; colon < end && h[colon] != ':'; colon++)
			if (h[colon] == '\n')
				break;
		if (colon == start || colon >= end || h[colon] != ':' ||
		    IS_WSP(h[start]))
			continue;
		f->p = h + start;
		f->len = end - start;
		f->namelen = colon - start;
		while (f->namelen > 0 && IS_WSP(f->p[f->namelen - 1]))
			f->namelen--;
		return pos;
	}
	return 0;
}

static int
field_is(const struct field *f, const char *name)
{
	return f->namelen == strlen(name) && !strncasecmp(f->p, name, f->namelen);
}

static unsigned int
count_fields(const struct dkim_signer *s, const char *name)
{
	struct field f;
	size_t pos = 0;
	unsigned int n = 0;

	while ((pos = next_field(s->hdr.s, s->hdr.len, pos, &f)) != 0)
		if (field_is(&f, name))
			n++;
	return n;
}

/* the first field named name; 0 if there is none */
static int
first_field(const struct dkim_signer *s, const char *name, struct field *out)
{
	size_t pos = 0;

	while ((pos = next_field(s->hdr.s, s->hdr.len, pos, out)) != 0)
		if (field_is(out, name))
			return 1;
	return 0;
}

int
dkim_header(const struct dkim_signer *s, const char *name, const char **val,
    size_t *vlen)
{
	struct field f;
	size_t skip;

	if (!first_field(s, name, &f))
		return 0;
	skip = f.namelen;
	while (skip < f.len && f.p[skip] != ':')
		skip++;
	skip++;
	*val = f.p + skip;
	*vlen = f.len - skip;
	return (int)count_fields(s, name);
}

int
dkim_relaxed_header(const char *p, size_t len, stralloc *out)
{
	size_t i, colon;
	int ws = 0, any = 0;

	while (len > 0 && (p[len - 1] == '\n' || p[len - 1] == '\r'))
		len--;
	for (colon = 0; colon < len && p[colon] != ':'; colon++)
		;
	if (colon == len)
		return -1;
	for (i = 0; i < colon; i++) {
		char c = p[i];

		if (IS_WSP(c) || c == '\r' || c == '\n')
			continue;
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (!stralloc_append(out, &c))
			return -1;
	}
	if (!stralloc_append(out, ":"))
		return -1;
	for (i = colon + 1; i < len; i++) {
		char c = p[i];

		if (c == '\r' || c == '\n')
			continue;
		if (IS_WSP(c)) {
			ws = 1;
			continue;
		}
		if (ws && any && !stralloc_append(out, " "))
			return -1;
		ws = 0;
		any = 1;
		if (!stralloc_append(out, &c))
			return -1;
	}
	return stralloc_catb(out, "\r\n", 2) ? 0 : -1;
}

static int
cat_base64(stralloc *out, const unsigned char *p, size_t n)
{
	size_t need = fmt_base64(NULL, (const char *)p, n);

	if (!stralloc_readyplus(out, need))
		return -1;
	out->len += fmt_base64(out->s + out->len, (const char *)p, n);
	return 0;
}

/* append the h= list (colon-separated names) and remember it in names */
static int
build_h(const struct dkim_signer *s, stralloc *hl)
{
	unsigned int i, n, k;
	size_t linelen = 0;

	for (i = 0; signed_fields[i]; i++) {
		n = count_fields(s, signed_fields[i]);
		if (i == 0)
			n++;	/* over-sign From */
		for (k = 0; k < n; k++) {
			size_t l = strlen(signed_fields[i]);

			if (hl->len) {
				if (!stralloc_cats(hl, ":"))
					return -1;
				if (linelen + l > 60) {
					if (!stralloc_cats(hl, "\n\t "))
						return -1;
					linelen = 0;
				}
			}
			if (!stralloc_cats(hl, signed_fields[i]))
				return -1;
			linelen += l + 1;
		}
	}
	return 0;
}

/* the canonical header fields named by the h= list, bottom-up per name:
 * one pass per name collects its fields, so a header section with many
 * fields of one name costs linear time, not quadratic */
static int
hash_input(const struct dkim_signer *s, stralloc *data)
{
	struct field f, *list = 0, *grown;
	size_t n, cap = 0, pos;
	unsigned int i;
	int r = 0;

	for (i = 0; signed_fields[i] && r == 0; i++) {
		n = pos = 0;
		while ((pos = next_field(s->hdr.s, s->hdr.len, pos, &f)) != 0) {
			if (!field_is(&f, signed_fields[i]))
				continue;
			if (n == cap) {
				cap = cap ? 2 * cap : 16;
				if (!(grown = realloc(list, cap * sizeof *list))) {
					r = -1;
					break;
				}
				list = grown;
			}
			list[n++] = f;
		}
		while (r == 0 && n > 0) {
			n--;
			if (dkim_relaxed_header(list[n].p, list[n].len, data) < 0)
				r = -1;
		}
	}
	free(list);
	return r;
}

static int
sig_fields(const struct dkim_signer *s, const struct dkim_key *k,
    unsigned long now, stralloc *field)
{
	char num[FMT_ULONG];
	stralloc hl = {0};
	int r = -1;

	num[fmt_ulong(num, now)] = 0;
	if (build_h(s, &hl) < 0)
		goto out;
	if (!stralloc_copys(field, "DKIM-Signature: v=1; a=") ||
	    !stralloc_cats(field, k->alg == DKIM_RSA_SHA256 ? "rsa-sha256" :
	    "ed25519-sha256") ||
	    !stralloc_cats(field, "; c=relaxed/relaxed; d=") ||
	    !stralloc_cats(field, k->domain) ||
	    !stralloc_cats(field, "; s=") || !stralloc_cats(field, k->selector) ||
	    !stralloc_cats(field, ";\n\tt=") || !stralloc_cats(field, num) ||
	    !stralloc_cats(field, "; h=") || !stralloc_cat(field, &hl) ||
	    !stralloc_cats(field, ";\n\tbh="))
		goto out;
	if (cat_base64(field, s->bhash, sizeof s->bhash) < 0 ||
	    !stralloc_cats(field, ";\n\tb="))
		goto out;
	r = 0;
out:
	stralloc_free(&hl);
	return r;
}

static int
sign_bytes(const struct dkim_key *k, const stralloc *data,
    unsigned char *sig, size_t *siglen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char h[32];
	unsigned int hlen = 0;
	int ok = 0;

	if (!ctx)
		return -1;
	if (k->alg == DKIM_RSA_SHA256) {
		ok = EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, k->pkey) == 1 &&
		    EVP_DigestSign(ctx, sig, siglen, (const unsigned char *)data->s,
		    data->len) == 1;
	} else {
		/* RFC 8463: PureEdDSA over the SHA-256 hash of the input */
		ok = EVP_Digest(data->s, data->len, h, &hlen, EVP_sha256(), NULL) &&
		    EVP_DigestSignInit(ctx, NULL, NULL, NULL, k->pkey) == 1 &&
		    EVP_DigestSign(ctx, sig, siglen, h, hlen) == 1;
	}
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -1;
}

int
dkim_sign(struct dkim_signer *s, const struct dkim_key *k, unsigned long now,
    stralloc *out)
{
	stralloc field = {0}, data = {0}, b64 = {0};
	unsigned char sig[1024];
	size_t siglen = sizeof sig, i;
	int r = -1;

	if (s->state == DKIM_FAILED || !k->pkey || body_finish(s) < 0)
		return -1;
	if (sig_fields(s, k, now, &field) < 0 || hash_input(s, &data) < 0 ||
	    dkim_relaxed_header(field.s, field.len, &data) < 0)
		goto out;
	data.len -= 2;	/* the signature field is hashed without its CRLF */
	if (sign_bytes(k, &data, sig, &siglen) < 0 ||
	    cat_base64(&b64, sig, siglen) < 0)
		goto out;
	/* dkim_sign_len counts the same folding */
	for (i = 0; i < b64.len; i += 72) {
		size_t n = b64.len - i < 72 ? b64.len - i : 72;

		if ((i && !stralloc_cats(&field, "\n\t ")) ||
		    !stralloc_catb(&field, b64.s + i, n))
			goto out;
	}
	if (!stralloc_cats(&field, "\n") || !stralloc_cat(out, &field))
		goto out;
	r = 0;
out:
	stralloc_free(&field);
	stralloc_free(&data);
	stralloc_free(&b64);
	return r;
}

static size_t
folded_b64_len(size_t n)
{
	size_t b = 4 * ((n + 2) / 3);

	return b + 3 * (b ? (b - 1) / 72 : 0);
}

size_t
dkim_sign_len(const struct dkim_signer *s, const struct dkim_key *k,
    unsigned long now)
{
	stralloc field = {0};
	size_t n = 0;
	int size;

	if (s->state == DKIM_FAILED || !k->pkey ||
	    (size = EVP_PKEY_get_size(k->pkey)) <= 0)
		return 0;
	if (sig_fields(s, k, now, &field) == 0)
		n = field.len + folded_b64_len((size_t)size) + 1;
	stralloc_free(&field);
	return n;
}

int
dkim_key_load(struct dkim_key *k, const char *path, const char *domain,
    const char *selector)
{
	BIO *b;
	int id;

	memset(k, 0, sizeof *k);
	if (strlen(domain) > DKIM_DOMAIN_MAX || strlen(selector) > DKIM_SELECTOR_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (!(b = BIO_new_file(path, "r")))
		return -1;
	k->pkey = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	if (!k->pkey) {
		errno = EINVAL;
		return -1;
	}
	id = EVP_PKEY_get_base_id(k->pkey);
	if (id == EVP_PKEY_RSA && EVP_PKEY_get_bits(k->pkey) >= 1024) {
		k->alg = DKIM_RSA_SHA256;
	} else if (id == EVP_PKEY_ED25519) {
		k->alg = DKIM_ED25519_SHA256;
	} else {
		dkim_key_free(k);
		errno = EINVAL;
		return -1;
	}
	for (id = 0; domain[id]; id++)
		k->domain[id] = (domain[id] >= 'A' && domain[id] <= 'Z') ?
		    domain[id] + ('a' - 'A') : domain[id];
	memcpy(k->selector, selector, strlen(selector) + 1);
	return 0;
}

void
dkim_key_free(struct dkim_key *k)
{
	EVP_PKEY_free(k->pkey);
	k->pkey = NULL;
}

int
dkim_txt_record(EVP_PKEY *pkey, stralloc *out)
{
	unsigned char raw[32], *der = NULL;
	size_t rawlen = sizeof raw;
	int derlen, r = -1;

	if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_ED25519) {
		if (EVP_PKEY_get_raw_public_key(pkey, raw, &rawlen) != 1)
			return -1;
		if (!stralloc_cats(out, "v=DKIM1; k=ed25519; p="))
			return -1;
		return cat_base64(out, raw, rawlen);
	}
	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA)
		return -1;
	if ((derlen = i2d_PUBKEY(pkey, &der)) <= 0)
		return -1;
	if (stralloc_cats(out, "v=DKIM1; k=rsa; p="))
		r = cat_base64(out, der, (size_t)derlen);
	OPENSSL_free(der);
	return r;
}
