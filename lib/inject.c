/*
 * inject.c -- the injection client (inject.h): the service over its unix
 * socket, else the queue program with qmail-queue's protocol.
 * posix_spawn (vfork-style in glibc) keeps the cost of a program low.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stralloc.h>

#include "control.h"
#include "exitcodes.h"
#include "inject.h"
#include "sysutil.h"

extern char **environ;

/* BIN/sluice-queue, next to our own binary */
static int
default_prog(char *out, size_t max)
{
	ssize_t n = readlink("/proc/self/exe", out, max - 32);
	char *slash;

	if (n <= 0)
		return -1;
	out[n] = 0;
	slash = strrchr(out, '/');
	if (!slash)
		return -1;
	strcpy(slash + 1, "sluice-queue");
	return 0;
}

/* ---------------- the program: qmail-queue's protocol ---------------- */

static int
unwanted(const char *e)
{
	return !strncmp(e, "SLUICE_DKIM=", 12) ||
	    !strncmp(e, "SLUICE_BOUNCE_LEVEL=", 20) ||
	    !strncmp(e, "SLUICE_QUEUEID_FD=", 18);
}

/* our environment, less what we set, plus SLUICE_QUEUEID_FD=3 and, when
 * asked for, SLUICE_DKIM=no and SLUICE_BOUNCE_LEVEL */
static char **
child_environ(const struct inject_opts *o)
{
	static char lvl[] = "SLUICE_BOUNCE_LEVEL=0";
	char **env;
	size_t n, i;

	for (n = 0; environ[n]; n++)
		;
	env = malloc((n + 4) * sizeof *env);
	if (!env)
		return 0;
	for (i = n = 0; environ[i]; i++)
		if (!unwanted(environ[i]))
			env[n++] = environ[i];
	env[n++] = (char *)"SLUICE_QUEUEID_FD=3";
	if (!o->sign)
		env[n++] = (char *)"SLUICE_DKIM=no";
	if (o->bounce > 0 && o->bounce <= 2) {
		lvl[sizeof lvl - 2] = (char)('0' + o->bounce);
		env[n++] = lvl;
	}
	env[n] = 0;
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
spawn(struct inject *q, int m, int e, int id)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t dflt;
	char *argv[2], **env = child_environ(&q->o);
	int r;

	if (!env)
		return ENOMEM;
	argv[0] = q->prog;
	argv[1] = 0;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, m, 0);
	posix_spawn_file_actions_adddup2(&fa, e, 1);
	posix_spawn_file_actions_adddup2(&fa, id, 3);
	/* we ignore SIGPIPE while writing; the program gets the default */
	posix_spawnattr_init(&attr);
	sigemptyset(&dflt);
	sigaddset(&dflt, SIGPIPE);
	posix_spawnattr_setsigdefault(&attr, &dflt);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
	r = posix_spawn(&q->pid, q->prog, &fa, &attr, argv, env);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	free(env);
	return r;
}

static int
prog_start(struct inject *q)
{
	int m[2] = { -1, -1 }, e[2] = { -1, -1 }, id[2] = { -1, -1 }, r;
	struct sigaction ign;

	if (pipe2(m, O_CLOEXEC) < 0 || pipe2(e, O_CLOEXEC) < 0 ||
	    pipe2(id, O_CLOEXEC | O_NONBLOCK) < 0) {
		r = errno;
		close_pair(m);
		close_pair(e);
		close_pair(id);
		errno = r;
		return -1;
	}
	r = spawn(q, m[0], e[0], id[1]);
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
	memset(&ign, 0, sizeof ign);
	ign.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &ign, &q->oldpipe);
	return 0;
}

/* write all of buf to a non-blocking descriptor, waiting at most
 * q->o.timeout seconds each time it is full.  0 ok, -1 error. */
static int
write_timed(struct inject *q, int fd, const char *buf, size_t len)
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
		if (poll(&p, 1, (int)q->o.timeout * 1000) <= 0) {
			q->timedout = 1;
			return -1;
		}
	}
	return 0;
}

/* wait at most the timeout for the program to exit (a pidfd turns
 * readable then); a program that hangs is killed */
static void
wait_exit(struct inject *q)
{
	struct pollfd p;
	int pfd = (int)syscall(SYS_pidfd_open, q->pid, 0);

	if (pfd < 0)
		return;		/* old kernel: waitpid alone */
	p.fd = pfd;
	p.events = POLLIN;
	if (!q->timedout && poll(&p, 1, (int)q->o.timeout * 1000) <= 0)
		q->timedout = 1;
	if (q->timedout)
		kill(q->pid, SIGKILL);
	close(pfd);
}

