/*
 * route.h -- static routes from control/routes.cdb (format in HACKING.md):
 * key a destination domain (lower case) or "." for a smarthost, value
 * "HOST[:PORT]" followed by "\0OPTION" for each option.  Options:
 *   tls=may             the default: opportunistic STARTTLS
 *   tls=verify          STARTTLS required, the certificate chain checked
 *                       against the system CAs and valid for HOST
 *   cafile=/PATH        tls=verify against the CAs in this PEM file only
 *   tls=fingerprint:HEX STARTTLS required and the peer's certificate must
 *                       have this SHA-256 fingerprint (64 hex digits,
 *                       colons allowed, as `openssl x509 -fingerprint
 *                       -sha256` prints it); chain and name are not
 *                       checked; up to ROUTE_PIN_MAX of them (rollover)
 * Credentials (control/remoteauth) are only sent over TLS that one of the
 * last three made trustworthy.
 */
#ifndef SLUICE_ROUTE_H
#define SLUICE_ROUTE_H

#include <stddef.h>
#include "netaddr.h"

#define ROUTE_PIN_MAX	4
#define ROUTE_CAFILE_MAX 255
#define ROUTE_PIN_LEN	32	/* SHA-256 */

struct route {
	struct hostport hp;	/* host (name or IP) and port, default 25 */
	int tls_verify;		/* tls=verify or cafile= */
	char cafile[ROUTE_CAFILE_MAX + 1];	/* "" the system CAs */
	unsigned int npin;
	unsigned char pin[ROUTE_PIN_MAX][ROUTE_PIN_LEN];
};

/* parse a routes.cdb value.  1 ok, 0 malformed (unknown option too) */
int route_parse(const char *val, size_t len, struct route *r);

/* look domain up, then ".".  1 found, 0 no route (deliver by MX),
 * -1 error (unreadable or malformed: defer); *why says what */
int route_lookup(const char *domain, struct route *r, const char **why);

#endif
