/*
 * envelope.c -- see envelope.h.  An address may hold any byte but NUL in
 * qmail's format; we also refuse control characters (they would break the
 * line-based queue file and the logs) and more than QF_ADDR_MAX bytes.
 */
#include <string.h>

#include "envelope.h"
#include "qfile.h"

/* one "Xaddr\0" item at in[*pos]; 1 ok, ENV_* otherwise */
static int
item(const char *in, size_t len, size_t *pos, char tag, stralloc *out)
{
	const char *nul;
	size_t alen, i;
	const char *a = in + *pos + 1;

	if (*pos >= len)
		return ENV_MORE;
	if (in[*pos] != tag)
		return ENV_FORMAT;
	nul = memchr(a, 0, len - *pos - 1);
	if (!nul)
		return (len - *pos - 1 > QF_ADDR_MAX) ? ENV_ADDRLONG : ENV_MORE;
	alen = (size_t)(nul - a);
	if (alen > QF_ADDR_MAX)
		return ENV_ADDRLONG;
	if (tag == 'T' && alen == 0)
		return ENV_FORMAT;
	for (i = 0; i < alen; i++)
		if ((unsigned char)a[i] < 32 || a[i] == 127)
			return ENV_FORMAT;
	if (!stralloc_catb(out, &tag, 1) || !stralloc_catb(out, a, alen) ||
	    !stralloc_cats(out, "\n"))
		return ENV_NOMEM;
	*pos += alen + 2;
	return 1;
}

int
env_convert(const char *in, size_t len, stralloc *out, size_t *nrcpt,
    size_t *used)
{
	size_t pos = 0;
	int r;

	out->len = 0;
	*nrcpt = 0;
	r = item(in, len, &pos, 'F', out);
	if (r != 1)
		return r;
	for (;;) {
		if (pos >= len)
			return ENV_MORE;
		if (in[pos] == 0) {
			if (*nrcpt == 0)
				return ENV_FORMAT;
			*used = pos + 1;
			return ENV_OK;
		}
		if (*nrcpt >= QF_RCPT_MAX)
			return ENV_TOOMANY;
		r = item(in, len, &pos, 'T', out);
		if (r != 1)
			return r;
		(*nrcpt)++;
	}
}
