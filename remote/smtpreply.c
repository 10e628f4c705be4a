/*
 * smtpreply.c -- SMTP reply, enhanced status code and EHLO keyword
 * parsing (smtpreply.h).  Hostile input: every line is bounded by the
 * caller, the number of lines here, and only printable text is kept.
 */
#include <string.h>

#include "smtpreply.h"

void
smtp_reply_init(struct smtp_reply *r)
{
	r->code = 0;
	r->done = 0;
	r->nlines = 0;
	r->textlen = 0;
	r->text[0] = 0;
}

static void
text_add(struct smtp_reply *r, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len && r->textlen < REPLY_TEXT_MAX; i++) {
		unsigned char c = (unsigned char)s[i];
		r->text[r->textlen++] = (c < 32 || c > 126) ? '?' : (char)c;
	}
	r->text[r->textlen] = 0;
}

int
smtp_reply_feed(struct smtp_reply *r, const char *line, size_t len)
{
	int code, i;

	if (r->done)
		return -1;
	if (len && line[len - 1] == '\n')
		len--;
	if (len && line[len - 1] == '\r')
		len--;
	if (len < 3)
		return -1;
	for (i = 0; i < 3; i++)
		if (line[i] < '0' || line[i] > '9')
			return -1;
	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (code < 200 || code > 599)
		return -1;
	if (len > 3 && line[3] != ' ' && line[3] != '-')
		return -1;
	if (r->nlines && code != r->code)
		return -1;
	if (++r->nlines > REPLY_LINES_MAX)
		return -1;
	if (r->nlines == 1) {
		r->code = code;
		text_add(r, line, 3);
	} else
		text_add(r, ";", 1);
	if (len > 4) {
		text_add(r, " ", 1);
		text_add(r, line + 4, len - 4);
	}
	if (len == 3 || line[3] == ' ')
		r->done = 1;
	return r->done;
}

/* digits at s[0..len): how many (at most max), 0 if none */
static size_t
digits(const char *s, size_t len, size_t max)
{
	size_t n = 0;

	while (n < len && n <= max && s[n] >= '0' && s[n] <= '9')
		n++;
	return n > max ? 0 : n;
}

void
smtp_reply_dsn(const struct smtp_reply *r, char dsn[12])
{
	const char *s = r->text + 4;
	size_t len = r->textlen > 4 ? r->textlen - 4 : 0;
	size_t a, b, total;

	dsn[0] = (char)('0' + (r->code / 100 % 10));
	memcpy(dsn + 1, ".0.0", 5);
	if (len < 5 || s[0] != dsn[0] || s[1] != '.')
		return;
	a = digits(s + 2, len - 2, 3);
	if (!a || 2 + a >= len || s[2 + a] != '.')
		return;
	b = digits(s + 3 + a, len - 3 - a, 3);
	if (!b)
		return;
	total = 3 + a + b;
	if (total < len && s[total] != ' ')
		return;
	memcpy(dsn, s, total);
	dsn[total] = 0;
}

void
ehlo_caps_init(struct ehlo_caps *c)
{
	memset(c, 0, sizeof *c);
}

static int
word_is(const char *s, size_t len, const char *w)
{
	size_t i, wl = strlen(w);

	if (len != wl)
		return 0;
	for (i = 0; i < len; i++) {
		char ch = s[i];
		if (ch >= 'a' && ch <= 'z')
			ch = (char)(ch - 32);
		if (ch != w[i])
			return 0;
	}
	return 1;
}

static void
auth_mechanisms(struct ehlo_caps *c, const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t b;

		while (i < len && (s[i] == ' ' || s[i] == '\t'))
			i++;
		b = i;
		while (i < len && s[i] != ' ' && s[i] != '\t')
			i++;
		if (word_is(s + b, i - b, "PLAIN"))
			c->auth_plain = 1;
		if (word_is(s + b, i - b, "LOGIN"))
			c->auth_login = 1;
	}
}

static unsigned long
size_param(const char *s, size_t len)
{
	unsigned long v = 0;
	size_t i = 0, n;

	while (i < len && s[i] == ' ')
		i++;
	n = digits(s + i, len - i, 12);
	if (!n)
		return 0;
	for (; n; n--, i++)
		v = v * 10 + (unsigned long)(s[i] - '0');
	return v;
}

void
ehlo_caps_line(struct ehlo_caps *c, const char *s, size_t len)
{
	size_t k = 0;

	while (k < len && s[k] != ' ' && s[k] != '=')
		k++;
	if (word_is(s, k, "STARTTLS"))
		c->starttls = 1;
	else if (word_is(s, k, "PIPELINING"))
		c->pipelining = 1;
	else if (word_is(s, k, "8BITMIME"))
		c->eightbitmime = 1;
	else if (word_is(s, k, "SMTPUTF8"))
		c->smtputf8 = 1;
	else if (word_is(s, k, "SIZE")) {
		c->size = 1;
		c->size_max = size_param(s + k, len - k);
	}
	else if (word_is(s, k, "AUTH") && k < len)
		auth_mechanisms(c, s + k + 1, len - k - 1);
}
