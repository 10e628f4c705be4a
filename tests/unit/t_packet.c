/*
 * t_packet.c -- unit tests for the packet transport (lib/packet.c):
 * descriptor passing, extra descriptors closed, truncation refused,
 * empty packets refused, EOF, the nonblocking variants.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "packet.h"
#include "tap.h"

/* a descriptor number that is open: 1, closed: 0 */
static int
is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/* how many descriptors this process has open */
static int
nopen(void)
{
	int n = 0, fd;

	for (fd = 0; fd < 1024; fd++)
		n += is_open(fd);
	return n;
}

/* send a packet with two descriptors, as a hostile peer could */
static int
send_two(int sock, int a, int b)
{
	struct msghdr m;
	struct iovec iov;
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(2 * sizeof(int))];
	} ctl;
	struct cmsghdr *c;
	int two[2] = { a, b };

	memset(&m, 0, sizeof m);
	memset(&ctl, 0, sizeof ctl);
	iov.iov_base = "xy";
	iov.iov_len = 2;
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = ctl.space;
	m.msg_controllen = sizeof ctl.space;
	c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(2 * sizeof(int));
	memcpy(CMSG_DATA(c), two, sizeof two);
	return sendmsg(sock, &m, 0) == 2 ? 0 : -1;
}

static void
fds(void)
{
	int sv[2], fd = -1, pfd[2], q[2], before;
	char buf[64];
	long n;

	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0, "socketpair");
	CHECK(pipe(pfd) == 0, "pipe");
	CHECK(packet_send(sv[0], "hello", 5, pfd[0]) == 0, "send with fd");
	CHECK(packet_send(sv[0], "world!", 6, -1) == 0, "send without fd");
	n = packet_recv(sv[1], buf, sizeof buf, &fd);
	CHECK(n == 5 && !memcmp(buf, "hello", 5) && fd >= 0, "receive with fd");
	CHECK(fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC), "received fd is close-on-exec");
	CHECK(write(pfd[1], "z", 1) == 1, "write pipe");
	CHECK(fd >= 0 && read(fd, buf, 1) == 1 && buf[0] == 'z', "passed fd works");
	if (fd >= 0)
		close(fd);
	n = packet_recv(sv[1], buf, sizeof buf, &fd);
	CHECK(n == 6 && fd == -1 && !memcmp(buf, "world!", 6), "receive without fd");

	/* a descriptor nobody asked for is closed */
	CHECK(packet_send(sv[0], "abc", 3, pfd[0]) == 0, "send unasked fd");
	before = nopen();
	n = packet_recv(sv[1], buf, sizeof buf, NULL);
	CHECK(n == 3 && nopen() == before, "unasked fd closed");

	/* two descriptors: the first kept, the second closed */
	CHECK(pipe(q) == 0, "second pipe");
	CHECK(send_two(sv[0], pfd[0], q[0]) == 0, "send two fds");
	before = nopen();
	n = packet_recv(sv[1], buf, sizeof buf, &fd);
	CHECK(n == 2 && fd >= 0, "two fds: packet and one fd");
	CHECK(nopen() == before + 1, "two fds: the extra one closed");
	if (fd >= 0)
		close(fd);
	close(q[0]);
	close(q[1]);
	close(sv[0]);
	close(sv[1]);
	close(pfd[0]);
	close(pfd[1]);
}

static void
truncation(void)
{
	int sv[2], fd = -1, pfd[2], before;
	char buf[64];
	long n;

	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0, "socketpair");
	CHECK(pipe(pfd) == 0, "pipe");
	CHECK(packet_send(sv[0], "0123456789", 10, -1) == 0, "send 10");
	errno = 0;
	n = packet_recv(sv[1], buf, 4, &fd);
	CHECK(n < 0 && errno == EMSGSIZE && fd == -1, "truncated packet refused");
	CHECK(packet_send(sv[0], "0123456789", 10, pfd[0]) == 0, "send 10 with fd");
	before = nopen();
	n = packet_recv(sv[1], buf, 9, &fd);
	CHECK(n < 0 && errno == EMSGSIZE && fd == -1 && nopen() == before,
	    "truncated packet's fd closed");
	CHECK(packet_send(sv[0], "0123456789", 10, -1) == 0, "send exactly max");
	n = packet_recv(sv[1], buf, 10, &fd);
	CHECK(n == 10, "a packet of exactly max bytes is whole");
	errno = 0;
	CHECK(packet_send(sv[0], "", 0, -1) < 0 && errno == EINVAL,
	    "empty packet refused");
	close(sv[0]);
	close(sv[1]);
	close(pfd[0]);
	close(pfd[1]);
}

static void
eof_and_nonblocking(void)
{
	int sv[2], fd = -1;
	char buf[64];
	long n;
	int i;

	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0, "socketpair");
	errno = 0;
	n = packet_tryrecv(sv[1], buf, sizeof buf, &fd);
	CHECK(n < 0 && errno == EAGAIN, "tryrecv: nothing waiting");
	CHECK(packet_trysend(sv[0], "now", 3, -1) == 0, "trysend");
	n = packet_tryrecv(sv[1], buf, sizeof buf, &fd);
	CHECK(n == 3 && !memcmp(buf, "now", 3), "tryrecv gets it");
	for (i = 0; i < 100000; i++)
		if (packet_trysend(sv[0], buf, sizeof buf, -1) < 0)
			break;
	CHECK(i < 100000 && errno == EAGAIN, "trysend: full buffer is EAGAIN");
	close(sv[1]);
	errno = 0;
	CHECK(packet_send(sv[0], "x", 1, -1) < 0 &&
	    (errno == EPIPE || errno == ECONNRESET),
	    "send to a closed peer: an error, no SIGPIPE");
	close(sv[0]);

	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0, "socketpair");
	CHECK(packet_send(sv[0], "last", 4, -1) == 0, "send before close");
	close(sv[0]);
	n = packet_recv(sv[1], buf, sizeof buf, &fd);
	CHECK(n == 4, "packet sent before close arrives");
	n = packet_recv(sv[1], buf, sizeof buf, &fd);
	CHECK(n == 0 && fd == -1, "EOF when peer closes");
	close(sv[1]);
}

int
main(void)
{
	fds();
	truncation();
	eof_and_nonblocking();
	return TAP_DONE();
}
