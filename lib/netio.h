/*
 * netio.h -- buffered, timed line I/O over a plain descriptor pair or TLS,
 * for the SMTP and POP3 servers and the SMTP client.
 *
 * libowfat's buffer cannot carry a TLS session or a per-read timeout, so
 * this small layer does: every read and write waits at most timeout
 * seconds (poll), input is read in large chunks (no per-byte system
 * calls), and output is gathered until netio_flush.
 *
 * Time is bounded per unit of work, not only per read (slowloris): a
 * whole line must arrive within timeout seconds of netio_getline's call,
 * however the peer spreads its bytes, and a caller can set a deadline for
 * a longer exchange (SMTP DATA) with netio_deadline.  Over-long lines are
 * not read for ever: at most NETIO_DISCARD_MAX octets past the limit are
 * thrown away looking for the line's end.
 */
#ifndef SLUICE_NETIO_H
#define SLUICE_NETIO_H

#include <stddef.h>
#include <openssl/ssl.h>

#define NETIO_BUFSIZE 16384
#define NETIO_DISCARD_MAX (2UL << 20)	/* 2 MiB */

enum { NETIO_OK = 0, NETIO_EOF = -1, NETIO_TIMEOUT = -2, NETIO_ERR = -3,
	NETIO_TOOLONG = -4, NETIO_OVERFLOW = -5 };

struct netio {
	int rfd, wfd;
	SSL *ssl;
	unsigned int timeout;		/* seconds */
	unsigned long long deadline;	/* now_ms() time no read waits past; 0 none */
	char rbuf[NETIO_BUFSIZE];
	size_t rpos, rlen;
	char wbuf[NETIO_BUFSIZE];
	size_t wlen;
	int werr;			/* a write failed: all later writes fail */
};

void netio_init(struct netio *n, int rfd, int wfd, unsigned int timeout);

/* Read one line ending in LF into line[0..max); *len gets its length
 * including the LF (and any CR before it).  NETIO_OK, NETIO_EOF (no
 * data; a final line without LF is also reported as EOF), NETIO_TIMEOUT
 * (no whole line within timeout seconds, or past the deadline),
 * NETIO_ERR, NETIO_TOOLONG: the line was longer than max; the rest of it
 * up to and including its LF has been read and thrown away, or
 * NETIO_OVERFLOW: longer than max + NETIO_DISCARD_MAX, no end in sight
 * (the stream cannot be resynchronised: hang up). */
int netio_getline(struct netio *n, char *line, size_t max, size_t *len);
/* Read up to len bytes (at least 1).  >0 bytes, or NETIO_EOF/TIMEOUT/ERR */
long netio_read(struct netio *n, char *buf, size_t len);
/* Zero-copy reading for parsers that must not read past their end
 * marker (SMTP DATA: pipelined commands after "." stay buffered):
 * netio_peek points *p at the buffered input, reading more first when
 * none is buffered; returns the number of bytes (>0) or NETIO_EOF/
 * TIMEOUT/ERR.  netio_consume then takes len <= that many. */
long netio_peek(struct netio *n, const char **p);
void netio_consume(struct netio *n, size_t len);
/* bytes already buffered and not yet consumed (pipelining checks) */
size_t netio_pending(struct netio *n);
/* throw buffered input away (STARTTLS: plaintext sent ahead is ignored) */
void netio_discard(struct netio *n);
/* No read waits past deadline_ms (a now_ms() time; 0 removes the
 * deadline): past it, reads give NETIO_TIMEOUT.  The caller may move it
 * on as work gets done (DATA: a base time plus a minimum rate). */
void netio_deadline(struct netio *n, unsigned long long deadline_ms);
/* wait up to ms milliseconds for input: 1 readable, 0 not, -1 error */
int netio_wait_input(struct netio *n, int ms);

int netio_put(struct netio *n, const char *buf, size_t len);	/* 0/-1 */
int netio_puts(struct netio *n, const char *s);			/* 0/-1 */
int netio_flush(struct netio *n);				/* 0/-1 */

/* Switch to TLS.  Server: call after the "ready to start TLS" reply was
 * flushed; buffered plaintext is discarded first.  Client: host is for SNI
 * and, when verify is set, checked against the certificate (verify without
 * a host is refused).
 * 0 ok, -1 failure with *err a one-line reason. */
int netio_starttls_server(struct netio *n, SSL_CTX *ctx, const char **err);
int netio_starttls_client(struct netio *n, SSL_CTX *ctx, const char *host,
    int verify, const char **err);
/* close the TLS session politely (no effect without TLS) */
void netio_tls_shutdown(struct netio *n);

#endif
