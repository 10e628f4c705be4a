/*
 * qpipe.c -- run the queue program and stream a message to it (qpipe.h).
 * posix_spawn (vfork-style in glibc) keeps the per-message cost low.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "qpipe.h"
#include "sysutil.h"

extern char **environ;

int
qpipe_start(struct qpipe *q, const char *prog)
{
	int m[2], e[2], r;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t dflt;
	char *argv[2];

	q->pid = -1;
	q->werr = 0;
	q->buflen = 0;
	q->msgfd = q->envfd = -1;
	if (pipe2(m, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(e, O_CLOEXEC) < 0) {
		close(m[0]);
		close(m[1]);
		return -1;
	}
	argv[0] = (char *)prog;
	argv[1] = 0;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, m[0], 0);
	posix_spawn_file_actions_adddup2(&fa, e[0], 1);
	/* we ignore SIGPIPE; the queue program gets the default back */
	posix_spawnattr_init(&attr);
	sigemptyset(&dflt);
	sigaddset(&dflt, SIGPIPE);
	posix_spawnattr_setsigdefault(&attr, &dflt);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
	r = posix_spawn(&q->pid, prog, &fa, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	close(m[0]);
	close(e[0]);
	if (r != 0) {
		close(m[1]);
		close(e[1]);
		q->pid = -1;
		errno = r;
		return -1;
	}
	q->msgfd = m[1];
	q->envfd = e[1];
	return 0;
}

static void
flush_buf(struct qpipe *q)
{
	if (q->buflen && !q->werr && write_all(q->msgfd, q->buf, q->buflen) < 0)
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
			if (!q->werr && write_all(q->msgfd, buf, len) < 0)
				q->werr = 1;
			return;
		}
	}
	memcpy(q->buf + q->buflen, buf, len);
	q->buflen += len;
}

static int
reap(struct qpipe *q)
{
	int st;

	while (waitpid(q->pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	q->pid = -1;
	if (WIFEXITED(st))
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
	(void)write_all(q->envfd, env, envlen);
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
