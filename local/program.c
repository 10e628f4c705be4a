/*
 * program.c -- |COMMAND lines of the per-user file (only for domains
 * with the "programs" option): /bin/sh -c COMMAND in HOME, in its own
 * process group, as our own uid (sluicev), with the message on a
 * seekable stdin and qmail's environment (SENDER, RECIPIENT, LOCAL, HOST,
 * EXT, DTLINE, RPLINE, plus HOME and PATH).  Its output (stdout and
 * stderr, the first JOB_TEXT_MAX bytes) becomes the failure text.  Exit
 * codes as in qmail: 0 delivered, 99 delivered and stop processing the
 * file, 100 permanent failure, anything else (111, a signal, the
 * timeoutprogram limit) temporary.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "local.h"
#include "control.h"
#include "logmsg.h"
#include "sysutil.h"

#define ENV_MAX 12

struct prog {
	pid_t pid;
	int out;		/* read end of its stdout/stderr */
	int out_eof;		/* the program closed it */
	char text[JOB_TEXT_MAX + 1];
	size_t textlen;
};

/* the message in an anonymous file: a seekable stdin at offset 0 */
static int
message_memfd(struct ldelivery *d)
{
	int fd = memfd_create("sluice-message", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (msg_to_fd(d, fd) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
env_add(stralloc *sa, const char *name, const char *value)
{
	return stralloc_cats(sa, name) && stralloc_append(sa, "=") &&
	    stralloc_cats(sa, value) && stralloc_0(sa);
}

/* envp strings into sa (NUL-separated), pointers into envp */
static int
build_env(struct ldelivery *d, const char *home, const char *addr,
    const char *ext, stralloc *sa, char **envp)
{
	const char *at = strrchr(addr, '@');
	stralloc local = { 0 };
	size_t pos = 0, n = 0;
	int ok;

	ok = stralloc_copyb(&local, addr, at ? (size_t)(at - addr) :
	    strlen(addr)) && stralloc_0(&local) &&
	    env_add(sa, "SENDER", d->sender) && env_add(sa, "RECIPIENT", addr) &&
	    env_add(sa, "LOCAL", local.s) && env_add(sa, "HOST", at ? at + 1 : "") &&
	    env_add(sa, "EXT", ext) && env_add(sa, "HOME", home) &&
	    env_add(sa, "PATH", "/usr/local/bin:/usr/bin:/bin") &&
	    stralloc_cats(sa, "DTLINE=") &&
	    stralloc_catb(sa, d->dtline.s, d->dtline.len) && stralloc_0(sa) &&
	    stralloc_cats(sa, "RPLINE=") &&
	    stralloc_catb(sa, d->rpline.s, d->rpline.len) && stralloc_0(sa);
	stralloc_free(&local);
	if (!ok)
		return 0;
	while (pos < sa->len && n < ENV_MAX - 1) {
		envp[n++] = sa->s + pos;
		pos += strlen(sa->s + pos) + 1;
	}
	envp[n] = 0;
	return 1;
}

static int
start(struct prog *p, const char *cmd, const char *home, int in,
    char **envp)
{
	int out[2];

	if (pipe2(out, O_CLOEXEC) < 0)
		return -1;
	p->pid = fork();
	if (p->pid < 0) {
		close(out[0]);
		close(out[1]);
		return -1;
	}
	if (p->pid == 0) {
		struct rlimit nocore = { 0, 0 };

		setsid();
		umask(077);		/* what it writes stays the user's */
		setrlimit(RLIMIT_CORE, &nocore);	/* no mail in core files */
		sig_default(SIGPIPE);
		sig_default(SIGTERM);
		if (fd_move(0, in) < 0 || dup2(out[1], 1) < 0 ||
		    dup2(out[1], 2) < 0 || chdir(home) < 0)
			_exit(111);
		execle("/bin/sh", "sh", "-c", cmd, (char *)0, envp);
		_exit(111);
	}
	close(out[1]);
	p->out = out[0];
	fd_nonblock(p->out);
	return 0;
}

static void
collect(struct prog *p)
{
	char buf[4096];
	ssize_t r = -1;
	int rounds = 16;	/* a program that never stops talking must not
				   keep us from looking at the clock */

	if (p->out_eof)
		return;
	while (rounds-- > 0 && (r = read(p->out, buf, sizeof buf)) > 0) {
		size_t room = JOB_TEXT_MAX - p->textlen;
		size_t n = (size_t)r < room ? (size_t)r : room;

		memcpy(p->text + p->textlen, buf, n);
		p->textlen += n;
	}
	if (rounds >= 0 && r == 0)
		p->out_eof = 1;	/* closed: stop polling it (POLLHUP spins) */
}

/* wait for the program, reading its output, at most timeout seconds;
 * returns the wait status, or -1 on timeout (the group is killed) */
static int
wait_for(struct prog *p, unsigned long timeout)
{
	unsigned long long deadline = now_ms() + timeout * 1000ULL;
	int st, pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);

	for (;;) {
		struct pollfd pf[2];
		unsigned long long now = now_ms();
		pid_t w = waitpid(p->pid, &st, WNOHANG);

		collect(p);
		if (w == p->pid)
			break;
		if (now >= deadline) {
			kill(-p->pid, SIGKILL);
			kill(p->pid, SIGKILL);
			waitpid(p->pid, &st, 0);
			st = -1;
			break;
		}
		pf[0].fd = p->out_eof ? -1 : p->out;
		pf[0].events = POLLIN;
		pf[1].fd = pidfd;
		pf[1].events = POLLIN;
		/* without a pidfd, look again every 20 ms */
		poll(pf, pidfd >= 0 ? 2 : 1, pidfd >= 0 ?
		    (int)(deadline - now > 1000 ? 1000 : deadline - now) : 20);
	}
	collect(p);
	if (pidfd >= 0)
		close(pidfd);
	close(p->out);
	return st;
}

static void
text_clean(struct prog *p)
{
	size_t i;

	while (p->textlen && (p->text[p->textlen - 1] == '\n' ||
	    p->text[p->textlen - 1] == ' '))
		p->textlen--;
	for (i = 0; i < p->textlen; i++)
		if (p->text[i] == '\n' || p->text[i] == '\t')
			p->text[i] = ' ';
	p->text[p->textlen] = 0;
}

static int
judge(struct ldelivery *d, struct prog *p, int st)
{
	char num[21];
	const char *said = p->textlen ? ": " : "";

	text_clean(p);
	if (st == -1) {
		ld_fail(d, JOB_DEFERRED, "4.3.0", "program timed out", said, p->text, NULL);
		return 0;
	}
	if (!WIFEXITED(st)) {
		ld_fail(d, JOB_DEFERRED, "4.3.0", "program killed by signal ",
		    ulong_str(num, (unsigned long)WTERMSIG(st)), said, p->text, NULL);
		return 0;
	}
	switch (WEXITSTATUS(st)) {
	case 0:
		ld_done(d, "program");
		return 1;
	case 99:
		ld_done(d, "program");
		return 0;
	case 100:
		ld_fail(d, JOB_FAILED, "5.3.0", "program failed permanently", said,
		    p->text, NULL);
		return 0;
	default:
		ld_fail(d, JOB_DEFERRED, "4.3.0", "program failed temporarily (exit ",
		    ulong_str(num, (unsigned long)WEXITSTATUS(st)), ")", said,
		    p->text, NULL);
		return 0;
	}
}

int
program_deliver(struct ldelivery *d, const char *cmd, const char *home,
    const char *addr, const char *ext)
{
	struct prog p;
	stralloc envs = { 0 };
	char *envp[ENV_MAX];
	unsigned long timeout;
	int in, go = 0;

	memset(&p, 0, sizeof p);
	if (control_get_uint("timeoutprogram", &timeout) < 0) {
		ld_fail(d, JOB_DEFERRED, "4.3.5", "bad setting timeoutprogram", NULL);
		return 0;
	}
	if (!build_env(d, home, addr, ext, &envs, envp)) {
		ld_fail(d, JOB_DEFERRED, "4.3.0", "out of memory", NULL);
		return 0;
	}
	in = message_memfd(d);
	if (in < 0)
		ld_fail(d, JOB_DEFERRED, "4.3.0", "cannot copy the message for the program: ",
		    strerror(errno), NULL);
	else if (start(&p, cmd, home, in, envp) < 0)
		ld_fail(d, JOB_DEFERRED, "4.3.0", "cannot start the program: ",
		    strerror(errno), NULL);
	else
		go = judge(d, &p, wait_for(&p, timeout));
	if (in >= 0)
		close(in);
	stralloc_free(&envs);
	return go;
}
