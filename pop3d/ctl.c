/*
 * ctl.c -- messages between the front (A) and the parent (P) of
 * sluice-pop3d over a SOCK_SEQPACKET pair, optionally carrying one
 * descriptor (SCM_RIGHTS).  Message boundaries come from the socket
 * type; a message longer than the receiver's buffer is an error.
 * ctl_split_login is the pure parser of A's login request, which P runs
 * on bytes a compromised A could have chosen.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "pop3d.h"

int
ctl_send(int sock, const char *buf, size_t len, int passfd)
{
	struct msghdr m;
	struct iovec iov;
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	ssize_t r;

	memset(&m, 0, sizeof m);
	iov.iov_base = (void *)buf;
	iov.iov_len = len;
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	if (passfd >= 0) {
		struct cmsghdr *c;

		memset(&u, 0, sizeof u);
		m.msg_control = u.b;
		m.msg_controllen = sizeof u.b;
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &passfd, sizeof(int));
	}
	do
		r = sendmsg(sock, &m, MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	return r == (ssize_t)len ? 0 : -1;
}

ssize_t
ctl_recv(int sock, char *buf, size_t max, int *fd)
{
	struct msghdr m;
	struct iovec iov;
	struct cmsghdr *c;
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	ssize_t r;

	*fd = -1;
	memset(&m, 0, sizeof m);
	iov.iov_base = buf;
	iov.iov_len = max;
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = u.b;
	m.msg_controllen = sizeof u.b;
	do
		r = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -1;
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(fd, CMSG_DATA(c), sizeof(int));
	if (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		errno = EMSGSIZE;
		return -1;
	}
	return r;
}

int
ctl_split_login(char *msg, size_t len, char **user, char **pass)
{
	char *z1, *z2;

	if (len < 4 || msg[0] != 'A' || msg[len - 1] != 0)
		return 0;
	z1 = memchr(msg + 1, 0, len - 1);
	if (!z1 || z1 == msg + 1 || z1 == msg + len - 1)
		return 0;
	z2 = memchr(z1 + 1, 0, (size_t)(msg + len - z1 - 1));
	if (z2 != msg + len - 1 || z2 == z1 + 1)
		return 0;
	*user = msg + 1;
	*pass = z1 + 1;
	return 1;
}
