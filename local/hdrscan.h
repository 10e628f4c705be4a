/*
 * hdrscan.h -- what local delivery needs to know about a message header:
 * how many hops it has made and whether it was already delivered to an
 * address (loop detection).
 *
 * Pure functions over bytes (LF line ends).  The header ends at the
 * first empty line or at the end of the buffer; a field may be folded
 * over several lines; a line that is neither a field nor a continuation
 * is skipped.
 */
#ifndef SLUICE_LOCAL_HDRSCAN_H
#define SLUICE_LOCAL_HDRSCAN_H

#include <stddef.h>

struct hdr_field {
	const char *name;
	size_t namelen;
	const char *value;	/* after the colon, folding included */
	size_t valuelen;
};

/* Next field at *pos; 1 found (and *pos advanced), 0 end of header.
 * Start with *pos = 0. */
int hdr_next(const char *buf, size_t len, size_t *pos, struct hdr_field *f);

/* number of Received and Delivered-To fields */
unsigned long hdr_hops(const char *buf, size_t len);

/* 1 if a Delivered-To field names addr (case-insensitive, blanks and
 * angle brackets ignored), else 0 */
int hdr_delivered_to(const char *buf, size_t len, const char *addr,
    size_t addrlen);

/* offset just after the empty line that ends the header, or 0 if the
 * buffer holds no complete header */
size_t hdr_end(const char *buf, size_t len);

#endif
