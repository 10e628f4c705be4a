/*
 * mdsize.h -- the Maildir++ quota file MAILDIR/maildirsize, parsed.
 *
 * Format: a first line with the quota ("NNNS" bytes and/or "NNNC"
 * messages, comma separated), then one line per change, "BYTES COUNT"
 * (either may be negative).  Pure: no I/O.
 */
#ifndef SLUICE_LOCAL_MDSIZE_H
#define SLUICE_LOCAL_MDSIZE_H

#include <stddef.h>

struct mdsize {
	unsigned long qbytes;	/* 0: no byte limit */
	unsigned long qcount;	/* 0: no message limit */
	unsigned long bytes;	/* sum of the lines, at least 0 */
	unsigned long count;
	unsigned long lines;	/* change lines after the first */
};

/* 1 ok, 0 malformed (the caller then recalculates the file) */
int mdsize_parse(const char *buf, size_t len, struct mdsize *m);

/* the first line for a quota of qbytes, e.g. "1000000S\n", into out
 * (at least 24 bytes); returns its length */
size_t mdsize_header(char *out, unsigned long qbytes);

#endif
