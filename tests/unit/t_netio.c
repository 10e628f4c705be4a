/*
 * t_netio.c -- unit tests for lib/netio.c over socketpairs: lines split
 * across reads, over-long lines, timeouts, EOF, buffered output, and a TLS
 * round trip with a throwaway self-signed certificate (when the openssl
 * command is available).
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netio.h"
#include "sysutil.h"
#include "tlsw.h"
#include "tap.h"

static void
lines(void)
{
	int sv[2];
	struct netio n;
	char line[16];
	size_t len;
	char big[100];

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	netio_init(&n, sv[0], sv[0], 1);
	CHECK(write(sv[1], "HELO a\r\nNO", 10) == 10, "write");
	CHECK(netio_getline(&n, line, sizeof line, &len) == NETIO_OK && len == 8 &&
	    !memcmp(line, "HELO a\r\n", 8), "first line");
	CHECK(netio_pending(&n) == 2, "pending counts buffered bytes");
	CHECK(write(sv[1], "OP\r\n", 4) == 4, "write rest");
	CHECK(netio_getline(&n, line, sizeof line, &len) == NETIO_OK && len == 6 &&
	    !memcmp(line, "NOOP\r\n", 6), "line split across reads");
	memset(big, 'a', sizeof big);
	big[sizeof big - 1] = '\n';
	CHECK(write(sv[1], big, sizeof big) == sizeof big, "write long");
	CHECK(write(sv[1], "QUIT\r\n", 6) == 6, "write after long");
	CHECK(netio_getline(&n, line, sizeof line, &len) == NETIO_TOOLONG, "too long");
	CHECK(netio_getline(&n, line, sizeof line, &len) == NETIO_OK &&
	    !memcmp(line, "QUIT\r\n", 6), "resync after long line");
	CHECK(netio_getline(&n, line, sizeof line, &len) == NETIO_TIMEOUT, "timeout");
	CHECK(netio_put(&n, "250 ok\r\n", 8) == 0 && netio_flush(&n) == 0, "put+flush");
	CHECK(read(sv[1], big, sizeof big) == 8 && !memcmp(big, "250 ok\r\n", 8), "peer got it");
	{
		const char *p;
		CHECK(write(sv[1], "abc.\r\nQUIT\n", 11) == 11, "write for peek");
		CHECK(netio_peek(&n, &p) == 11 && !memcmp(p, "abc.", 4), "peek sees buffered input");
		netio_consume(&n, 6);
		CHECK(netio_peek(&n, &p) == 5 && !memcmp(p, "QUIT", 4), "consume leaves the rest");
		netio_consume(&n, 100);
		CHECK(netio_pending(&n) == 0, "consume is bounded by what is buffered");
	}
	CHECK(write(sv[1], "part", 4) == 4, "partial line");
	close(sv[1]);
	CHECK(netio_getline(&n, line, sizeof line, &len) == NETIO_EOF, "EOF mid-line");
	close(sv[0]);
}

static void
tls(void)
{
	char dir[] = "/tmp/t_netio.XXXXXX";
	char cmd[1024], cert[64], key[64];
	const char *err = "";
	SSL_CTX *sctx, *cctx;
	int sv[2];
	pid_t pid;
	struct netio n;
	char line[64];
	size_t len;
	int status;

	if (!mkdtemp(dir)) {
		CHECK(0, "mkdtemp");
		return;
	}
	snprintf(cert, sizeof cert, "%s/cert.pem", dir);
	snprintf(key, sizeof key, "%s/key.pem", dir);
	snprintf(cmd, sizeof cmd, "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=test "
	    "-days 1 -keyout %s -out %s >/dev/null 2>&1", key, cert);
	if (system(cmd) != 0) {
		printf("ok - # SKIP no openssl command\n");
		return;
	}
	sctx = tls_server_ctx(cert, key, &err);
	CHECK(sctx != 0, "server context");
	cctx = tls_client_ctx(0, 0, &err);
	CHECK(cctx != 0, "client context");
	CHECK(tls_server_ctx(cert, cert, &err) == 0, "bad key refused");
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	signal(SIGPIPE, SIG_IGN);
	pid = fork();
	if (pid == 0) {
		struct netio c;
		close(sv[0]);
		netio_init(&c, sv[1], sv[1], 5);
		if (netio_starttls_client(&c, cctx, "test", 0, &err) < 0)
			_exit(2);
		netio_puts(&c, "hello over tls\r\n");
		netio_flush(&c);
		if (netio_getline(&c, line, sizeof line, &len) != NETIO_OK ||
		    memcmp(line, "bye\r\n", 5))
			_exit(3);
		netio_tls_shutdown(&c);
		_exit(0);
	}
	close(sv[1]);
	netio_init(&n, sv[0], sv[0], 5);
	CHECK(netio_starttls_server(&n, sctx, &err) == 0, "server handshake");
	CHECK(netio_getline(&n, line, sizeof line, &len) == NETIO_OK &&
	    len == 16 && !memcmp(line, "hello over tls\r\n", 16), "line over TLS");
	tls_describe(n.ssl, line, sizeof line);
	CHECK(!strncmp(line, "TLSv1.", 6), "describe names the version");
	CHECK(netio_puts(&n, "bye\r\n") == 0 && netio_flush(&n) == 0, "reply over TLS");
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "client saw the reply");
	netio_tls_shutdown(&n);
	close(sv[0]);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	CHECK(system(cmd) == 0, "cleanup");
}

/* a child writes n octets of c, one every ms milliseconds (slowloris),
 * or all at once in blocks when ms is 0 */
