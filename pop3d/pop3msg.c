/*
 * pop3msg.c -- message bytes as POP3 sends them, and Maildir file names;
 * see pop3cmd.h.  Pure functions over bytes.
 *
 * The Maildir holds messages with LF line ends; POP3 sends CRLF and
 * doubles a '.' at the start of a line (RFC 1939 3).  The transform
 * works on chunks with its state carried in struct pop3_stuff, so RETR
 * can stream a file of any size through a fixed buffer.
 */
#include <string.h>
#include <openssl/sha.h>

#include "pop3cmd.h"

void
pop3_stuff_init(struct pop3_stuff *s, int limited, unsigned long lines)
{
	memset(s, 0, sizeof *s);
	s->bol = 1;
	s->limited = limited;
	s->left = lines;
}

/* a line has ended: TOP bookkeeping */
static void
line_ended(struct pop3_stuff *s, int empty)
{
	if (!s->limited)
		return;
	if (s->inbody) {
		if (s->left > 0)
			s->left--;
		if (s->left == 0)
			s->done = 1;
	} else if (empty) {
		s->inbody = 1;
		if (s->left == 0)
			s->done = 1;
	}
}

size_t
pop3_stuff_chunk(struct pop3_stuff *s, const char *in, size_t inlen,
    char *out)
{
	size_t o = 0, i = 0;

	while (i < inlen && !s->done) {
		const char *lf = memchr(in + i, '\n', inlen - i);
		size_t seg = lf ? (size_t)(lf - (in + i)) : inlen - i;

		if (s->bol && seg > 0 && in[i] == '.')
			out[o++] = '.';
		if (seg > 0) {
			memcpy(out + o, in + i, seg);
			o += seg;
			s->prevcr = in[i + seg - 1] == '\r';
			s->linelen = s->linelen + (seg > 2 ? 2 : (int)seg);
			if (s->linelen > 2)
				s->linelen = 2;
			s->bol = 0;
			i += seg;
		}
		if (!lf)
			break;
		/* the LF itself (a '.' can't start here: it is an LF) */
		if (!s->prevcr)
			out[o++] = '\r';
		out[o++] = '\n';
		i++;
		line_ended(s, s->linelen == 0 ||
		    (s->linelen == 1 && s->prevcr));
		s->linelen = 0;
		s->prevcr = 0;
		s->bol = 1;
	}
	return o;
}

size_t
pop3_stuff_end(const struct pop3_stuff *s, char *out)
{
	size_t o = 0;

	if (!s->bol) {
		out[o++] = '\r';
		out[o++] = '\n';
	}
	memcpy(out + o, ".\r\n", 3);
	return o + 3;
}

unsigned long
pop3_crlf_extra(const char *buf, size_t len, int *prevcr)
{
	unsigned long n = 0;
	const char *p = buf, *end = buf + len, *lf;

	while (p < end && (lf = memchr(p, '\n', (size_t)(end - p)))) {
		int cr = lf > p ? lf[-1] == '\r' : *prevcr;

		if (!cr)
			n++;
		*prevcr = 0;
		p = lf + 1;
	}
	if (p < end)
		*prevcr = end[-1] == '\r';
	return n;
}

size_t
maildir_name_unique(const char *name, size_t len)
{
	const char *colon = memchr(name, ':', len);

	return colon ? (size_t)(colon - name) : len;
}

int
maildir_name_wsize(const char *name, size_t len, unsigned long *size)
{
	size_t u = maildir_name_unique(name, len), i, j;
	unsigned long v;

	for (i = 0; i + 2 < u; i++) {
		if (name[i] != ',' || name[i + 1] != 'W' || name[i + 2] != '=')
			continue;
		v = 0;
		for (j = i + 3; j < u && name[j] >= '0' && name[j] <= '9';
		    j++) {
			if (j - (i + 3) >= 15)
				return 0;	/* absurd */
			v = v * 10 + (unsigned long)(name[j] - '0');
		}
		if (j == i + 3 || (j < u && name[j] != ','))
			continue;
		*size = v;
		return 1;
	}
	return 0;
}

/* length of the run of digits at s */
static size_t
digits(const char *s)
{
	size_t n = 0;

	while (s[n] >= '0' && s[n] <= '9')
		n++;
	return n;
}

int
maildir_name_cmp(const char *a, const char *b)
{
	size_t da, db;
	int c;

	while (*a && *b) {
		da = digits(a);
		db = digits(b);
		if (da && db) {
			while (da > 1 && *a == '0')
				a++, da--;
			while (db > 1 && *b == '0')
				b++, db--;
			if (da != db)
				return da < db ? -1 : 1;
			if ((c = memcmp(a, b, da)) != 0)
				return c;
			a += da;
			b += db;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

/* 1 if s[0..len) is a valid RFC 1939 unique-id: 1..70 bytes 0x21..0x7E */
static int
uid_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > 70)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

size_t
pop3_uidl(const char *unique, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	const char *comma = memchr(unique, ',', len);
	size_t use = len, i;
	unsigned char md[SHA256_DIGEST_LENGTH];

	if (!uid_valid(unique, use) && comma)
		use = (size_t)(comma - unique);
	if (uid_valid(unique, use)) {
		memcpy(out, unique, use);
		out[use] = 0;
		return use;
	}
	SHA256((const unsigned char *)unique, len, md);
	for (i = 0; i < SHA256_DIGEST_LENGTH; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[2 * i] = 0;
	return 2 * i;
}
