/*
 * decimal.h -- one bounded parser for unsigned decimal numbers in protocol
 * fields and file formats.  Pure; no sign, no spaces, no overflow: at most
 * maxdigits (<= 19) digits, so the value always fits an unsigned long.
 */
#ifndef SLUICE_DECIMAL_H
#define SLUICE_DECIMAL_H

#include <stddef.h>

/* s[0..len) must be 1..maxdigits decimal digits: 1 and *out set, else 0 */
int decimal_parse(const char *s, size_t len, size_t maxdigits,
    unsigned long *out);

#endif