/* the program's end: its exit code (-1 crashed, killed, timed out) and
 * the queue id it wrote on fd 3 */
static void
prog_reap(struct inject *q, struct inject_result *r)
{
	char buf[INJECT_QID_MAX + 2];
	ssize_t n;
	int st = -1, code = -1;

	wait_exit(q);
	while (waitpid(q->pid, &st, 0) < 0)
		if (errno != EINTR)
			break;
	q->pid = -1;
	sigaction(SIGPIPE, &q->oldpipe, 0);
	n = read(q->idfd, buf, sizeof buf - 1);
	close(q->idfd);
	q->idfd = -1;
	if (WIFEXITED(st) && !q->timedout)
		code = WEXITSTATUS(st);
	inject_result_set(r, code, q->timedout ? "the queue program timed out" :
	    code < 0 ? "the queue program crashed" : code ?
	    "the queue program refused the message" : "");
	if (code == 0 && n > 0)
		inject_qid_take(r->qid, buf, (size_t)n);
}

static void
prog_finish(struct inject *q, const char *env, size_t envlen,
    struct inject_result *r)
{
	close(q->msgfd);
	q->msgfd = -1;
	/* a failed write means the program is gone: its exit code says why */
	if (!q->fail)
		(void)write_timed(q, q->envfd, env, envlen);
	close(q->envfd);
	q->envfd = -1;
	prog_reap(q, r);
}

/* ---------------- the service ---------------- */

/* the service's socket; a full backlog is waited for at most the
 * timeout (SO_SNDTIMEO bounds a unix connect), then we run the program */
static int
service_connect(unsigned int timeout)
{
	struct sockaddr_un sun;
	struct timeval tv;
	int fd, e;

	if (instance_sockaddr(&sun, INJECT_SOCKET) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	tv.tv_sec = timeout;
	tv.tv_usec = 0;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0)
		return fd;
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

/* the kept message, then NUL or not, to fd (a socket or a pipe) */
static int
send_kept(struct inject *q, int fd)
{
	char buf[65536];
	off_t off = 0;

	if (q->spool >= 0)
		for (;;) {
			ssize_t n = pread(q->spool, buf, sizeof buf, off);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return -1;
			if (n == 0)
				break;
			off += n;
			if (write_timed(q, fd, buf, (size_t)n))
				return -1;
		}
	return write_timed(q, fd, q->buf, q->buflen);
}

/* read the reply line within the timeout */
static void
read_reply(struct inject *q, int fd, struct inject_result *r)
{
	char line[INJECT_REPLY_MAX];
	size_t len = 0;
	struct pollfd p;

	for (;;) {
		ssize_t n;
		char *lf;

		p.fd = fd;
		p.events = POLLIN;
		if (poll(&p, 1, (int)q->o.timeout * 1000) <= 0) {
			inject_result_set(r, -1, "timed out waiting for the "
			    "injection service");
			return;
		}
		n = read(fd, line + len, sizeof line - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			inject_result_set(r, -1, "the injection service went "
			    "away (the message may or may not be queued)");
			return;
		}
		len += (size_t)n;
		if ((lf = memchr(line, '\n', len))) {
			if (inject_reply_parse(line, (size_t)(lf - line), r))
				inject_result_set(r, -1, "malformed reply "
				    "from the injection service");
			return;
		}
		if (len == sizeof line) {
			inject_result_set(r, -1, "reply too long from the "
			    "injection service");
			return;
		}
	}
}

static void service_talk(struct inject *, int, const char *, size_t,
    const char *, size_t, struct inject_result *);

static void
service_send(struct inject *q, int fd, const char *env, size_t envlen,
    struct inject_result *r)
{
	struct inject_header h;
	char head[INJECT_HEADER_MAX];
	size_t hl;

	struct sigaction ign;

	h.sign = q->o.sign != 0;
	h.bounce = q->o.bounce;
	hl = inject_header_format(head, &h);
	fd_nonblock(fd);
	memset(&ign, 0, sizeof ign);
	ign.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &ign, &q->oldpipe);
	service_talk(q, fd, head, hl, env, envlen, r);
	sigaction(SIGPIPE, &q->oldpipe, 0);
}

