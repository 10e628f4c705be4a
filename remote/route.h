/*
 * route.h -- static routes from control/routes.cdb (format in HACKING.md):
 * key a destination domain (lower case) or "." for a smarthost, value
 * "HOST[:PORT]" followed by "\0OPTION" for each option.  Options:
 * tls=verify (STARTTLS required and the certificate must be valid for
 * HOST), tls=may (the default: opportunistic STARTTLS).
 */
#ifndef SLUICE_ROUTE_H
#define SLUICE_ROUTE_H

#include <stddef.h>
#include "netaddr.h"

struct route {
	struct hostport hp;	/* host (name or IP) and port, default 25 */
	int tls_verify;
};

/* parse a routes.cdb value.  1 ok, 0 malformed (unknown option too) */
int route_parse(const char *val, size_t len, struct route *r);

/* look domain up, then ".".  1 found, 0 no route (deliver by MX),
 * -1 error (unreadable or malformed: defer); *why says what */
int route_lookup(const char *domain, struct route *r, const char **why);

#endif
