/*
 * dotfile.c -- parse the per-user delivery file; see dotfile.h.
 * Pure function over bytes: no I/O, no allocation.
 */
#include <string.h>

#include "dotfile.h"

static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static int
fail(struct dotfile *d, unsigned int lineno, const char *why)
{
	d->errline = lineno;
	d->why = why;
	return 0;
}

/* step over the one-character mark ('|' or '&') and the blanks after it */
static void
skip_mark(char **s, size_t *len)
{
	(*s)++;
	(*len)--;
	while (*len && is_blank(**s)) {
		(*s)++;
		(*len)--;
	}
}

/* classify one trimmed, non-empty, non-comment line */
static int
classify(char *s, size_t len, unsigned int lineno, struct dotfile *d)
{
	struct dot_line *l;

	if (d->n >= DOT_LINES_MAX)
		return fail(d, lineno, "too many instructions");
	l = &d->line[d->n];
	l->lineno = lineno;
	if (s[0] == '|') {
		skip_mark(&s, &len);
		if (!len)
			return fail(d, lineno, "empty program");
		l->kind = DOT_PROGRAM;
	} else if (s[0] == '.' || s[0] == '/') {
		if (s[len - 1] != '/')
			return fail(d, lineno, "mbox files are not supported (a Maildir path ends with /)");
		l->kind = DOT_MAILDIR;
	} else {
		if (s[0] == '&')
			skip_mark(&s, &len);
		if (!len)
			return fail(d, lineno, "empty forwarding address");
		l->kind = DOT_FORWARD;
	}
	s[len] = 0;
	l->arg = s;
	l->len = len;
	d->n++;
	return 1;
}

int
dotfile_parse(char *buf, size_t len, struct dotfile *d)
{
	size_t pos = 0;
	unsigned int lineno = 0;

	d->n = 0;
	d->errline = 0;
	d->why = "";
	if (len > DOT_FILE_MAX)
		return fail(d, 0, "file too large");
	if (memchr(buf, 0, len))
		return fail(d, 0, "NUL byte in file");
	while (pos < len) {
		char *line = buf + pos, *nl;
		size_t ll, start = 0;

		lineno++;
		nl = memchr(line, '\n', len - pos);
		ll = nl ? (size_t)(nl - line) : len - pos;
		pos += ll + (nl ? 1 : 0);
		if (ll > DOT_LINE_MAX)
			return fail(d, lineno, "line too long");
		while (start < ll && is_blank(line[start]))
			start++;
		while (ll > start && is_blank(line[ll - 1]))
			ll--;
		if (ll == start || line[start] == '#')
			continue;
		line[ll] = 0;	/* the \n (or \r / blank) we cut, or inside buf */
		if (!classify(line + start, ll - start, lineno, d))
			return 0;
	}
	return 1;
}
