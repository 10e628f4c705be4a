/*
 * sysutil.c -- see sysutil.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "sysutil.h"

void
sig_catch(int sig, void (*handler)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, 0);
}

void
sig_ignore(int sig)
{
	sig_catch(sig, SIG_IGN);
}

void
sig_default(int sig)
{
	sig_catch(sig, SIG_DFL);
}

static void
sig_mask(int how, int sig)
{
	sigset_t ss;

	sigemptyset(&ss);
	sigaddset(&ss, sig);
	sigprocmask(how, &ss, 0);
}

void
sig_block(int sig)
{
	sig_mask(SIG_BLOCK, sig);
}

void
sig_unblock(int sig)
{
	sig_mask(SIG_UNBLOCK, sig);
}

int
fd_cloexec(int fd)
{
	int f = fcntl(fd, F_GETFD);

	if (f < 0)
		return -1;
	return fcntl(fd, F_SETFD, f | FD_CLOEXEC);
}

static int
fd_flag(int fd, int on)
{
	int f = fcntl(fd, F_GETFL);

	if (f < 0)
		return -1;
	return fcntl(fd, F_SETFL, on ? (f | O_NONBLOCK) : (f & ~O_NONBLOCK));
}

int
fd_nonblock(int fd)
{
	return fd_flag(fd, 1);
}

int
fd_blocking(int fd)
{
	return fd_flag(fd, 0);
}

int
fd_move(int to, int from)
{
	if (to == from)
		return 0;
	if (dup2(from, to) < 0)
		return -1;
	close(from);
	return 0;
}

int
write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t w = write(fd, buf, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

ssize_t
read_full(int fd, char *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t r = read(fd, buf + got, len - got);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

int
fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r;

	if (fd < 0)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

int
fsync_parent(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	size_t n;

	if (!slash)
		return fsync_dir(".");
	n = (size_t)(slash - path);
	if (n == 0)
		return fsync_dir("/");
	if (n >= sizeof dir) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dir, path, n);
	dir[n] = 0;
	return fsync_dir(dir);
}

int
lock_ex(int fd)
{
	int r;

	do
		r = flock(fd, LOCK_EX);
	while (r < 0 && errno == EINTR);
	return r;
}

int
lock_exnb(int fd)
{
	return flock(fd, LOCK_EX | LOCK_NB);
}

int
user_ids(const char *name, uid_t *uid, gid_t *gid)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(name);
	if (!pw)
		return errno ? -1 : 0;
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 1;
}

int
priv_drop_ids(uid_t uid, gid_t gid)
{
	if (geteuid() != 0 && getuid() != 0)
		return 0;
	if (setgroups(1, &gid) < 0 || setgid(gid) < 0 || setuid(uid) < 0)
		return -1;
	if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

#define GROUPS_MAX 64

int
priv_ids_text(const char *name, char *out, size_t outlen)
{
	gid_t groups[GROUPS_MAX];
	int ngroups = GROUPS_MAX, i, r;
	uid_t uid;
	gid_t gid;
	size_t n;

	r = user_ids(name, &uid, &gid);
	if (r <= 0)
		return r;
	if (getgrouplist(name, gid, groups, &ngroups) < 0) {
		errno = E2BIG;
		return -1;
	}
	n = (size_t)snprintf(out, outlen, "%lu:%lu:", (unsigned long)uid,
	    (unsigned long)gid);
	for (i = 0; i < ngroups && n < outlen; i++)
		n += (size_t)snprintf(out + n, outlen - n, "%s%lu", i ? "," : "",
		    (unsigned long)groups[i]);
	if (n >= outlen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 1;
}

/* "UID:GID:G1,G2,...": 1 parsed, 0 malformed */
static int
ids_parse(const char *s, uid_t *uid, gid_t *gid, gid_t *groups, size_t *ngroups)
{
	unsigned long v[2 + GROUPS_MAX];
	size_t n = 0;

	for (;;) {
		unsigned long x = 0;
		size_t digits = 0;

		while (*s >= '0' && *s <= '9' && digits < 10) {
			x = x * 10 + (unsigned long)(*s++ - '0');
			digits++;
		}
		if (!digits || n == 2 + GROUPS_MAX)
			return 0;
		v[n++] = x;
		if (!*s)
			break;
		if ((n <= 2 && *s != ':') || (n > 2 && *s != ','))
			return 0;
		s++;
	}
	if (n < 3)
		return 0;
	*uid = (uid_t)v[0];
	*gid = (gid_t)v[1];
	*ngroups = n - 2;
	for (n = 0; n < *ngroups; n++)
		groups[n] = (gid_t)v[2 + n];
	return 1;
}

/* the ids priv_drop(name) would take: from $SLUICE_DROP_IDS when it is
 * for name (groups filled), else from NSS (*ngroups 0: use initgroups).
 * 1 found, 0 no such user, -1 error */
static int
drop_ids(const char *name, uid_t *uid, gid_t *gid, gid_t *groups,
    size_t *ngroups)
{
	const char *drop = getenv("SLUICE_DROP");
	const char *ids = getenv("SLUICE_DROP_IDS");

	if (drop && ids && !strcmp(drop, name) &&
	    ids_parse(ids, uid, gid, groups, ngroups))
		return 1;
	*ngroups = 0;
	return user_ids(name, uid, gid);
}

/* drop_ids, with a user that does not exist as ENOENT: 0 ok, -1 error */
static int
ids_of(const char *name, uid_t *uid, gid_t *gid, gid_t *groups,
    size_t *ngroups)
{
	int r = drop_ids(name, uid, gid, groups, ngroups);

	if (r == 0)
		errno = ENOENT;
	return r > 0 ? 0 : -1;
}

int
priv_drop(const char *name)
{
	gid_t groups[GROUPS_MAX];
	size_t ngroups;
	uid_t uid;
	gid_t gid;
	int r;

	if (geteuid() != 0 && getuid() != 0)
		return 0;
	if (ids_of(name, &uid, &gid, groups, &ngroups) < 0)
		return -1;
	if (ngroups == 0)
		r = initgroups(name, gid);
	else
		r = uid == 0 ? -1 : setgroups(ngroups, groups);
	if (r < 0 || setgid(gid) < 0 || setuid(uid) < 0)
		return -1;
	if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

int
priv_drop_alone(const char *name)
{
	gid_t groups[GROUPS_MAX];
	size_t ngroups;
	uid_t uid;
	gid_t gid;

	if (geteuid() != 0 && getuid() != 0)
		return 0;
	if (ids_of(name, &uid, &gid, groups, &ngroups) < 0)
		return -1;
	if (uid == 0) {
		errno = EPERM;
		return -1;
	}
	return priv_drop_ids(uid, gid);
}

unsigned long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000 + (unsigned long long)ts.tv_nsec / 1000000;
}