static pid_t
trickle(int fd, char c, size_t n, int ms)
{
	pid_t pid = fork();

	if (pid == 0) {
		static char block[65536];
		size_t i, step = ms ? 1 : sizeof block;

		signal(SIGPIPE, SIG_IGN);
		memset(block, c, sizeof block);
		for (i = 0; i < n; i += step) {
			if (write(fd, block, step) != (ssize_t)step)
				_exit(0);
			if (ms)
				usleep((useconds_t)ms * 1000);
		}
		_exit(0);
	}
	return pid;
}

static void
bounded(void)
{
	int sv[2];
	struct netio n;
	char line[16];
	size_t len;
	pid_t pid;
	unsigned long long t;

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	netio_init(&n, sv[0], sv[0], 1);
	/* one octet every 200 ms: every read is in time, the line is not */
	pid = trickle(sv[1], 'x', 15, 200);
	t = now_ms();
	CHECK(netio_getline(&n, line, sizeof line, &len) == NETIO_TIMEOUT &&
	    now_ms() - t < 1900, "a trickled line times out as a whole");
	kill(pid, SIGKILL);
	waitpid(pid, 0, 0);
	netio_discard(&n);
	/* an endless line: not read for ever */
	pid = trickle(sv[1], 'y', 2 * NETIO_DISCARD_MAX, 0);
	CHECK(netio_getline(&n, line, sizeof line, &len) == NETIO_OVERFLOW,
	    "an endless line is given up after NETIO_DISCARD_MAX");
	kill(pid, SIGKILL);
	waitpid(pid, 0, 0);
	/* a deadline cuts reads short (a fresh pair: the old one is full) */
	close(sv[0]);
	close(sv[1]);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	netio_init(&n, sv[0], sv[0], 1);
	netio_deadline(&n, now_ms() + 300);
	t = now_ms();
	CHECK(netio_read(&n, line, sizeof line) == NETIO_TIMEOUT &&
	    now_ms() - t < 900, "reads stop at the deadline");
	netio_deadline(&n, 0);
	close(sv[0]);
	close(sv[1]);
}

int
main(void)
{
	lines();
	bounded();
	tls();
	return TAP_DONE();
}
