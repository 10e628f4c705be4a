/*
 * mxorder.h -- which hosts to try, in which order (RFC 5321 5.1):
 * MX records by preference, random among equal preferences; when this
 * host is one of the MX hosts, only those strictly more preferred are
 * used (mail must not loop back).  Pure: the caller supplies the random
 * numbers and says which entries are this host.
 */
#ifndef SLUICE_MXORDER_H
#define SLUICE_MXORDER_H

#include <stddef.h>
#include "dnsres.h"

/* sort mx[0..n) by preference; rnd[i] breaks ties between equals */
void mx_sort(struct mxrec *mx, size_t n, const unsigned int *rnd);
/* 1 if the answer is a null MX (RFC 7505: one record, target ".") */
int mx_is_null(const struct mxrec *mx, size_t n);
/* drop entries with an empty target (a "." mixed with real MX records) */
size_t mx_drop_empty(struct mxrec *mx, size_t n);
/* given sorted mx and self[i] set for entries that are this host, the
 * number of leading entries that may be used (0: all would loop) */
size_t mx_usable(const struct mxrec *mx, size_t n, const int *self);

#endif
