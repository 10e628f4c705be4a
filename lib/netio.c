/*
 * netio.c -- timed, buffered line I/O over plain descriptors or TLS
 * (netio.h).  Descriptors stay blocking; every read and write is preceded
 * by a poll bounded by the timeout, and TLS uses the same descriptors, so
 * SSL_read/SSL_write are retried after poll on WANT_READ/WANT_WRITE.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "netio.h"
#include "sysutil.h"

void
netio_init(struct netio *n, int rfd, int wfd, unsigned int timeout)
{
	n->rfd = rfd;
	n->wfd = wfd;
	n->ssl = 0;
	n->timeout = timeout;
	n->deadline = 0;
	n->rpos = n->rlen = 0;
	n->wlen = 0;
	n->werr = 0;
}

/* wait until fd is ready for events: 1 ready, 0 timeout, -1 error */
static int
wait_fd(int fd, short events, int ms)
{
	struct pollfd p;
	int r;

	p.fd = fd;
	p.events = events;
	do
		r = poll(&p, 1, ms);
	while (r < 0 && errno == EINTR);
	return r;
}

static int
timeout_ms(struct netio *n)
{
	return (int)n->timeout * 1000;
}

void
netio_deadline(struct netio *n, unsigned long long deadline_ms)
{
	n->deadline = deadline_ms;
}

/* how long a read may wait: the timeout, cut at the deadline; -1 when
 * the deadline has passed */
static int
read_wait_ms(struct netio *n)
{
	unsigned long long now;
	int ms = timeout_ms(n);

	if (!n->deadline)
		return ms;
	now = now_ms();
	if (now >= n->deadline)
		return -1;
	if (n->deadline - now < (unsigned long long)ms)
		ms = (int)(n->deadline - now);
	return ms;
}

/* one read from the peer into buf: >0, or NETIO_EOF/TIMEOUT/ERR */
static long
raw_read(struct netio *n, char *buf, size_t len)
{
	for (;;) {
		int ms = read_wait_ms(n);

		if (ms < 0)
			return NETIO_TIMEOUT;
		if (n->ssl) {
			int r, e;

			if (!SSL_pending(n->ssl)) {
				int w = wait_fd(n->rfd, POLLIN, ms);
				if (w == 0)
					return NETIO_TIMEOUT;
				if (w < 0)
					return NETIO_ERR;
			}
			ERR_clear_error();
			r = SSL_read(n->ssl, buf, (int)(len > 65536 ? 65536 : len));
			if (r > 0)
				return r;
			e = SSL_get_error(n->ssl, r);
			if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
				continue;
			if (e == SSL_ERROR_ZERO_RETURN)
				return NETIO_EOF;
			return (e == SSL_ERROR_SYSCALL && r == 0) ? NETIO_EOF : NETIO_ERR;
		} else {
			ssize_t r;
			int w = wait_fd(n->rfd, POLLIN, ms);

			if (w == 0)
				return NETIO_TIMEOUT;
			if (w < 0)
				return NETIO_ERR;
			r = read(n->rfd, buf, len);
			if (r > 0)
				return (long)r;
			if (r == 0)
				return NETIO_EOF;
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return NETIO_ERR;
		}
	}
}

static int
fill(struct netio *n)
{
	long r;

	if (n->rpos == n->rlen)
		n->rpos = n->rlen = 0;
	if (n->rpos && n->rlen == sizeof n->rbuf) {
		memmove(n->rbuf, n->rbuf + n->rpos, n->rlen - n->rpos);
		n->rlen -= n->rpos;
		n->rpos = 0;
	}
	r = raw_read(n, n->rbuf + n->rlen, sizeof n->rbuf - n->rlen);
	if (r < 0)
		return (int)r;
	n->rlen += (size_t)r;
	return NETIO_OK;
}

/* the line up to its LF, or what is buffered; 1 when the LF was seen */
static int
line_part(struct netio *n, char *line, size_t max, size_t *got,
    size_t *dropped)
{
	char *start = n->rbuf + n->rpos;
	size_t avail = n->rlen - n->rpos;
	char *lf = memchr(start, '\n', avail);
	size_t take = lf ? (size_t)(lf - start) + 1 : avail;

	if (!*dropped && *got + take <= max) {
		memcpy(line + *got, start, take);
		*got += take;
	} else
		*dropped += take;
	n->rpos += take;
	return lf != 0;
}

int
netio_getline(struct netio *n, char *line, size_t max, size_t *len)
{
	unsigned long long outer = n->deadline;
	unsigned long long mine = now_ms() + (unsigned long long)timeout_ms(n);
	size_t got = 0, dropped = 0;
	int r = NETIO_OK;

	*len = 0;
	/* the whole line within timeout, however the bytes trickle in */
	if (!outer || mine < outer)
		n->deadline = mine;
	while (!line_part(n, line, max, &got, &dropped)) {
		if (dropped > NETIO_DISCARD_MAX) {
			r = NETIO_OVERFLOW;
			break;
		}
		r = fill(n);
		if (r < 0)
			break;
	}
	n->deadline = outer;
	if (r < 0)
		return r;
	if (dropped)
		return NETIO_TOOLONG;
	*len = got;
	return NETIO_OK;
}

long
netio_read(struct netio *n, char *buf, size_t len)
{
	size_t avail = n->rlen - n->rpos;

	if (!len)
		return 0;
	if (!avail) {
		/* large reads bypass the buffer */
		if (len >= sizeof n->rbuf)
			return raw_read(n, buf, len);
		int r = fill(n);
		if (r < 0)
			return r;
		avail = n->rlen - n->rpos;
	}
	if (len > avail)
		len = avail;
	memcpy(buf, n->rbuf + n->rpos, len);
	n->rpos += len;
	return (long)len;
}

