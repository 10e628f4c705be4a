/*
 * msgid.c -- see msgid.h.  Reads only the buffer it is given.
 */
#include <string.h>
#include <strings.h>

#include "msgid.h"

/* the field value starting at v, up to the end of the field (folded
 * lines joined), printable octets only, into out */
static void
take_value(const char *v, const char *end, char *out)
{
	size_t n = 0;
	int inside = 0, angle = 0;
	const char *p;

	for (p = v; p < end; p++) {
		if (*p == '\n' && (p + 1 >= end || (p[1] != ' ' && p[1] != '\t')))
			break;
		if (*p == '<' && !angle) {
			angle = 1;
			inside = 1;
			n = 0;
		}
		if ((unsigned char)*p > 0x20 && (unsigned char)*p < 0x7f &&
		    n < MSGID_MAX - 1)
			out[n++] = *p;
		if (*p == '>' && inside)
			break;
	}
	out[n] = 0;
}

int
msgid_find(const char *buf, size_t len, char *out)
{
	const char *p = buf, *end = buf + len, *lf;

	out[0] = 0;
	while (p < end && *p != '\n') {
		if ((size_t)(end - p) > 11 && !strncasecmp(p, "Message-ID:", 11)) {
			take_value(p + 11, end, out);
			return out[0] != 0;
		}
		lf = memchr(p, '\n', (size_t)(end - p));
		if (!lf)
			break;
		p = lf + 1;
	}
	return 0;
}
