/*
 * relay.c -- process A of sluice-pop3d after a good login: copy the
 * client's bytes (plain or TLS) to the mailbox process B and B's bytes
 * back, until either side closes.  A keeps the idle timer: when neither
 * side says anything for timeoutpop3d seconds the connection is closed
 * without a reply and without UPDATE (RFC 1939 autologout).
 *
 * The way to B is non-blocking with one buffer of client bytes in
 * flight, and the client is read only when that buffer is empty, so a
 * client that pipelines a lot while B answers a lot cannot wedge A and B
 * writing to each other.  Writes to the client go through netio (with
 * its timeout).
 *
 * Runs as sluiced; touches nothing but the two sockets.
 */
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pop3d.h"
#include "netio.h"
#include "sysutil.h"

#define RELAY_BUF 65536

static char down[RELAY_BUF];	/* B -> client */
static char up[RELAY_BUF];	/* client -> B, waiting to be written */
static size_t uppos, uplen;
static int client_eof;		/* the client sent all it will send */

static void relay_end(struct netio *, int) __attribute__((noreturn));

static void
relay_end(struct netio *client, int code)
{
	netio_flush(client);
	netio_tls_shutdown(client);
	_exit(code);
}

/* client -> up: what netio holds or one read.  At the client's end of
 * input B is told so once everything before it is written; B answers
 * what it got and then ends without UPDATE (unless that was QUIT). */
static void
client_read(struct netio *client, int mbox)
{
	long k = netio_read(client, up, sizeof up);

	if (k == NETIO_EOF) {
		client_eof = 1;
		shutdown(mbox, SHUT_WR);
		return;
	}
	if (k <= 0)
		_exit(0);	/* client gone: B sees EOF, deletes nothing */
	uppos = 0;
	uplen = (size_t)k;
}

/* up -> B, as much as B takes now */
static void
mbox_write(struct netio *client, int mbox)
{
	ssize_t w = write(mbox, up + uppos, uplen - uppos);

	if (w < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return;
		relay_end(client, 0);
	}
	uppos += (size_t)w;
	if (uppos == uplen)
		uppos = uplen = 0;
}

/* B -> client */
static void
mbox_read(struct netio *client, int mbox)
{
	ssize_t k = read(mbox, down, sizeof down);

	if (k < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (k <= 0)
		relay_end(client, 0);	/* B finished (QUIT) or died */
	if (netio_put(client, down, (size_t)k) < 0 || netio_flush(client) < 0)
		_exit(0);
}

static int
client_buffered(struct netio *client)
{
	return netio_pending(client) > 0;
}

void
relay_run(struct netio *client, int mbox, unsigned long timeout)
{
	struct pollfd p[2];
	int r, ready;

	if (fd_nonblock(mbox) < 0)
		relay_end(client, 0);
	for (;;) {
		if (!uplen && !client_eof && client_buffered(client))
			client_read(client, mbox);
		ready = !uplen && !client_eof && client_buffered(client);
		p[0].fd = (uplen || client_eof) ? -1 : client->rfd;
		p[0].events = POLLIN;
		p[1].fd = mbox;
		p[1].events = POLLIN | (uplen ? POLLOUT : 0);
		p[0].revents = p[1].revents = 0;
		r = poll(p, 2, ready ? 0 : (int)(timeout * 1000));
		if (r < 0 && errno != EINTR)
			relay_end(client, 0);
		if (r == 0 && !ready)
			_exit(0);	/* idle: autologout, no UPDATE */
		if (p[1].revents & (POLLOUT | POLLERR))
			mbox_write(client, mbox);
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR))
			mbox_read(client, mbox);
		if (p[0].revents && !uplen && !client_eof)
			client_read(client, mbox);
	}
}
