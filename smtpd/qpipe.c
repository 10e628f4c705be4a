/*
 * qpipe.c -- run the queue program and stream a message to it (qpipe.h).
 * posix_spawn (vfork-style in glibc) keeps the per-message cost low.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "qpipe.h"
#include "sysutil.h"

extern char **environ;

#define QID_FD_ENV "SLUICE_QUEUEID_FD=3"
#define NOSIGN_ENV "SLUICE_DKIM=no"

/* our environment (less any SLUICE_DKIM) plus SLUICE_QUEUEID_FD and, for
 * mail that must not be DKIM-signed, SLUICE_DKIM=no.  Built again for
 * each message: a --pool worker gives every session an environment of
 * its own (TCPREMOTEIP, the tcprules variables), so none may be kept. */
static char **
child_environ(int sign)
{
	static char **env;
	size_t i, n = 0;

	while (environ[n])
		n++;
	free(env);
	env = malloc((n + 3) * sizeof *env);
	if (!env)
		return 0;
	for (i = n = 0; environ[i]; i++)
		if (strncmp(environ[i], "SLUICE_DKIM=", 12))
			env[n++] = environ[i];
	env[n] = (char *)QID_FD_ENV;
	env[n + 1] = sign ? 0 : (char *)NOSIGN_ENV;
	env[n + 2] = 0;
	return env;
}

static void
close_pair(int p[2])
{
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
}

static int
spawn(struct qpipe *q, const char *prog, int m, int e, int id, int sign)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t dflt;
	char *argv[2], **env = child_environ(sign);
	int r;

	if (!env)
		return ENOMEM;
	argv[0] = (char *)prog;
	argv[1] = 0;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, m, 0);
	posix_spawn_file_actions_adddup2(&fa, e, 1);
	posix_spawn_file_actions_adddup2(&fa, id, 3);
	/* we ignore SIGPIPE; the queue program gets the default back */
	posix_spawnattr_init(&attr);
	sigemptyset(&dflt);
	sigaddset(&dflt, SIGPIPE);
	posix_spawnattr_setsigdefault(&attr, &dflt);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
	r = posix_spawn(&q->pid, prog, &fa, &attr, argv, env);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	return r;
}

int
qpipe_start(struct qpipe *q, const char *prog, unsigned int timeout, int sign)
{
	int m[2] = { -1, -1 }, e[2] = { -1, -1 }, id[2] = { -1, -1 }, r;

	q->pid = -1;
	q->werr = 0;
	q->timedout = 0;
	q->timeout = timeout;
	q->buflen = 0;
	q->msgfd = q->envfd = q->idfd = -1;
	q->qid[0] = 0;
	if (pipe2(m, O_CLOEXEC) < 0 || pipe2(e, O_CLOEXEC) < 0 ||
	    pipe2(id, O_CLOEXEC | O_NONBLOCK) < 0) {
		r = errno;
		close_pair(m);
		close_pair(e);
		close_pair(id);
		errno = r;
		return -1;
	}
	r = spawn(q, prog, m[0], e[0], id[1], sign);
	close(m[0]);
	close(e[0]);
	close(id[1]);
	if (r != 0) {
		close(m[1]);
		close(e[1]);
		close(id[0]);
		q->pid = -1;
		errno = r;
		return -1;
	}
	q->msgfd = m[1];
	q->envfd = e[1];
	q->idfd = id[0];
	fd_nonblock(q->msgfd);
	fd_nonblock(q->envfd);
	return 0;
}

/* write all of buf to our non-blocking end of a pipe, waiting at most
 * q->timeout seconds each time the pipe is full.  0 ok, -1 error. */
static int
write_timed(struct qpipe *q, int fd, const char *buf, size_t len)
{
	struct pollfd p;

	while (len) {
		ssize_t w = write(fd, buf, len);

		if (w > 0) {
			buf += w;
			len -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN)
			return -1;
		p.fd = fd;
		p.events = POLLOUT;
		if (poll(&p, 1, (int)q->timeout * 1000) <= 0) {
			q->timedout = 1;
			return -1;
		}
	}
	return 0;
}

static void
flush_buf(struct qpipe *q)
{
	if (q->buflen && !q->werr && write_timed(q, q->msgfd, q->buf, q->buflen) < 0)
		q->werr = 1;
	q->buflen = 0;
}

void
qpipe_write(struct qpipe *q, const char *buf, size_t len)
{
	if (q->werr)
		return;
	if (q->buflen + len > sizeof q->buf) {
		flush_buf(q);
		if (len >= sizeof q->buf) {
			if (!q->werr && write_timed(q, q->msgfd, buf, len) < 0)
				q->werr = 1;
			return;
		}
	}
	memcpy(q->buf + q->buflen, buf, len);
	q->buflen += len;
}

/* the queue id the program wrote on fd 3, if it did: one line of
 * letters, digits, '.', '-' and '_' */
static void
read_qid(struct qpipe *q)
{
	char buf[QPIPE_QID_MAX + 2];
	ssize_t n;
	size_t i;

	n = read(q->idfd, buf, sizeof buf - 1);
	close(q->idfd);
	q->idfd = -1;
	if (n <= 0)
		return;
	for (i = 0; i < (size_t)n && i < QPIPE_QID_MAX; i++) {
		char c = buf[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || c == '.' || c == '-' || c == '_'))
			break;
		q->qid[i] = c;
	}
	q->qid[i] = 0;
}

/* wait at most q->timeout seconds for the program to exit (a pidfd
 * turns readable then); a program that hangs is killed */
static void
wait_exit(struct qpipe *q)
{
	struct pollfd p;
	int pfd = (int)syscall(SYS_pidfd_open, q->pid, 0);

	if (pfd < 0)
		return;		/* old kernel: waitpid alone */
	p.fd = pfd;
	p.events = POLLIN;
	if (!q->timedout && poll(&p, 1, (int)q->timeout * 1000) <= 0)
		q->timedout = 1;
	if (q->timedout)
		kill(q->pid, SIGKILL);
	close(pfd);
}

static int
reap(struct qpipe *q)
{
	int st;

	wait_exit(q);
	while (waitpid(q->pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	q->pid = -1;
	read_qid(q);
	if (WIFEXITED(st) && !q->timedout)
		return WEXITSTATUS(st);
	return -1;
}

int
qpipe_finish(struct qpipe *q, const char *env, size_t envlen)
{
	flush_buf(q);
	close(q->msgfd);
	q->msgfd = -1;
	/* a failed write means the program is gone: its exit code says why */
	if (!q->werr)
		(void)write_timed(q, q->envfd, env, envlen);
	close(q->envfd);
	q->envfd = -1;
	return reap(q);
}

void
qpipe_abort(struct qpipe *q)
{
	if (q->pid < 0)
		return;
	if (q->msgfd >= 0)
		close(q->msgfd);
	if (q->envfd >= 0)
		close(q->envfd);
	q->msgfd = q->envfd = -1;
	/* no kill: the program sees EOF instead of an envelope and refuses;
	 * a signal could leave its temporary files behind */
	(void)reap(q);
}
