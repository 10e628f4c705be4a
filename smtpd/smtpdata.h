/*
 * smtpdata.h -- the message-data state machine of sluice-smtpd: finds the
 * end of DATA, undoes dot-stuffing, turns CRLF into LF, and flags what
 * makes a message unacceptable.  Pure: bytes in, bytes out, no I/O.
 *
 * DATA mode: the data ends only at CRLF "." CRLF (the CRLF before the dot
 * is the one that ended the previous line, or the one that ended the DATA
 * command).  A bare LF or a bare CR anywhere is flagged (SMTP smuggling:
 * a peer that took "\n.\n" as the end must not disagree with us about
 * where a message stops), and does not start a line, so it can never be
 * part of an end marker.  A NUL octet anywhere is flagged too (RFC 5321
 * 2.3.8: text is ASCII without NUL; "\r\n\0.\r\n" must not be an end
 * marker to anybody).  BDAT mode (binary = 1): no dots, no end marker;
 * the caller counts the chunk bytes; smtp_data_finish at the last chunk.
 *
 * Text lines longer than SMTP_TEXT_MAX octets (with their CRLF) are
 * flagged.  The header section (until the first empty line) is watched
 * for Received: fields, counted for loop detection.
 *
 * Feeding: smtp_data_feed may be called with any split of the input;
 * out must have room for len bytes (output is never longer than input).
 * It returns the bytes consumed, which is less than len only when the
 * end marker was found (done is then set and the rest belongs to the
 * next command).
 */
#ifndef SLUICE_SMTPDATA_H
#define SLUICE_SMTPDATA_H

#include <stddef.h>

#define SMTP_TEXT_MAX	1000

/* err flags */
#define DATA_EBARELF	1
#define DATA_EBARECR	2
#define DATA_ELONGLINE	4
#define DATA_ENUL	8

struct smtp_data {
	int state;
	int binary;
	int done;
	unsigned int err;
	unsigned long linelen;		/* octets of the current input line */
	unsigned long long size;	/* octets written out (LF line ends) */
	int in_headers;
	int hdr_pos;			/* matched prefix of "received:", -1 none */
	unsigned long received;		/* Received: header fields seen */
	int last_lf;			/* last octet written out was LF */
};

void smtp_data_init(struct smtp_data *d, int binary);
size_t smtp_data_feed(struct smtp_data *d, const char *in, size_t len,
    char *out, size_t *outlen);
/* BDAT: the last chunk was fed; flags a CR left dangling at the end */
void smtp_data_finish(struct smtp_data *d);

#endif
