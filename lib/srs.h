/*
 * srs.h -- the Sender Rewriting Scheme for forwarded mail, so that SPF
 * passes at the next hop (the envelope sender becomes an address of ours)
 * and a bounce to that address finds its way back to the original sender.
 *
 *   SRS0=HHHHHH=TT=orig.domain=orig-local@our.domain
 *
 * TT is the day number (days since 1970, mod 1024) in two base32
 * characters; HHHHHH is 30 bits of HMAC-SHA256(srssecret, lower case of
 * "TT=orig.domain=orig-local") in base32.  An address is accepted back
 * for SRS_MAX_AGE days.  base32 (a-z, 2-7) keeps the address free of the
 * recipient delimiters '+' and '-' and survives case folding.  The local
 * part must stay within 64 octets (RFC 5321): a sender too long for that
 * is not rewritten (srs_forward says so; the caller logs it).
 *
 * Pure functions over bytes apart from the HMAC (OpenSSL).
 */
#ifndef SLUICE_SRS_H
#define SLUICE_SRS_H

#include <stddef.h>
#include <time.h>
#include <stralloc.h>

#define SRS_HASH_LEN 6
#define SRS_MAX_AGE 21		/* days a bounce address stays valid */

/* rewrite sender (local@domain) as an address at srsdomain into out.
 * 1 done, 0 not rewritten (null or unqualified sender, a domain that is
 * not a plain host name, a control character, or a result too long),
 * -1 out of memory */
int srs_forward(const char *sender, const char *srsdomain,
    const char *secret, size_t secretlen, time_t now, stralloc *out);

/* local: the local part of an address of ours.  1 a valid SRS0 address:
 * the original sender into out (NUL-terminated); 0 not an SRS address;
 * -1 an SRS address that is forged, damaged or expired */
int srs_reverse(const char *local, size_t len, const char *secret,
    size_t secretlen, time_t now, stralloc *out);

#endif
