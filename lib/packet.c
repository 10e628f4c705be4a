/*
 * packet.c -- whole packets with an optional descriptor over a unix
 * SOCK_SEQPACKET or SOCK_DGRAM socket (packet.h has the contract).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "packet.h"

/* room for a few descriptors, so that a peer sending more than one gets
 * them closed rather than the packet refused as MSG_CTRUNC */
#define PACKET_FDS_MAX	4

static int
send_flags(int sock, const void *buf, size_t len, int fd, int flags)
{
	struct msghdr m;
	struct iovec iov;
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int))];
	} ctl;
	ssize_t w;

	if (len == 0) {
		errno = EINVAL;
		return -1;
	}
	memset(&m, 0, sizeof m);
	iov.iov_base = (void *)buf;
	iov.iov_len = len;
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	if (fd >= 0) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof ctl);
		m.msg_control = ctl.space;
		m.msg_controllen = sizeof ctl.space;
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	do
		w = sendmsg(sock, &m, MSG_NOSIGNAL | flags);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return -1;
	if ((size_t)w != len) {		/* not a packet socket */
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

static long
recv_flags(int sock, void *buf, size_t max, int *fd, int flags)
{
	struct msghdr m;
	struct iovec iov;
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int) * PACKET_FDS_MAX)];
	} ctl;
	struct cmsghdr *c;
	ssize_t r;
	int got = -1;

	if (fd)
		*fd = -1;
	memset(&m, 0, sizeof m);
	iov.iov_base = buf;
	iov.iov_len = max;
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = ctl.space;
	m.msg_controllen = sizeof ctl.space;
	do
		r = recvmsg(sock, &m, MSG_CMSG_CLOEXEC | flags);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -1;
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		size_t k, nfd;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (k = 0; k < nfd; k++) {
			int one;

			memcpy(&one, CMSG_DATA(c) + k * sizeof(int), sizeof(int));
			if (fd && got < 0)
				got = one;
			else
				close(one);
		}
	}
	if (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		if (got >= 0)
			close(got);
		errno = EMSGSIZE;
		return -1;
	}
	if (fd)
		*fd = got;
	return (long)r;
}

int
packet_send(int sock, const void *buf, size_t len, int fd)
{
	return send_flags(sock, buf, len, fd, 0);
}

int
packet_trysend(int sock, const void *buf, size_t len, int fd)
{
	return send_flags(sock, buf, len, fd, MSG_DONTWAIT);
}

long
packet_recv(int sock, void *buf, size_t max, int *fd)
{
	return recv_flags(sock, buf, max, fd, 0);
}

long
packet_tryrecv(int sock, void *buf, size_t max, int *fd)
{
	return recv_flags(sock, buf, max, fd, MSG_DONTWAIT);
}
