/*
 * auth.c -- credential checks for sluice-pop3d, done by the parent P
 * (root in a root instance), never by the process that reads the
 * network, so a compromised front cannot open a mailbox without its
 * password.
 *
 * Two sources:
 *   users.cdb (default): the crypt(3) hash sluice-conf wrote; HOME/Maildir
 *     with the entry's uid and gid.  An unknown or disabled user costs
 *     one hash check too (against a dummy hash), so timing does not tell
 *     which users exist.
 *   checkpassword (arguments after the program name, as qmail-popup
 *     runs it): "USER\0PASS\0\0" on fd 3; on success the program sets the
 *     user's ids and HOME and runs "sluice-pop3d --report", which writes
 *     "UID\0GID\0HOME\0" to fd 4.  Exit 1 means a bad password, any other
 *     failure is temporary.
 * A uid of 0 is never accepted from either source in a root instance.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pop3d.h"
#include "sysutil.h"
#include "logmsg.h"

#define REPORT_MAX (USER_HOME_MAX + 64)
#define CHECKPW_TIMEOUT_MS 60000

static int
set_maildir(struct login *l, const char *home)
{
	size_t hl = strlen(home);

	if (hl == 0 || home[0] != '/' || hl + sizeof "/Maildir" >
	    sizeof l->maildir)
		return 0;
	memcpy(l->maildir, home, hl);
	memcpy(l->maildir + hl, "/Maildir", sizeof "/Maildir");
	return 1;
}

static int
ids_allowed(unsigned long uid, unsigned long gid)
{
	if (getuid() == 0 && (uid == 0 || gid == 0))
		return 0;
	return uid <= 0x7fffffffUL && gid <= 0x7fffffffUL;
}

/* every outcome but a temporary failure costs one hash check: an
 * unknown or disabled user is checked against a dummy hash
 * (password_check with NULL or "!") */
static int
cdb_check(const char *user, const char *pass, struct login *l,
    const char **why)
{
	struct user u;
	char key[POP3_ARG_MAX + 1];
	size_t i, len = strlen(user);
	int r, good;

	for (i = 0; i <= len; i++)
		key[i] = (user[i] >= 'A' && user[i] <= 'Z') ?
		    (char)(user[i] - 'A' + 'a') : user[i];
	r = user_get(key, len, &u);
	if (r < 0) {
		*why = "cannot read users.cdb";
		return -1;
	}
	good = password_check(r ? u.hash : NULL, pass);
	if (!good) {
		*why = !r ? "unknown user" : u.hash[0] == '!' ?
		    "login disabled" : "wrong password";
		r = 0;
	} else if (!ids_allowed(u.uid, u.gid) || !set_maildir(l, u.home)) {
		*why = "bad uid, gid or home in users.cdb";
		r = -1;
	} else {
		memcpy(l->user, key, len + 1);
		l->uid = (uid_t)u.uid;
		l->gid = (gid_t)u.gid;
		r = 1;
	}
	explicit_bzero(&u, sizeof u);	/* B is forked from this process */
	return r;
}

