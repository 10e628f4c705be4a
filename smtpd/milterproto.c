/*
 * milterproto.c -- milter packets and header edits (see milterproto.h).
 */
#include "milterproto.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static unsigned long
get32(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;

	return (unsigned long)u[0] << 24 | (unsigned long)u[1] << 16 |
	    (unsigned long)u[2] << 8 | u[3];
}

int
mp_put32(stralloc *out, unsigned long v)
{
	char b[4];

	b[0] = (char)(v >> 24);
	b[1] = (char)(v >> 16);
	b[2] = (char)(v >> 8);
	b[3] = (char)v;
	return stralloc_catb(out, b, 4);
}

int
mp_put(stralloc *out, char cmd, const char *data, size_t len)
{
	return mp_put32(out, (unsigned long)len + 1) &&
	    stralloc_append(out, &cmd) && stralloc_catb(out, data, len);
}

/* one NUL-terminated string at p[0..len): its length, or -1 */
static long
cstr(const char *p, size_t len)
{
	const char *z = memchr(p, 0, len);

	return z ? (long)(z - p) : -1;
}

/* name\0value\0 filling exactly p[0..len) */
static int
name_value(const char *p, size_t len, struct mp_msg *m)
{
	long a = cstr(p, len), b;

	if (a < 0)
		return MP_BAD;
	b = cstr(p + a + 1, len - (size_t)a - 1);
	if (b < 0 || (size_t)(a + 1 + b + 1) != len)
		return MP_BAD;
	m->name = p;
	m->namelen = (size_t)a;
	m->value = p + a + 1;
	m->valuelen = (size_t)b;
	return MP_OK;
}

/* a single string filling p[0..len) */
static int
one_string(const char *p, size_t len, struct mp_msg *m)
{
	long a = cstr(p, len);

	if (a < 0 || (size_t)a + 1 != len)
		return MP_BAD;
	m->value = p;
	m->valuelen = (size_t)a;
	return MP_OK;
}

int
mp_parse(const char *pkt, size_t len, struct mp_msg *m)
{
	const char *d = pkt + 1;
	size_t dl;

	memset(m, 0, sizeof *m);
	if (len < 1)
		return MP_BAD;
	dl = len - 1;
	m->cmd = pkt[0];
	switch (m->cmd) {
	case 'O':
		if (dl < 12)
			return MP_BAD;
		m->version = get32(d);
		m->actions = get32(d + 4);
		m->protocol = get32(d + 8);
		return MP_OK;
	case 'c': case 'a': case 'r': case 't': case 'd': case 'p': case 's':
	case '-':
		return MP_OK;	/* '-' carries an address: parsed, refused later */
	case 'y':
		if (one_string(d, dl, m) != MP_OK ||
		    !mp_replycode_ok(m->value, m->valuelen))
			return MP_BAD;
		return MP_OK;
	case 'q': case '+': case 'e': case '2':
		return dl > 0 && memchr(d, 0, dl) ? MP_OK : MP_BAD;
	case 'h':
		return name_value(d, dl, m);
	case 'i': case 'm':
		if (dl < 4)
			return MP_BAD;
		m->index = get32(d);
		return name_value(d + 4, dl - 4, m);
	case 'b':
		m->value = d;
		m->valuelen = dl;
		return MP_OK;
	}
	return MP_BAD;
}

int
mp_replycode_ok(const char *s, size_t len)
{
	size_t i;

	if (len < 3 || len > 512 || (s[0] != '4' && s[0] != '5') ||
	    s[1] < '0' || s[1] > '9' || s[2] < '0' || s[2] > '9')
		return 0;
	if (len > 3 && s[3] != ' ')
		return 0;
	for (i = 3; i < len; i++)
		if ((unsigned char)s[i] < 32 || (unsigned char)s[i] > 126)
			return 0;
	return 1;
}

static int
field_add(struct mp_header *h, size_t at, const char *text, size_t len,
    size_t namelen)
{
	struct mp_field f = { {0}, namelen };

	if (h->n >= MILTER_FIELDS_MAX)
		return 0;
	if (h->n == h->cap) {
		size_t cap = h->cap ? 2 * h->cap : 32;
		struct mp_field *nf = realloc(h->f, cap * sizeof *nf);

		if (!nf)
			return 0;
		h->f = nf;
		h->cap = cap;
	}
	if (!stralloc_copyb(&f.text, text, len))
		return 0;
	if (at > h->n)
		at = h->n;
	memmove(h->f + at + 1, h->f + at, (h->n - at) * sizeof *h->f);
	h->f[at] = f;
	h->n++;
	return 1;
}