static void
service_talk(struct inject *q, int fd, const char *head, size_t hl,
    const char *env, size_t envlen, struct inject_result *r)
{
	if (write_timed(q, fd, head, hl) || send_kept(q, fd) ||
	    write_timed(q, fd, "", 1) || write_timed(q, fd, env, envlen)) {
		/* it may have answered already (a refusal) */
		if (!q->timedout) {
			read_reply(q, fd, r);
			if (r->code > 0)
				return;
		}
		inject_result_set(r, -1, q->timedout ? "timed out sending to "
		    "the injection service" : "the injection service went "
		    "away");
		return;
	}
	read_reply(q, fd, r);
}

/* nothing listens: the program, fed what we kept */
static void
fallback(struct inject *q, const char *env, size_t envlen,
    struct inject_result *r)
{
	if (prog_start(q)) {
		inject_result_set(r, -1, "cannot run the queue program");
		return;
	}
	if (send_kept(q, q->msgfd))
		q->fail = QX_READ;	/* gone: its exit code says why */
	prog_finish(q, env, envlen, r);
}

/* ---------------- the interface ---------------- */

int
inject_start(struct inject *q, const struct inject_opts *opts)
{
	q->o = *opts;
	q->fail = 0;
	q->failtext = 0;
	q->pid = -1;
	q->msgfd = q->envfd = q->idfd = q->spool = -1;
	q->timedout = 0;
	q->total = 0;
	q->buflen = 0;
	if (!q->o.timeout)
		q->o.timeout = 1200;
	if (opts->prog) {
		size_t n = strlen(opts->prog);

		if (n >= sizeof q->prog) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(q->prog, opts->prog, n + 1);
	} else if (default_prog(q->prog, sizeof q->prog)) {
		return -1;
	}
	if (q->o.service)
		return 0;
	return prog_start(q);
}

/* the service: keep it (a NUL would end the message early: refuse it) */
static void
keep(struct inject *q, const char *buf, size_t len)
{
	if (memchr(buf, 0, len)) {
		q->fail = QX_PERM;
		q->failtext = "the message contains a NUL octet";
		return;
	}
	if (q->buflen + len > sizeof q->buf) {
		if (q->spool < 0)
			q->spool = memfd_create("sluice-inject", MFD_CLOEXEC);
		if (q->spool < 0 || write_all(q->spool, q->buf, q->buflen) ||
		    write_all(q->spool, buf, len)) {
			q->fail = QX_NOMEM;
			q->failtext = "cannot keep the message in memory";
		}
		q->buflen = 0;
		return;
	}
	memcpy(q->buf + q->buflen, buf, len);
	q->buflen += len;
}

void
inject_write(struct inject *q, const char *buf, size_t len)
{
	if (q->fail)
		return;
	q->total += len;
	if (q->o.service) {
		keep(q, buf, len);
		return;
	}
	if (q->buflen + len > sizeof q->buf) {
		if (q->buflen && write_timed(q, q->msgfd, q->buf, q->buflen))
			q->fail = QX_READ;
		q->buflen = 0;
		if (!q->fail && len >= sizeof q->buf &&
		    write_timed(q, q->msgfd, buf, len))
			q->fail = QX_READ;
		if (q->fail || len >= sizeof q->buf)
			return;
	}
	memcpy(q->buf + q->buflen, buf, len);
	q->buflen += len;
}

static void
drop_spool(struct inject *q)
{
	if (q->spool >= 0)
		close(q->spool);
	q->spool = -1;
	q->buflen = 0;
}

enum inject_status
inject_finish(struct inject *q, const char *env, size_t envlen,
    struct inject_result *r)
{
	int fd;

	if (!q->o.service) {
		if (!q->fail && q->buflen &&
		    write_timed(q, q->msgfd, q->buf, q->buflen))
			q->fail = QX_READ;
		q->buflen = 0;
		prog_finish(q, env, envlen, r);
		return r->status;
	}
	if (q->fail) {
		inject_result_set(r, q->fail, q->failtext);
	} else if ((fd = service_connect(q->o.timeout)) >= 0) {
		service_send(q, fd, env, envlen, r);
		close(fd);
	} else {
		fallback(q, env, envlen, r);
	}
	drop_spool(q);
	return r->status;
}

void
inject_abort(struct inject *q)
{
	struct inject_result r;

	drop_spool(q);
	if (q->pid < 0)
		return;
	if (q->msgfd >= 0)
		close(q->msgfd);
	if (q->envfd >= 0)
		close(q->envfd);
	q->msgfd = q->envfd = -1;
	/* no kill: the program sees EOF instead of an envelope and refuses;
	 * a signal could leave its temporary files behind */
	prog_reap(q, &r);
}
