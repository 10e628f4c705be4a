/*
 * smtpcmd.c -- the SMTP command-line parser (smtpcmd.h).  Pure: the
 * only dependency is the address parser, which is pure too.
 */
#include <string.h>

#include "smtpcmd.h"

static const struct {
	const char *name;
	enum smtp_verb verb;
} verbs[] = {
	{ "HELO", V_HELO }, { "EHLO", V_EHLO }, { "MAIL", V_MAIL },
	{ "RCPT", V_RCPT }, { "DATA", V_DATA }, { "BDAT", V_BDAT },
	{ "RSET", V_RSET }, { "NOOP", V_NOOP }, { "QUIT", V_QUIT },
	{ "VRFY", V_VRFY }, { "EXPN", V_EXPN }, { "HELP", V_HELP },
	{ "STARTTLS", V_STARTTLS }, { "AUTH", V_AUTH },
	/* other protocols sent to the SMTP port: browsers, proxies */
	{ "GET", V_FORBIDDEN }, { "POST", V_FORBIDDEN },
	{ "CONNECT", V_FORBIDDEN }, { "PUT", V_FORBIDDEN },
	{ "HEAD", V_FORBIDDEN }, { "USER", V_FORBIDDEN },
	{ 0, V_UNKNOWN }
};

#define VERB_MAX 10

static int
upper(int c)
{
	return (c >= 'a' && c <= 'z') ? c - 32 : c;
}

/* case-insensitive compare of s[0..n) with the upper-case word w */
static int
word_is(const char *s, size_t n, const char *w)
{
	size_t i;

	for (i = 0; i < n && w[i]; i++)
		if (upper((unsigned char)s[i]) != w[i])
			return 0;
	return i == n && !w[i];
}

const char *
smtp_verb_name(enum smtp_verb v)
{
	size_t i;

	for (i = 0; verbs[i].name; i++)
		if (verbs[i].verb == v)
			return verbs[i].name;
	return "?";
}

static enum smtp_verb
verb_lookup(const char *s, size_t n)
{
	size_t i;

	for (i = 0; verbs[i].name; i++)
		if (word_is(s, n, verbs[i].name))
			return verbs[i].verb;
	return V_UNKNOWN;
}

int
smtp_line_parse(const char *line, size_t len, struct smtp_line *out)
{
	size_t i, vlen;

	out->verb = V_UNKNOWN;
	out->arg = line;
	out->arglen = 0;
	/* drop the line end: CRLF, or a lone LF (tolerated in commands) */
	if (len && line[len - 1] == '\n')
		len--;
	if (len && line[len - 1] == '\r')
		len--;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];
		if ((c < 32 && c != '\t') || c == 127)
			return SP_BADCHAR;
	}
	while (len && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	if (!len)
		return SP_EMPTY;
	for (vlen = 0; vlen < len && line[vlen] != ' '; vlen++)
		if (!((line[vlen] >= 'A' && line[vlen] <= 'Z') ||
		    (line[vlen] >= 'a' && line[vlen] <= 'z')))
			return SP_SYNTAX;
	if (vlen == 0 || vlen > VERB_MAX)
		return SP_SYNTAX;
	out->verb = verb_lookup(line, vlen);
	i = vlen;
	while (i < len && line[i] == ' ')
		i++;
	out->arg = line + i;
	out->arglen = len - i;
	return SP_OK;
}

/* parse a decimal number s[0..n) of at most 18 digits */
static int
number(const char *s, size_t n, unsigned long *v)
{
	size_t i;

	if (n == 0 || n > 18)
		return 0;
	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		*v = *v * 10 + (unsigned long)(s[i] - '0');
	}
	return 1;
}

/* one MAIL parameter "KEY[=VALUE]" */
static int
mail_param(const char *p, size_t n, struct smtp_path *out)
{
	const char *eq = memchr(p, '=', n);
	size_t klen = eq ? (size_t)(eq - p) : n;
	const char *v = eq ? eq + 1 : 0;
	size_t vlen = eq ? n - klen - 1 : 0;

	if (word_is(p, klen, "SIZE")) {
		if (!v || out->has_size || !number(v, vlen, &out->size))
			return SP_PARAMSYNTAX;
		out->has_size = 1;
		return SP_OK;
	}
	if (word_is(p, klen, "BODY")) {
		if (!v || out->body)
			return SP_PARAMSYNTAX;
		if (word_is(v, vlen, "7BIT"))
			out->body = BODY_7BIT;
		else if (word_is(v, vlen, "8BITMIME"))
			out->body = BODY_8BITMIME;
		else
			return SP_PARAM;	/* BINARYMIME is not offered */
		return SP_OK;
	}
	if (word_is(p, klen, "SMTPUTF8")) {
		if (v)
			return SP_PARAMSYNTAX;
		out->smtputf8 = 1;
		return SP_OK;
	}
	if (word_is(p, klen, "AUTH")) {
		/* RFC 4954 5: accepted, and ignored (we do not relay trust) */
		if (!v || !vlen)
			return SP_PARAMSYNTAX;
		return SP_OK;
	}
	return SP_PARAM;
}

static int
params(const char *p, size_t n, int is_mail, struct smtp_path *out)
{
	size_t i = 0;

	while (i < n) {
		size_t start, r;

		while (i < n && p[i] == ' ')
			i++;
		if (i == n)
			break;
		start = i;
		while (i < n && p[i] != ' ')
			i++;
		if (!is_mail)
			return SP_PARAM;
		r = (size_t)mail_param(p + start, i - start, out);
		if (r != SP_OK)
			return (int)r;
	}
	return SP_OK;
}

int
smtp_path_parse(const char *arg, size_t len, int is_mail, int addr_flags,
    struct smtp_path *out)
{
	const char *kw = is_mail ? "FROM:" : "TO:";
	size_t kwlen = strlen(kw), i, used = 0;
	int r;

	memset(out, 0, sizeof *out);
	if (len < kwlen || !word_is(arg, kwlen, kw))
		return SP_SYNTAX;
	i = kwlen;
	/* "MAIL FROM: <a@b>": not RFC 5321, but common; tolerated */
	while (i < len && arg[i] == ' ')
		i++;
	if (i == len || arg[i] != '<')
		return SP_SYNTAX;
	r = addr_parse_prefix(arg + i, len - i, addr_flags | ADDR_UTF8,
	    &out->addr, &used);
	if (r != ADDR_OK) {
		out->err_addr = r;
		return SP_ADDR;
	}
	i += used;
	if (i < len && arg[i] != ' ')
		return SP_SYNTAX;
	return params(arg + i, len - i, is_mail, out);
}

int
smtp_bdat_parse(const char *arg, size_t len, unsigned long *size, int *last)
{
	size_t i = 0, start;

	*last = 0;
	while (i < len && arg[i] >= '0' && arg[i] <= '9')
		i++;
	if (!number(arg, i, size))
		return SP_SYNTAX;
	while (i < len && arg[i] == ' ')
		i++;
	if (i == len)
		return SP_OK;
	start = i;
	while (i < len && arg[i] != ' ')
		i++;
	if (!word_is(arg + start, i - start, "LAST"))
		return SP_SYNTAX;
	while (i < len && arg[i] == ' ')
		i++;
	if (i != len)
		return SP_SYNTAX;
	*last = 1;
	return SP_OK;
}