/* read the reporter's answer, bounded in size and time */
static ssize_t
read_report(int fd, char *buf, size_t max)
{
	unsigned long long deadline = now_ms() + CHECKPW_TIMEOUT_MS;
	size_t got = 0;
	struct pollfd p;
	ssize_t r;

	while (got < max) {
		unsigned long long now = now_ms();

		if (now >= deadline)
			return -1;
		p.fd = fd;
		p.events = POLLIN;
		if (poll(&p, 1, (int)(deadline - now)) <= 0)
			continue;
		r = read(fd, buf + got, max - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

static int
parse_ulong(const char *s, unsigned long *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return 0;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return *end == 0 && errno == 0;
}

/* "UID\0GID\0HOME\0" -> l */
static int
parse_report(const char *buf, size_t len, struct login *l)
{
	const char *f[3], *p = buf, *end = buf + len, *z;
	unsigned long uid, gid;
	int i;

	for (i = 0; i < 3; i++) {
		z = memchr(p, 0, (size_t)(end - p));
		if (!z)
			return 0;
		f[i] = p;
		p = z + 1;
	}
	if (p != end || !parse_ulong(f[0], &uid) || !parse_ulong(f[1], &gid) ||
	    !ids_allowed(uid, gid) || !set_maildir(l, f[2]))
		return 0;
	l->uid = (uid_t)uid;
	l->gid = (gid_t)gid;
	return 1;
}

static void checkpw_exec(const struct pop3conf *, int, int)
    __attribute__((noreturn));

static void
checkpw_exec(const struct pop3conf *cf, int credfd, int repfd)
{
	char *argv[64];
	int i;

	/* out of the way first, in case either pipe landed on 3 or 4 */
	credfd = fcntl(credfd, F_DUPFD, 10);
	repfd = fcntl(repfd, F_DUPFD, 10);
	if (credfd < 0 || repfd < 0 || fd_move(3, credfd) < 0 ||
	    fd_move(4, repfd) < 0)
		_exit(111);
	for (i = 0; cf->checkpw[i] && i < 60; i++)
		argv[i] = cf->checkpw[i];
	argv[i++] = (char *)cf->self;
	argv[i++] = (char *)"--report";
	argv[i] = 0;
	sig_default(SIGPIPE);
	execvp(argv[0], argv);
	log_line_sys("cannot run ", argv[0], (char *)0);
	_exit(111);
}

static void
close_pair(int p[2])
{
	close(p[0]);
	close(p[1]);
}

static int
checkpw_check(const struct pop3conf *cf, const char *user, const char *pass,
    struct login *l, const char **why)
{
	char cred[CTL_MSG_MAX + 1], rep[REPORT_MAX];
	int cp[2], rp[2] = { -1, -1 }, status;
	size_t ul = strlen(user), pl = strlen(pass);
	ssize_t replen;
	pid_t pid;

	if (pipe2(cp, O_CLOEXEC) < 0) {
		*why = "pipe failed";
		return -1;
	}
	if (pipe2(rp, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		close_pair(cp);
		if (rp[0] >= 0)
			close_pair(rp);
		*why = "pipe or fork failed";
		return -1;
	}
	if (pid == 0) {
		close(cp[1]);
		close(rp[0]);
		checkpw_exec(cf, cp[0], rp[1]);
	}
	close(cp[0]);
	close(rp[1]);
	memcpy(cred, user, ul + 1);
	memcpy(cred + ul + 1, pass, pl + 1);
	cred[ul + pl + 2] = 0;		/* empty timestamp */
	write_all(cp[1], cred, ul + pl + 3);	/* EPIPE: it did not read */
	explicit_bzero(cred, sizeof cred);
	close(cp[1]);
	replen = read_report(rp[0], rep, sizeof rep);
	close(rp[0]);
	if (replen < 0)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			*why = "checkpassword lost";
			return -1;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 1) {
		*why = "rejected by checkpassword";
		return 0;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || replen <= 0 ||
	    !parse_report(rep, (size_t)replen, l)) {
		*why = "checkpassword failed";
		return -1;
	}
	memcpy(l->user, user, ul + 1);
	return 1;
}

int
auth_check(const struct pop3conf *cf, const char *user, const char *pass,
    struct login *l, const char **why)
{
	memset(l, 0, sizeof *l);
	if (cf->checkpw)
		return checkpw_check(cf, user, pass, l, why);
	return cdb_check(user, pass, l, why);
}

int
auth_report(void)
{
	char buf[REPORT_MAX], cwd[USER_HOME_MAX + 1], u[21], g[21];
	const char *home = getenv("HOME");
	size_t n = 0, len;

	if (!home || !*home)
		home = getcwd(cwd, sizeof cwd);
	if (!home)
		return 111;
	ulong_str(u, (unsigned long)getuid());
	ulong_str(g, (unsigned long)getgid());
	len = strlen(home);
	if (len > USER_HOME_MAX)
		return 111;
	memcpy(buf + n, u, strlen(u) + 1);
	n += strlen(u) + 1;
	memcpy(buf + n, g, strlen(g) + 1);
	n += strlen(g) + 1;
	memcpy(buf + n, home, len + 1);
	n += len + 1;
	return write_all(4, buf, n) < 0 ? 111 : 0;
}
