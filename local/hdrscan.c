/*
 * hdrscan.c -- header scanning for loop detection; see hdrscan.h.
 * Pure functions over bytes.
 */
#include <string.h>
#include <case.h>

#include "hdrscan.h"

static size_t
line_end(const char *buf, size_t len, size_t pos)
{
	const char *nl = memchr(buf + pos, '\n', len - pos);

	return nl ? (size_t)(nl - buf) + 1 : len;
}

static int
is_field_char(unsigned char c)
{
	return c > 32 && c < 127 && c != ':';
}

int
hdr_next(const char *buf, size_t len, size_t *pos, struct hdr_field *f)
{
	size_t p = *pos;

	while (p < len) {
		size_t e = line_end(buf, len, p), n = p;

		if (buf[p] == '\n')
			return 0;		/* end of header */
		while (n < e && is_field_char((unsigned char)buf[n]))
			n++;
		if (n == p || n >= e || buf[n] != ':') {
			p = e;			/* continuation or junk */
			continue;
		}
		f->name = buf + p;
		f->namelen = n - p;
		f->value = buf + n + 1;
		while (e < len && (buf[e] == ' ' || buf[e] == '\t'))
			e = line_end(buf, len, e);
		f->valuelen = e - (n + 1);
		*pos = e;
		return 1;
	}
	*pos = p;
	return 0;
}

unsigned long
hdr_hops(const char *buf, size_t len)
{
	struct hdr_field f;
	size_t pos = 0;
	unsigned long n = 0;

	while (hdr_next(buf, len, &pos, &f))
		if (f.namelen == 8 && case_equalb(f.name, 8, "received"))
			n++;
		else if (f.namelen == 12 && case_equalb(f.name, 12, "delivered-to"))
			n++;
	return n;
}

static int
is_skip(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	    c == '<' || c == '>';
}

int
hdr_delivered_to(const char *buf, size_t len, const char *addr,
    size_t addrlen)
{
	struct hdr_field f;
	size_t pos = 0;

	while (hdr_next(buf, len, &pos, &f)) {
		const char *v = f.value;
		size_t vl = f.valuelen;

		if (f.namelen != 12 || !case_equalb(f.name, 12, "delivered-to"))
			continue;
		while (vl && is_skip(*v)) {
			v++;
			vl--;
		}
		while (vl && is_skip(v[vl - 1]))
			vl--;
		if (vl == addrlen && case_equalb(v, vl, addr))
			return 1;
	}
	return 0;
}

size_t
hdr_end(const char *buf, size_t len)
{
	size_t p = 0;

	while (p < len) {
		if (buf[p] == '\n')
			return p + 1;
		p = line_end(buf, len, p);
	}
	return 0;
}
