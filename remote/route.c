/*
 * route.c -- static routes (route.h).  Reads ROOT/control/routes.cdb
 * through cdblook; a missing file means no routes.
 */
#include <string.h>

#include "cdblook.h"
#include "control.h"
#include "route.h"

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

		if (olen == 10 && !memcmp(opt, "tls=verify", 10))
			r->tls_verify = 1;
		else if (olen == 7 && !memcmp(opt, "tls=may", 7))
			r->tls_verify = 0;
		else if (olen != 0)
			return 0;
		i += olen + 1;
	}
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