long
netio_peek(struct netio *n, const char **p)
{
	if (n->rpos == n->rlen) {
		int r = fill(n);
		if (r < 0)
			return r;
	}
	*p = n->rbuf + n->rpos;
	return (long)(n->rlen - n->rpos);
}

void
netio_consume(struct netio *n, size_t len)
{
	if (len > n->rlen - n->rpos)
		len = n->rlen - n->rpos;
	n->rpos += len;
}

size_t
netio_pending(struct netio *n)
{
	return n->rlen - n->rpos + (n->ssl ? (size_t)SSL_pending(n->ssl) : 0);
}

void
netio_discard(struct netio *n)
{
	n->rpos = n->rlen = 0;
}

int
netio_wait_input(struct netio *n, int ms)
{
	if (netio_pending(n))
		return 1;
	return wait_fd(n->rfd, POLLIN, ms);
}

static int
raw_write(struct netio *n, const char *buf, size_t len)
{
	while (len) {
		if (n->ssl) {
			int r, e;

			ERR_clear_error();
			r = SSL_write(n->ssl, buf, (int)(len > 65536 ? 65536 : len));
			if (r > 0) {
				buf += r;
				len -= (size_t)r;
				continue;
			}
			e = SSL_get_error(n->ssl, r);
			if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
				if (wait_fd(e == SSL_ERROR_WANT_WRITE ? n->wfd : n->rfd,
				    e == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN,
				    timeout_ms(n)) <= 0)
					return -1;
				continue;
			}
			return -1;
		} else {
			ssize_t w;

			if (wait_fd(n->wfd, POLLOUT, timeout_ms(n)) <= 0)
				return -1;
			w = write(n->wfd, buf, len);
			if (w < 0) {
				if (errno == EINTR || errno == EAGAIN)
					continue;
				return -1;
			}
			buf += w;
			len -= (size_t)w;
		}
	}
	return 0;
}

int
netio_flush(struct netio *n)
{
	if (n->werr)
		return -1;
	if (n->wlen && raw_write(n, n->wbuf, n->wlen) < 0) {
		n->werr = 1;
		return -1;
	}
	n->wlen = 0;
	return 0;
}

int
netio_put(struct netio *n, const char *buf, size_t len)
{
	if (n->werr)
		return -1;
	if (n->wlen + len > sizeof n->wbuf) {
		if (netio_flush(n) < 0)
			return -1;
		if (len > sizeof n->wbuf) {
			if (raw_write(n, buf, len) < 0) {
				n->werr = 1;
				return -1;
			}
			return 0;
		}
	}
	memcpy(n->wbuf + n->wlen, buf, len);
	n->wlen += len;
	return 0;
}

int
netio_puts(struct netio *n, const char *s)
{
	return netio_put(n, s, strlen(s));
}

static int
handshake(struct netio *n, int server, const char **err)
{
	for (;;) {
		int r, e;

		ERR_clear_error();
		r = server ? SSL_accept(n->ssl) : SSL_connect(n->ssl);
		if (r == 1) {
			int one = 1;

			/* the peer's last handshake flight gets no answer
			 * of ours until its first command, and a client with
			 * Nagle's algorithm holds that command back until
			 * our delayed ACK (40 ms a session): ACK at once.
			 * Not a TCP socket: nothing to do. */
			(void)setsockopt(n->rfd, IPPROTO_TCP, TCP_QUICKACK,
			    &one, sizeof one);
			return 0;
		}
		e = SSL_get_error(n->ssl, r);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			int w = wait_fd(e == SSL_ERROR_WANT_READ ? n->rfd : n->wfd,
			    e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, timeout_ms(n));
			if (w <= 0) {
				*err = "TLS handshake timed out";
				return -1;
			}
			continue;
		}
		*err = server ? "TLS handshake failed" :
		    (SSL_get_verify_result(n->ssl) != X509_V_OK ?
		    "TLS certificate verification failed" : "TLS handshake failed");
		return -1;
	}
}

static int
tls_begin(struct netio *n, SSL_CTX *ctx, const char **err)
{
	if (netio_flush(n) < 0) {
		*err = "write error before TLS";
		return -1;
	}
	n->ssl = SSL_new(ctx);
	if (!n->ssl) {
		*err = "cannot create TLS session";
		return -1;
	}
	if (SSL_set_rfd(n->ssl, n->rfd) != 1 || SSL_set_wfd(n->ssl, n->wfd) != 1) {
		*err = "cannot attach TLS session";
		return -1;
	}
	return 0;
}

int
netio_starttls_server(struct netio *n, SSL_CTX *ctx, const char **err)
{
	netio_discard(n);
	if (tls_begin(n, ctx, err) < 0)
		return -1;
	return handshake(n, 1, err);
}

int
netio_starttls_client(struct netio *n, SSL_CTX *ctx, const char *host,
    int verify, const char **err)
{
	netio_discard(n);
	if (verify && (!host || !*host)) {
		/* a chain check without a name proves nothing about the peer */
		*err = "TLS verification needs a host name";
		return -1;
	}
	if (tls_begin(n, ctx, err) < 0)
		return -1;
	if (host && *host) {
		SSL_set_tlsext_host_name(n->ssl, host);
		if (verify && SSL_set1_host(n->ssl, host) != 1) {
			*err = "cannot set TLS peer name";
			return -1;
		}
	}
	return handshake(n, 0, err);
}

void
netio_tls_shutdown(struct netio *n)
{
	if (!n->ssl)
		return;
	netio_flush(n);
	SSL_shutdown(n->ssl);
	SSL_free(n->ssl);
	n->ssl = 0;
}
