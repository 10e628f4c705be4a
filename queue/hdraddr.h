/*
 * hdraddr.h -- the addresses in an RFC 5322 address-list header body
 * (To:, Cc:, Bcc:), for sluice-sendmail -t.  Pure function over bytes.
 *
 * Handles display names, quoted strings (with backslash escapes),
 * comments (nested), angle addresses, and groups ("name: a, b;").
 * Each address is handed out without its angle brackets or comments;
 * checking its syntax is the caller's job (address.h).
 */
#ifndef SLUICE_HDRADDR_H
#define SLUICE_HDRADDR_H

#include <stddef.h>

#define HDRADDR_MAX 1000	/* longest single address text accepted */

typedef int (*hdraddr_fn)(void *ctx, const char *addr, size_t len);

/* 1 ok (fn called per address; fn returning 0 stops with 0),
 * 0 syntax error (unbalanced quote, comment or bracket; too long) */
int hdr_addrs(const char *v, size_t len, hdraddr_fn fn, void *ctx);

#endif
