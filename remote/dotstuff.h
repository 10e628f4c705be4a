/*
 * dotstuff.h -- the message body as SMTP DATA wants it (RFC 5321 4.5.2):
 * LF line ends become CR LF, a line starting with "." gets a second ".",
 * and the end is marked with "." on a line of its own.  A CR LF already
 * in the input stays one CR LF.  Defence in depth (SMTP smuggling): a
 * lone CR also ends a line (CR LF), and NUL octets are dropped, so no
 * bare CR, bare LF or NUL ever reaches the peer, whatever the queue file
 * holds.  Streaming and pure: the caller feeds chunks and sends what
 * comes out.
 */
#ifndef SLUICE_DOTSTUFF_H
#define SLUICE_DOTSTUFF_H

#include <stddef.h>

struct dotstuff {
	int bol;	/* next byte starts a line */
	int cr;		/* a CR was held back (it may precede LF) */
};

/* out needs room for 2 * len + 1 bytes */
#define DOTSTUFF_OUT(len) (2 * (len) + 1)
#define DOTSTUFF_END_MAX 6

void dotstuff_init(struct dotstuff *d);
/* encode in[0..len) into out; returns the bytes written */
size_t dotstuff_encode(struct dotstuff *d, const char *in, size_t len, char *out);
/* the end: a missing final line end and ".\r\n" (at most 6 bytes) */
size_t dotstuff_finish(struct dotstuff *d, char *out);

/* the size the message will have with CR LF line ends (SIZE=, RFC 1870;
 * an upper bound: every CR counts as a line end) and whether it has
 * 8-bit bytes; call over all chunks, starting at 0 */
void message_measure(const char *in, size_t len, unsigned long *size,
    int *eightbit);

#endif
