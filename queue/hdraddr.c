/*
 * hdraddr.c -- see hdraddr.h.  One pass, one small state machine: inside
 * a quoted string, a comment (depth), a [literal], <...>; at top level a
 * ',' or ';' ends an item, a ':' starts a group (what came before was the
 * group's name).  An item is its <...> part if it has one, else its text.
 */
#include <string.h>

#include "hdraddr.h"

struct item {
	char text[HDRADDR_MAX];
	size_t tlen;
	char angle[HDRADDR_MAX];
	size_t alen;
	int has_angle;
};

static int
put(char *buf, size_t *len, char c)
{
	if (*len >= HDRADDR_MAX)
		return 0;
	buf[(*len)++] = c;
	return 1;
}

static int
emit(struct item *it, hdraddr_fn fn, void *ctx)
{
	const char *s = it->has_angle ? it->angle : it->text;
	size_t len = it->has_angle ? it->alen : it->tlen;
	int r = 1;

	while (len && (*s == ' ' || *s == '\t'))
		s++, len--;
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len)
		r = fn(ctx, s, len);
	it->tlen = it->alen = 0;
	it->has_angle = 0;
	return r;
}

int
hdr_addrs(const char *v, size_t len, hdraddr_fn fn, void *ctx)
{
	struct item it;
	size_t i;
	int quoted = 0, comment = 0, angle = 0, literal = 0;

	memset(&it, 0, sizeof it);
	for (i = 0; i < len; i++) {
		char c = v[i];
		char *buf = angle ? it.angle : it.text;
		size_t *bl = angle ? &it.alen : &it.tlen;

		if (c == '\r' || c == '\n')
			c = ' ';
		if (comment) {
			if (c == '\\' && i + 1 < len)
				i++;
			else if (c == '(')
				comment++;
			else if (c == ')')
				comment--;
			continue;
		}
		if (literal) {		/* [domain literal] may hold ':' */
			if (!put(buf, bl, c))
				return 0;
			if (c == ']')
				literal = 0;
			continue;
		}
		if (quoted) {
			if (!put(buf, bl, c))
				return 0;
			if (c == '\\' && i + 1 < len) {
				if (!put(buf, bl, v[++i]))
					return 0;
			} else if (c == '"')
				quoted = 0;
			continue;
		}
		switch (c) {
		case '(':
			comment = 1;
			continue;
		case '"':
			quoted = 1;
			break;
		case '[':
			literal = 1;
			break;
		case '<':
			if (angle)
				return 0;
			angle = 1;
			it.has_angle = 1;
			it.alen = 0;
			continue;
		case '>':
			if (!angle)
				return 0;
			angle = 0;
			continue;
		case ':':
			if (!angle) {	/* a group's name */
				it.tlen = 0;
				continue;
			}
			break;
		case ',':
		case ';':
			if (!angle) {
				if (!emit(&it, fn, ctx))
					return 0;
				continue;
			}
			break;
		}
		if (!put(buf, bl, c))
			return 0;
	}
	if (quoted || comment || angle || literal)
		return 0;
	return emit(&it, fn, ctx);
}
