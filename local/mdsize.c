/*
 * mdsize.c -- parse Maildir++ maildirsize files; see mdsize.h.
 * Pure functions over bytes.
 */
#include <string.h>
#include <fmt.h>

#include "mdsize.h"

#define MDSIZE_NUM_MAX 1000000000000000000LL	/* 10^18: no overflow */

/* parse an optionally signed decimal at buf[*p]; 1 ok, 0 not a number */
static int
scan_num(const char *buf, size_t len, size_t *p, long long *out)
{
	size_t i = *p, digits = 0;
	int neg = 0;
	long long v = 0;

	if (i < len && buf[i] == '-') {
		neg = 1;
		i++;
	}
	while (i < len && buf[i] >= '0' && buf[i] <= '9') {
		if (v > MDSIZE_NUM_MAX / 10)
			return 0;
		v = v * 10 + (buf[i] - '0');
		i++;
		digits++;
	}
	if (!digits)
		return 0;
	*out = neg ? -v : v;
	*p = i;
	return 1;
}

static int
parse_quota_line(const char *buf, size_t len, struct mdsize *m)
{
	size_t p = 0;
	long long v;

	m->qbytes = m->qcount = 0;
	while (p < len) {
		if (!scan_num(buf, len, &p, &v) || v < 0 || p >= len)
			return 0;
		if (buf[p] == 'S')
			m->qbytes = (unsigned long)v;
		else if (buf[p] == 'C')
			m->qcount = (unsigned long)v;
		else
			return 0;
		p++;
		if (p < len && buf[p] == ',')
			p++;
		else if (p < len)
			return 0;
	}
	return 1;
}

static int
parse_change_line(const char *buf, size_t len, long long *b, long long *c)
{
	size_t p = 0;

	while (p < len && buf[p] == ' ')
		p++;
	if (!scan_num(buf, len, &p, b))
		return 0;
	if (p >= len || buf[p] != ' ')
		return 0;
	while (p < len && buf[p] == ' ')
		p++;
	if (!scan_num(buf, len, &p, c))
		return 0;
	while (p < len && buf[p] == ' ')
		p++;
	return p == len;
}

int
mdsize_parse(const char *buf, size_t len, struct mdsize *m)
{
	size_t pos = 0;
	long long bytes = 0, count = 0;
	int first = 1;

	memset(m, 0, sizeof *m);
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t ll;
		long long b, c;

		if (!nl)
			return 0;	/* a line being appended: recalculate */
		ll = (size_t)(nl - (buf + pos));
		if (first) {
			if (!parse_quota_line(buf + pos, ll, m))
				return 0;
			first = 0;
		} else {
			if (!parse_change_line(buf + pos, ll, &b, &c))
				return 0;
			if ((b > 0 ? b : -b) > MDSIZE_NUM_MAX / 4 ||
			    (c > 0 ? c : -c) > MDSIZE_NUM_MAX / 4)
				return 0;
			bytes += b;
			count += c;
			if (bytes > MDSIZE_NUM_MAX || count > MDSIZE_NUM_MAX ||
			    bytes < -MDSIZE_NUM_MAX || count < -MDSIZE_NUM_MAX)
				return 0;
			m->lines++;
		}
		pos += ll + 1;
	}
	if (first)
		return 0;
	m->bytes = bytes > 0 ? (unsigned long)bytes : 0;
	m->count = count > 0 ? (unsigned long)count : 0;
	return 1;
}

size_t
mdsize_header(char *out, unsigned long qbytes)
{
	size_t n = fmt_ulong(out, qbytes);

	out[n++] = 'S';
	out[n++] = '\n';
	return n;
}
