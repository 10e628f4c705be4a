/*
 * relaydom.c -- relay domains (sluice-conf relaydomain): mail for them is
 * taken from anyone and passed on by route or MX (backup MX, inbound
 * gateway).  A relay domain added with "recipients" takes only the
 * addresses in control/relayrcpts.cdb (an address with a
 * recipientdelimiter extension counts as its base address), so a gateway
 * refuses at RCPT what the inside server would bounce.
 */
#include <string.h>

#include "address.h"
#include "cdblook.h"
#include "control.h"
#include "relaydom.h"

static void
lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s + 32);
}

static int
lookup(const char *file, const char *key, stralloc *val)
{
	stralloc path = {0};
	int r;

	if (!instance_path(&path, file))
		return -1;
	r = cdblook_once(path.s, key, strlen(key), val);
	stralloc_free(&path);
	return r;
}

int
relay_domain(const char *local, const char *domain, const char *delims)
{
	char d[ADDR_DOMAIN_MAX + 1], a[ADDR_PATH_MAX + 3];
	stralloc val = {0};
	size_t ll = strlen(local), dl = strlen(domain), cut;
	int r, listed;

	if (dl >= sizeof d || ll + dl + 2 > sizeof a)
		return RD_NONE;
	memcpy(d, domain, dl + 1);
	lower(d);
	r = lookup("control/relaydomains.cdb", d, &val);
	listed = r == 1 && val.len == 10 && !memcmp(val.s, "recipients", 10);
	stralloc_free(&val);
	if (r <= 0)
		return r < 0 ? RD_ERROR : RD_NONE;
	if (!listed)
		return RD_ACCEPT;
	memcpy(a, local, ll);
	a[ll] = '@';
	memcpy(a + ll + 1, d, dl + 1);
	lower(a);
	r = lookup("control/relayrcpts.cdb", a, &val);
	cut = delims && *delims ? strcspn(a, delims) : ll;
	if (r == 0 && cut < ll) {	/* base+ext: the base address */
		memmove(a + cut, a + ll, dl + 2);
		r = lookup("control/relayrcpts.cdb", a, &val);
	}
	stralloc_free(&val);
	return r < 0 ? RD_ERROR : r ? RD_ACCEPT : RD_UNKNOWN;
}
