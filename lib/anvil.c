/*
 * anvil.c -- the client side of the counter service and the request
 * splitter it shares with sluice-anvil; see anvil.h.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "anvil.h"
#include "control.h"
#include "sysutil.h"

int
anvil_connect(void)
{
	struct sockaddr_un sun;
	struct pollfd p;
	int fd, err = 0;
	socklen_t el = sizeof err;

	if (instance_sockaddr(&sun, ANVIL_SOCKET) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0)
		return fd;
	if (errno == EINPROGRESS || errno == EAGAIN) {
		p.fd = fd;
		p.events = POLLOUT;
		if (poll(&p, 1, ANVIL_TIMEOUT_MS) == 1 &&
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 &&
		    !err)
			return fd;
		errno = err ? err : ETIMEDOUT;
	}
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

/* wait until fd is ready for events, until deadline (ms); 1 ready */
static int
wait_fd(int fd, short events, unsigned long long deadline)
{
	struct pollfd p;
	unsigned long long now;
	int r;

	for (;;) {
		now = now_ms();
		if (now >= deadline) {
			errno = ETIMEDOUT;
			return 0;
		}
		p.fd = fd;
		p.events = events;
		r = poll(&p, 1, (int)(deadline - now));
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return 0;
	}
}

int
anvil_ask(int fd, const char *req, char *reply, size_t replymax)
{
	char line[ANVIL_LINE_MAX];
	size_t len = strlen(req), got = 0;
	unsigned long long deadline = now_ms() + ANVIL_TIMEOUT_MS;
	ssize_t r;

	if (len + 1 > sizeof line || replymax < 2)
		return -1;
	memcpy(line, req, len);
	line[len++] = '\n';
	if (!wait_fd(fd, POLLOUT, deadline) ||
	    send(fd, line, len, MSG_NOSIGNAL) != (ssize_t)len)
		return -1;
	for (;;) {
		if (!wait_fd(fd, POLLIN, deadline))
			return -1;
		r = read(fd, reply + got, replymax - 1 - got);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
		if (memchr(reply, '\n', got))
			break;
		if (got >= replymax - 1)
			return -1;
	}
	reply[got] = 0;
	*strchr(reply, '\n') = 0;
	return 0;
}

int
anvil_words(char *line, char **w, int max)
{
	int n = 0;
	char *p = line;

	for (;;) {
		char *start;

		while (*p == ' ')
			p++;
		if (!*p)
			return n;
		start = p;
		while (*p && *p != ' ') {
			if ((unsigned char)*p < 33 || (unsigned char)*p > 126)
				return -1;
			p++;
		}
		if (p - start > ANVIL_KEY_MAX || n == max)
			return -1;
		w[n++] = start;
		if (*p)
			*p++ = 0;
	}
}
