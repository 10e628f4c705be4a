/*
 * connect.c -- timed TCP connect and local address test (connect.h).
 */
#include <errno.h>
#include <ifaddrs.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "connect.h"
#include "sysutil.h"

static socklen_t
to_sockaddr(const struct ipaddr *ip, unsigned int port,
    struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof *ss);
	if (ip->family == 6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((unsigned short)port);
		memcpy(&s6->sin6_addr, ip->a, 16);
		return sizeof *s6;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((unsigned short)port);
		memcpy(&s4->sin_addr, ip->a, 4);
		return sizeof *s4;
	}
}

static int
wait_connected(int fd, unsigned int timeout_s)
{
	struct pollfd p;
	int r, err = 0;
	socklen_t len = sizeof err;
	unsigned long long deadline = now_ms() + (unsigned long long)timeout_s * 1000;

	p.fd = fd;
	p.events = POLLOUT;
	for (;;) {
		unsigned long long now = now_ms();
		if (now >= deadline) {
			errno = ETIMEDOUT;
			return -1;
		}
		r = poll(&p, 1, (int)(deadline - now));
		if (r > 0)
			break;
		if (r == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (errno != EINTR)
			return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return -1;
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

int
tcp_connect(const struct ipaddr *ip, unsigned int port, unsigned int timeout_s)
{
	struct sockaddr_storage ss;
	socklen_t sl = to_sockaddr(ip, port, &ss);
	int fd, one = 1;

	fd = socket(ip->family == 6 ? AF_INET6 : AF_INET,
	    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 &&
	    (errno != EINPROGRESS || wait_connected(fd, timeout_s) < 0)) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (fd_blocking(fd) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
unspecified(const struct ipaddr *ip)
{
	size_t i, n = ip->family == 6 ? 16 : 4;

	for (i = 0; i < n; i++)
		if (ip->a[i])
			return 0;
	return 1;
}

int
ip_is_local(const struct ipaddr *ip)
{
	/* read once per process: a delivery is one short-lived child */
	static struct ifaddrs *list;
	struct ifaddrs *i;
	int found = 0;

	if (unspecified(ip))
		return 1;
	if (!list && getifaddrs(&list) < 0) {
		list = 0;
		return -1;
	}
	for (i = list; i && !found; i = i->ifa_next) {
		const struct sockaddr *sa = i->ifa_addr;

		if (!sa)
			continue;
		if (sa->sa_family == AF_INET && ip->family == 4)
			found = !memcmp(&((const struct sockaddr_in *)sa)->sin_addr,
			    ip->a, 4);
		else if (sa->sa_family == AF_INET6 && ip->family == 6)
			found = !memcmp(&((const struct sockaddr_in6 *)sa)->sin6_addr,
			    ip->a, 16);
	}
	return found;
}
