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
#include "control.h"
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

/* 127.0.0.0/8, ::1, and ::ffff:127.0.0.0/104: always this host */
static int
loopback(const struct ipaddr *ip)
{
	static const unsigned char v6lo[16] = { [15] = 1 };
	static const unsigned char mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (ip->family == 4)
		return ip->a[0] == 127;
	if (!memcmp(ip->a, v6lo, 16))
		return 1;
	return !memcmp(ip->a, mapped, 12) && ip->a[12] == 127;
}

static int iflist_forget, listen_forget, notipme_forget;

static int
on_interface(const struct ipaddr *ip)
{
	static struct ifaddrs *list;
	struct ifaddrs *i;
	int found = 0;

	if (iflist_forget && list) {
		freeifaddrs(list);
		list = 0;
	}
	iflist_forget = 0;
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

/* an address this instance's servers listen on (control/listen lines
 * "NAME IP PORT"): 1, 0, -1 error */
static int
on_listener(const struct ipaddr *ip)
{
	static stralloc lines;
	static int loaded;
	size_t i = 0;

	if (listen_forget)
		loaded = listen_forget = 0;
	if (!loaded) {
		if (control_read_lines("listen", &lines) < 0)
			return -1;
		loaded = 1;
	}
	while (i < lines.len) {
		const char *l = lines.s + i, *w = l;
		size_t n = strlen(l);
		struct ipaddr a;

		while (*w && *w != ' ' && *w != '\t')
			w++;
		while (*w == ' ' || *w == '\t')
			w++;
		if (ip_parse(w, strcspn(w, " \t"), &a) &&
		    cidr_match(&(struct cidr){ a, a.family == 6 ? 128 : 32 }, ip))
			return 1;
		i += n + 1;
	}
	return 0;
}

/* the notipme setting: addresses the admin says are another host */
static int
not_me(const struct ipaddr *ip)
{
	static stralloc list;
	static int loaded;
	const char *p;

	if (notipme_forget)
		loaded = notipme_forget = 0;
	if (!loaded) {
		if (control_get_str("notipme", &list) < 0)
			return -1;
		loaded = 1;
	}
	for (p = list.s; p && *p; ) {
		size_t len = strcspn(p, ",");
		struct cidr c;

		if (cidr_parse(p, len, &c) && cidr_match(&c, ip))
			return 1;
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

/* what on_interface, on_listener and not_me read is read again when
 * it is older than a minute (a delivery worker lives for many jobs) */
static void
forget_if_old(void)
{
	static unsigned long long at;
	unsigned long long now = now_ms();

	if (at && now - at < 60000)
		return;
	at = now;
	iflist_forget = listen_forget = notipme_forget = 1;
}

int
ip_is_local(const struct ipaddr *ip)
{
	int r;

	forget_if_old();
	if (unspecified(ip))
		return 1;
	if ((r = on_listener(ip)) != 0)
		return r;
	if ((r = not_me(ip)) != 0)
		return r < 0 ? -1 : 0;
	if (loopback(ip))
		return 1;
	return on_interface(ip);
}
