/*
 * envelope.h -- the qmail-queue envelope ("F<sender>\0T<rcpt>\0...\0"),
 * checked and turned into the queue file's envelope block (qfile.h).
 * Pure function over bytes, incremental: call it again with more input
 * until it stops asking for more.
 */
#ifndef SLUICE_ENVELOPE_H
#define SLUICE_ENVELOPE_H

#include <stddef.h>
#include <stralloc.h>

enum env_status {
	ENV_OK = 1,		/* complete; *used bytes consumed */
	ENV_MORE = 0,		/* incomplete so far */
	ENV_FORMAT = -1,	/* malformed (qmail-queue 91) */
	ENV_ADDRLONG = -2,	/* an address is too long (11) */
	ENV_TOOMANY = -3,	/* more than QF_RCPT_MAX recipients (31) */
	ENV_NOMEM = -4		/* (51) */
};

/* Parse in[0..len).  On ENV_OK, out holds "F<sender>\nT<rcpt>\n..." (the
 * part of the envelope block between N and E), *nrcpt the count. */
int env_convert(const char *in, size_t len, stralloc *out, size_t *nrcpt,
    size_t *used);

#endif
