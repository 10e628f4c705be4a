/*
 * relay.c -- process A of sluice-pop3d after a good login: copy the
 * client's bytes (plain or TLS) to the mailbox process B and B's bytes
 * back, until either side closes.  A keeps the idle timer: when neither
 * side says anything for timeoutpop3d seconds the connection is closed
 * without a reply and without UPDATE (RFC 1939 autologout).
 *
 * Runs as sluiced; touches nothing but the two sockets.
 */
#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include "pop3d.h"
#include "netio.h"
#include "sysutil.h"

#define RELAY_BUF 65536

static char buf[RELAY_BUF];

static void relay_end(struct netio *, int) __attribute__((noreturn));

static void
relay_end(struct netio *client, int code)
{
	netio_flush(client);
	netio_tls_shutdown(client);
	_exit(code);
}

/* client -> B: everything netio holds or can read now */
static void
client_to_mbox(struct netio *client, int mbox)
{
	long k = netio_read(client, buf, sizeof buf);

	if (k <= 0)
		_exit(0);	/* client gone: B sees EOF, deletes nothing */
	if (write_all(mbox, buf, (size_t)k) < 0)
		relay_end(client, 0);
}

/* B -> client */
static void
mbox_to_client(struct netio *client, int mbox)
{
	ssize_t k = read(mbox, buf, sizeof buf);

	if (k < 0 && errno == EINTR)
		return;
	if (k <= 0)
		relay_end(client, 0);	/* B finished (QUIT) or died */
	if (netio_put(client, buf, (size_t)k) < 0 || netio_flush(client) < 0)
		_exit(0);
}

static int
client_buffered(struct netio *client)
{
	return netio_pending(client) > 0 ||
	    (client->ssl && SSL_pending(client->ssl) > 0);
}

void
relay_run(struct netio *client, int mbox, unsigned long timeout)
{
	struct pollfd p[2];
	int r;

	while (client_buffered(client))
		client_to_mbox(client, mbox);
	for (;;) {
		p[0].fd = client->rfd;
		p[0].events = POLLIN;
		p[1].fd = mbox;
		p[1].events = POLLIN;
		p[0].revents = p[1].revents = 0;
		r = poll(p, 2, client_buffered(client) ? 0 :
		    (int)(timeout * 1000));
		if (r < 0 && errno != EINTR)
			relay_end(client, 0);
		if (r == 0 && !client_buffered(client))
			_exit(0);	/* idle: autologout, no UPDATE */
		if (p[1].revents)
			mbox_to_client(client, mbox);
		if (p[0].revents || client_buffered(client))
			client_to_mbox(client, mbox);
	}
}
