/*
 * route.c -- static routes (route.h).  Reads ROOT/control/routes.cdb
 * through cdblook; a missing file means no routes.
 */
#include <string.h>

#include "cdblook.h"
#include "control.h"
#include "route.h"

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* 64 hex digits, optionally in pairs separated by colons */
static int
pin_parse(const char *s, size_t len, unsigned char *out)
{
	size_t i = 0, n = 0;

	while (n < ROUTE_PIN_LEN) {
		int hi, lo;

		if (n && i < len && s[i] == ':')
			i++;
		if (i + 2 > len || (hi = hexval(s[i])) < 0 || (lo = hexval(s[i + 1])) < 0)
			return 0;
		out[n++] = (unsigned char)(hi << 4 | lo);
		i += 2;
	}
	return i == len;
}

static int
has_prefix(const char *s, size_t len, const char *prefix)
{
	size_t plen = strlen(prefix);

	return len >= plen && !memcmp(s, prefix, plen);
}

/* one option; 0 unknown or malformed */
static int
route_option(const char *opt, size_t olen, struct route *r)
{
	static const char fp[] = "tls=fingerprint:", ca[] = "cafile=";

	if (olen == 10 && !memcmp(opt, "tls=verify", 10))
		r->tls_verify = 1;
	else if (olen == 7 && !memcmp(opt, "tls=may", 7))
		r->tls_verify = 0;
	else if (has_prefix(opt, olen, fp)) {
		if (r->npin == ROUTE_PIN_MAX ||
		    !pin_parse(opt + sizeof fp - 1, olen - (sizeof fp - 1), r->pin[r->npin]))
			return 0;
		r->npin++;
	} else if (has_prefix(opt, olen, ca)) {
		size_t plen = olen - (sizeof ca - 1);

		if (!plen || plen > ROUTE_CAFILE_MAX || opt[sizeof ca - 1] != '/' ||
		    memchr(opt + sizeof ca - 1, 0, plen))
			return 0;
		memcpy(r->cafile, opt + sizeof ca - 1, plen);
		r->cafile[plen] = 0;
		r->tls_verify = 1;
	} else if (olen != 0)
		return 0;
	return 1;
}

int
route_parse(const char *val, size_t len, struct route *r)
{
	const char *nul = memchr(val, 0, len);
	size_t hlen = nul ? (size_t)(nul - val) : len;
	size_t i;

	memset(r, 0, sizeof *r);
	if (!hlen || !hostport_parse(val, hlen, 25, &r->hp))
		return 0;
	for (i = hlen; i < len; ) {
		const char *opt = val + i + 1;	/* skip the \0 */
		const char *end = memchr(opt, 0, len - i - 1);
		size_t olen = end ? (size_t)(end - opt) : len - i - 1;

		if (!route_option(opt, olen, r))
			return 0;
		i += olen + 1;
	}
	/* cafile= is verification: tls=may after it would silently undo it */
	if (r->cafile[0] && !r->tls_verify)
		return 0;
	return 1;
}

int
route_lookup(const char *domain, struct route *r, const char **why)
{
	stralloc path = {0}, val = {0};
	struct cdblook l;
	int found;

	*why = "";
	if (!instance_path(&path, "control/routes.cdb")) {
		*why = "out of memory";
		return -1;
	}
	found = cdblook_open(&l, path.s);
	stralloc_free(&path);
	if (found < 0) {
		*why = "cannot open control/routes.cdb";
		return -1;
	}
	if (found == 0)
		return 0;
	found = cdblook_find(&l, domain, strlen(domain), &val);
	if (found == 0)
		found = cdblook_find(&l, ".", 1, &val);
	cdblook_close(&l);
	if (found < 0) {
		*why = "cannot read control/routes.cdb";
		stralloc_free(&val);
		return -1;
	}
	if (found && !route_parse(val.s, val.len, r)) {
		*why = "malformed entry in control/routes.cdb";
		found = -1;
	}
	stralloc_free(&val);
	return found;
}
