/*
 * netio.h -- buffered, timed line I/O over a plain descriptor pair or TLS,
 * for the SMTP and POP3 servers and the SMTP client.
 *
 * libowfat's buffer cannot carry a TLS session or a per-read timeout, so
 * this small layer does: every read and write waits at most timeout
 * seconds (poll), input is read in large chunks (no per-byte system
 * calls), and output is gathered until netio_flush.
 */
#ifndef SLUICE_NETIO_H
#define SLUICE_NETIO_H

#include <stddef.h>
#include <openssl/ssl.h>

#define NETIO_BUFSIZE 16384

enum { NETIO_OK = 0, NETIO_EOF = -1, NETIO_TIMEOUT = -2, NETIO_ERR = -3,
	NETIO_TOOLONG = -4 };

struct netio {
	int rfd, wfd;
	SSL *ssl;
	unsigned int timeout;		/* seconds */
	char rbuf[NETIO_BUFSIZE];
	size_t rpos, rlen;
	char wbuf[NETIO_BUFSIZE];
	size_t wlen;
	int werr;			/* a write failed: all later writes fail */
};

void netio_init(struct netio *n, int rfd, int wfd, unsigned int timeout);

/* Read one line ending in LF into line[0..max); *len gets its length
 * including the LF (and any CR before it).  NETIO_OK, NETIO_EOF (no
 * data; a final line without LF is also reported as EOF), NETIO_TIMEOUT,
 * NETIO_ERR, or NETIO_TOOLONG: the line was longer than max; the rest of
 * it up to and including its LF has been read and thrown away. */
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