int
mp_header_load(struct mp_header *h, const char *buf, size_t len)
{
	size_t pos = 0;

	while (pos < len) {
		size_t end = pos, colon;

		/* a field runs to an LF that is not followed by SP or TAB */
		while (end < len && !(buf[end] == '\n' && (end + 1 >= len ||
		    (buf[end + 1] != ' ' && buf[end + 1] != '\t'))))
			end++;
		if (end < len)
			end++;
		for (colon = pos; colon < end && buf[colon] != ':'; colon++)
			;
		if (!field_add(h, h->n, buf + pos, end - pos,
		    colon < end ? colon - pos : 0))
			return 0;
		pos = end;
	}
	return 1;
}

void
mp_field_value(const struct mp_field *f, const char **v, size_t *len)
{
	size_t i = f->namelen, n = f->text.len;

	if (i < n && f->text.s[i] == ':')
		i++;
	if (i < n && f->text.s[i] == ' ')
		i++;
	if (n > i && f->text.s[n - 1] == '\n')
		n--;
	*v = f->text.s + i;
	*len = n - i;
}

static int
name_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > MILTER_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 32 || (unsigned char)s[i] >= 127 ||
		    s[i] == ':')
			return 0;
	return 1;
}

/*
 * "Name: value\n" from a filter's name and value: CRLF becomes LF; every
 * line break must be followed by SP or TAB (a fold), and no CR may stand
 * alone, so a filter can never add a line of its own or end the header.
 */
static int
field_text(stralloc *out, const char *name, size_t nlen, const char *v,
    size_t vlen)
{
	size_t i;

	if (!name_ok(name, nlen) || vlen > MILTER_VALUE_MAX)
		return 0;
	if (!stralloc_copyb(out, name, nlen) || !stralloc_cats(out, ": "))
		return -1;
	for (i = 0; i < vlen; i++) {
		char c = v[i];

		if (c == '\r') {
			if (i + 1 >= vlen || v[i + 1] != '\n')
				return 0;
			continue;
		}
		if (c == '\n' && (i + 1 >= vlen || (v[i + 1] != ' ' && v[i + 1] != '\t')))
			return 0;
		if (!stralloc_append(out, &c))
			return -1;
	}
	return stralloc_cats(out, "\n") ? 1 : -1;
}

static int
same_name(const struct mp_field *f, const char *name, size_t nlen)
{
	return f->namelen == nlen && !strncasecmp(f->text.s, name, nlen);
}

int
mp_header_edit(struct mp_header *h, const struct mp_msg *m)
{
	stralloc t = {0};
	unsigned long k = 0;
	size_t i;
	int r;

	if (m->cmd == 'm' && m->valuelen == 0) {
		if (!name_ok(m->name, m->namelen))
			return 0;
		for (i = 0; i < h->n; i++)
			if (same_name(&h->f[i], m->name, m->namelen) &&
			    ++k == m->index) {
				stralloc_free(&h->f[i].text);
				memmove(h->f + i, h->f + i + 1,
				    (h->n - i - 1) * sizeof *h->f);
				h->n--;
				break;
			}
		return 1;	/* deleting what is not there is no error */
	}
	if ((r = field_text(&t, m->name, m->namelen, m->value, m->valuelen)) != 1) {
		stralloc_free(&t);
		return r;
	}
	r = 1;
	if (m->cmd == 'm') {
		for (i = 0; i < h->n; i++)
			if (same_name(&h->f[i], m->name, m->namelen) &&
			    ++k == m->index)
				break;
		if (i < h->n) {
			stralloc_free(&h->f[i].text);
			h->f[i].text = t;
			h->f[i].namelen = m->namelen;
			return 1;
		}
	}
	/* h adds at the end, i at its index; m of a missing field adds */
	if (!field_add(h, m->cmd == 'i' ? m->index : h->n, t.s, t.len,
	    m->namelen))
		r = -1;
	stralloc_free(&t);
	return r;
}

void
mp_header_free(struct mp_header *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		stralloc_free(&h->f[i].text);
	free(h->f);
	h->f = 0;
	h->n = h->cap = 0;
}
