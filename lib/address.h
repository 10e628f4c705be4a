/*
 * address.h -- RFC 5321 / RFC 6531 address parsing.  Pure functions over
 * bytes: no I/O, no allocation beyond the caller's struct.
 *
 * Accepted syntax (RFC 5321 4.1.2, 4.1.3):
 *   Path         = "<" [ A-d-l ":" ] Mailbox ">"   (source route accepted
 *                                                  and discarded, 4.1.1.3)
 *   Reverse-path = Path / "<>"
 *   Mailbox      = Local-part "@" ( Domain / address-literal )
 *   Local-part   = Dot-string / Quoted-string
 *   address-literal = "[" IPv4 "]" / "[IPv6:" IPv6 "]"
 * With ADDR_UTF8 (SMTPUTF8 was given), UTF-8 (valid sequences only) is
 * allowed in atoms and domain labels.  Limits: local part 64 octets,
 * domain 255, whole path 256 (RFC 5321 4.5.3.1).  Control characters,
 * NUL and unbalanced quoting are always refused.
 *
 * The parsed form is canonical: quotes removed where the local part is a
 * valid dot-string, domain lower-cased, address literal kept as written.
 */
#ifndef SLUICE_ADDRESS_H
#define SLUICE_ADDRESS_H

#include <stddef.h>

#define ADDR_LOCAL_MAX	64
#define ADDR_DOMAIN_MAX	255
#define ADDR_PATH_MAX	256

/* flags */
#define ADDR_UTF8	1	/* SMTPUTF8: allow UTF-8 */
#define ADDR_NULL_OK	2	/* "<>" allowed (reverse path) */
#define ADDR_NO_BRACKETS 4	/* input is a bare mailbox, no < > (sendmail, conf) */
#define ADDR_LOCAL_OK	8	/* a bare local part without @domain is allowed
				   (sendmail command line; caller adds a domain) */

enum addr_err {
	ADDR_OK = 0,
	ADDR_ESYNTAX,		/* general syntax error */
	ADDR_ELOCALLONG,	/* local part > 64 */
	ADDR_EDOMAINLONG,	/* domain > 255 */
	ADDR_EPATHLONG,		/* path > 256 */
	ADDR_EDOMAIN,		/* bad domain or address literal */
	ADDR_ENULL,		/* "<>" where not allowed */
	ADDR_E8BIT		/* non-ASCII without ADDR_UTF8, or bad UTF-8 */
};

struct addr {
	int is_null;			/* "<>" */
	int has_domain;			/* 0 only with ADDR_LOCAL_OK */
	int is_literal;			/* domain is [address-literal] */
	int is_utf8;			/* contains non-ASCII octets */
	size_t local_len;
	size_t domain_len;
	char local[ADDR_LOCAL_MAX + 3];	/* canonical local part, NUL-terminated
					   (quoted form if it needs quotes) */
	char domain[ADDR_DOMAIN_MAX + 1];	/* lower-cased, NUL-terminated */
};

/* Parse s[0..len).  Returns ADDR_OK and fills *a, or an addr_err.
 * The whole input must be consumed (no trailing bytes). */
int addr_parse(const char *s, size_t len, int flags, struct addr *a);

/* As addr_parse, but parse a path at the start of s and report in *used
 * how many octets it took (for "MAIL FROM:<a@b> SIZE=10"). */
int addr_parse_prefix(const char *s, size_t len, int flags, struct addr *a,
    size_t *used);

/* "local@domain" (or "" for the null path) into out, NUL-terminated;
 * out must hold ADDR_PATH_MAX + 3 bytes.  Returns the length. */
size_t addr_format(const struct addr *a, char *out);

/* 1 if d[0..len) is a syntactically valid domain name (LDH labels of at
 * most 63, total at most 255, at least one label) */
int domain_valid(const char *d, size_t len);

/* human-readable reason for an addr_err */
const char *addr_strerror(int err);

#endif
