/*
 * t_maildir.c -- unit tests for lib/maildir.c: directory creation, the
 * name format and its S=/W= sizes, uniqueness over many deliveries,
 * retry on EEXIST, the order fsync -> link -> fsync(new/) -> unlink, and
 * that no failure (full file system, failed fsync, failed link) ever
 * leaves anything in new/.
 *
 * open, link, fsync and unlink are wrapped here (the test binary's
 * definitions take precedence over libc's) to record the order of the
 * calls and to inject EEXIST and I/O errors.  The full-disk case uses a
 * 64 KiB tmpfs when run as root, else (or with T_MAILDIR_NO_MOUNT set)
 * RLIMIT_FSIZE.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "maildir.h"
#include "tap.h"

static char base[] = "/tmp/t_maildir.XXXXXX";
static char events[4096];	/* "open fsync link fsync unlink ..." */
static int fail_open_eexist, fail_link_eexist, fail_link_eio;
static int fail_fsync_file, fail_fsync_dir;

static void
event(const char *what)
{
	if (strlen(events) + strlen(what) + 2 < sizeof events) {
		strcat(events, what);
		strcat(events, " ");
	}
}

static int
is_dir_fd(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
}

int
open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode = 0;

	va_start(ap, flags);
	if (flags & O_CREAT)
		mode = (mode_t)va_arg(ap, int);
	va_end(ap);
	if ((flags & O_CREAT) && fail_open_eexist > 0) {
		fail_open_eexist--;
		errno = EEXIST;
		return -1;
	}
	if (flags & O_CREAT)
		event("open");
	return (int)syscall(SYS_openat, AT_FDCWD, path, flags, mode);
}

int
link(const char *from, const char *to)
{
	if (fail_link_eexist > 0) {
		fail_link_eexist--;
		errno = EEXIST;
		return -1;
	}
	if (fail_link_eio) {
		errno = EIO;
		return -1;
	}
	event("link");
	return (int)syscall(SYS_linkat, AT_FDCWD, from, AT_FDCWD, to, 0);
}

int
fsync(int fd)
{
	int dir = is_dir_fd(fd);

	event(dir ? "fsyncdir" : "fsync");
	if ((dir && fail_fsync_dir) || (!dir && fail_fsync_file)) {
		errno = EIO;
		return -1;
	}
	return (int)syscall(SYS_fsync, fd);
}

int
unlink(const char *path)
{
	event("unlink");
	return (int)syscall(SYS_unlinkat, AT_FDCWD, path, 0);
}

/* number of entries in dir/sub (without . and ..); first name to *name */
static int
count(const char *md, const char *sub, char *name, size_t namelen)
{
	char p[512];
	DIR *d;
	struct dirent *e;
	int n = 0;

	snprintf(p, sizeof p, "%s/%s", md, sub);
	if (!(d = opendir(p)))
		return -1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			if (!n && name)
				snprintf(name, namelen, "%s", e->d_name);
			n++;
		}
	closedir(d);
	return n;
}

static void
free_tx(struct maildir_tx *t)
{
	stralloc_free(&t->dir);
	stralloc_free(&t->tmpname);
	stralloc_free(&t->newname);
}

/* deliver msg into md; 0 ok, -1 failure (aborted) */
static int
deliver(struct maildir_tx *t, const char *md, const char *msg, size_t len,
    const char *info)
{
	if (maildir_open(t, md) < 0)
		return -1;
	if (maildir_write(t, msg, len) < 0 || maildir_commit(t, info) < 0) {
		maildir_abort(t);
		return -1;
	}
	return 0;
}

static char *
mdpath(const char *name)
{
	static char p[512];

	snprintf(p, sizeof p, "%s/%s", base, name);
	return p;
}

static void
test_make(void)
{
	char md[512], p[600];
	struct stat st;

	snprintf(md, sizeof md, "%s", mdpath("Maildir"));
	CHECK(maildir_make(md) == 0, "maildir_make");
	snprintf(p, sizeof p, "%s/new", md);
	CHECK(stat(p, &st) == 0 && S_ISDIR(st.st_mode) &&
	    (st.st_mode & 0777) == 0700, "new/ is a 0700 directory");
	snprintf(p, sizeof p, "%s/cur", md);
	CHECK(stat(p, &st) == 0 && S_ISDIR(st.st_mode), "cur/ exists");
	snprintf(p, sizeof p, "%s/tmp", md);
	CHECK(stat(p, &st) == 0 && S_ISDIR(st.st_mode), "tmp/ exists");
	CHECK(maildir_make(md) == 0, "maildir_make again is fine");
	snprintf(p, sizeof p, "%s/no/such/Maildir", base);
	CHECK(maildir_make(p) == -1 && errno == ENOENT,
	    "maildir_make without parent fails");
}

/* check name: SECS.M<usec>P<pid>Q<n>R<16 hex>.HOST,S=<s>,W=<w> */
static int
name_ok(const char *n, unsigned long size, unsigned long crlf)
{
	unsigned long secs, usec, pid, q, s, w;
	char r[17], host[256];
	int used = 0;

	if (sscanf(n, "%lu.M%luP%luQ%luR%16[0-9a-f].%255[^,],S=%lu,W=%lu%n",
	    &secs, &usec, &pid, &q, r, host, &s, &w, &used) != 8)
		return 0;
	return n[used] == 0 && strlen(r) == 16 && pid == (unsigned long)getpid()
	    && usec < 1000000 && s == size && w == crlf && !strchr(host, '/');
}

static void
test_deliver(void)
{
	struct maildir_tx t = {0};
	const char *msg = "From: a@b\nSubject: x\n\nbody\n";
	char md[512], name[300], p[900], back[100];
	struct stat st;
	int fd;
	ssize_t n;

	snprintf(md, sizeof md, "%s", mdpath("Maildir"));
	events[0] = 0;
	CHECK(deliver(&t, md, msg, strlen(msg), NULL) == 0, "deliver");
	CHECK(!strcmp(events, "open fsync link fsyncdir unlink "),
	    "order: create, fsync, link, fsync new/, unlink tmp");
	printf("# events: %s\n", events);
	CHECK(count(md, "new", name, sizeof name) == 1, "one file in new/");
	CHECK(count(md, "tmp", 0, 0) == 0, "tmp/ empty");
	CHECK(name_ok(name, strlen(msg), strlen(msg) + 4), "name format, S=, W=");
	printf("# name: %s\n", name);
	CHECK(!strncmp(name, strrchr(t.tmpname.s, '/') + 1,
	    strlen(strrchr(t.tmpname.s, '/') + 1)),
	    "new/ name is the tmp/ name plus sizes");
	snprintf(p, sizeof p, "%s/new/%s", md, name);
	CHECK(!strcmp(p, t.newname.s), "newname is the delivered path");
	CHECK(stat(p, &st) == 0 && (st.st_mode & 0777) == 0600 &&
	    st.st_size == (off_t)strlen(msg), "mode 0600, size");
	fd = open(p, O_RDONLY);
	n = read(fd, back, sizeof back);
	close(fd);
	CHECK(n == (ssize_t)strlen(msg) && !memcmp(back, msg, (size_t)n),
	    "content");
	unlink(p);
	maildir_abort(&t);
	CHECK(stat(p, &st) < 0, "abort after commit removes nothing else");
	free_tx(&t);
}

static void
test_big_and_pieces(void)
{
	struct maildir_tx t = {0};
	static char big[100000];
	char md[512], name[300], p[900];
	unsigned long lines = 0;
	size_t i, off;
	struct stat st;

	for (i = 0; i < sizeof big; i++) {
		big[i] = (i % 77 == 76) ? '\n' : (char)('a' + i % 26);
		lines += big[i] == '\n';
	}
	snprintf(md, sizeof md, "%s", mdpath("Maildir"));
	CHECK(maildir_open(&t, md) == 0, "open for big message");
	/* pieces of every size: small, buffer-sized, larger than the buffer */
	for (off = 0, i = 1; off < sizeof big; i = i * 3 + 1) {
		size_t n = i < sizeof big - off ? i : sizeof big - off;

		if (maildir_write(&t, big + off, n) < 0)
			break;
		off += n;
	}
	CHECK(off == sizeof big, "all pieces written");
	CHECK(t.size == sizeof big && t.lines == lines, "size and lines counted");
	CHECK(maildir_commit(&t, NULL) == 0, "commit big");
	CHECK(count(md, "new", name, sizeof name) == 1 &&
	    name_ok(name, sizeof big, sizeof big + lines), "big name sizes");
	snprintf(p, sizeof p, "%s/new/%s", md, name);
	CHECK(stat(p, &st) == 0 && st.st_size == (off_t)sizeof big,
	    "big size on disk");
	{
		static char back[sizeof big];
		int fd = open(p, O_RDONLY);

		CHECK(read(fd, back, sizeof back) == (ssize_t)sizeof big &&
		    !memcmp(back, big, sizeof big), "big content intact");
		close(fd);
	}
	unlink(p);
	/* the same struct, reused */
	CHECK(deliver(&t, md, "x\n", 2, NULL) == 0 &&
	    count(md, "new", name, sizeof name) == 1 && name_ok(name, 2, 3),
	    "struct reused for a second message");
	snprintf(p, sizeof p, "%s/new/%s", md, name);
	unlink(p);
	/* empty message */
	CHECK(deliver(&t, md, "", 0, NULL) == 0 &&
	    count(md, "new", name, sizeof name) == 1 && name_ok(name, 0, 0),
	    "empty message");
	snprintf(p, sizeof p, "%s/new/%s", md, name);
	unlink(p);
	free_tx(&t);
}

static void
test_unique(void)
{
	struct maildir_tx t = {0};
	char md[512];
	int i, ok = 1;

	snprintf(md, sizeof md, "%s", mdpath("Many"));
	maildir_make(md);
	for (i = 0; i < 1000 && ok; i++)
		ok = deliver(&t, md, "m\n", 2, NULL) == 0;
	CHECK(ok, "1000 deliveries");
	CHECK(count(md, "new", 0, 0) == 1000, "1000 distinct names in new/");
	CHECK(count(md, "tmp", 0, 0) == 0, "tmp/ empty after 1000");
	free_tx(&t);
}

static void
test_retry(void)
{
	struct maildir_tx t = {0};
	char md[512], name[300];

	snprintf(md, sizeof md, "%s", mdpath("Retry"));
	maildir_make(md);
	fail_open_eexist = 3;
	CHECK(deliver(&t, md, "r\n", 2, NULL) == 0 && fail_open_eexist == 0,
	    "tmp name collision retried");
	fail_link_eexist = 3;
	CHECK(deliver(&t, md, "r\n", 2, NULL) == 0 && fail_link_eexist == 0,
	    "new name collision retried");
	CHECK(count(md, "new", 0, 0) == 2 && count(md, "tmp", 0, 0) == 0,
	    "two delivered after collisions");
	fail_open_eexist = 1000;
	CHECK(deliver(&t, md, "r\n", 2, NULL) == -1 && errno == EEXIST,
	    "endless tmp collisions give up");
	fail_open_eexist = 0;
	fail_link_eexist = 1000;
	CHECK(deliver(&t, md, "r\n", 2, NULL) == -1, "endless link collisions give up");
	fail_link_eexist = 0;
	CHECK(count(md, "new", 0, 0) == 2 && count(md, "tmp", 0, 0) == 0,
	    "nothing left by the failures");
	(void)name;
	free_tx(&t);
}

static void
test_failures(void)
{
	struct maildir_tx t = {0};
	char md[512], p[600];

	snprintf(md, sizeof md, "%s", mdpath("Fail"));
	maildir_make(md);
	fail_fsync_file = 1;
	CHECK(deliver(&t, md, "f\n", 2, NULL) == -1 && errno == EIO,
	    "failed fsync fails the commit");
	fail_fsync_file = 0;
	CHECK(count(md, "new", 0, 0) == 0 && count(md, "tmp", 0, 0) == 0,
	    "failed fsync: new/ and tmp/ empty");
	fail_link_eio = 1;
	CHECK(deliver(&t, md, "f\n", 2, NULL) == -1 && errno == EIO,
	    "failed link fails the commit");
	fail_link_eio = 0;
	CHECK(count(md, "new", 0, 0) == 0 && count(md, "tmp", 0, 0) == 0,
	    "failed link: new/ and tmp/ empty");
	fail_fsync_dir = 1;
	CHECK(deliver(&t, md, "f\n", 2, NULL) == -1 && errno == EIO,
	    "failed fsync of new/ fails the commit");
	fail_fsync_dir = 0;
	CHECK(count(md, "new", 0, 0) == 0 && count(md, "tmp", 0, 0) == 0,
	    "failed fsync of new/: link undone");

	snprintf(p, sizeof p, "%s/nonexistent", base);
	CHECK(maildir_open(&t, p) == -1 && errno == ENOENT,
	    "open in a missing Maildir fails");
	maildir_abort(&t);
	CHECK(maildir_write(&t, "x", 1) == -1, "write after failed open fails");
	CHECK(maildir_commit(&t, NULL) == -1, "commit after failed open fails");

	CHECK(maildir_open(&t, md) == 0, "open for bad info");
	CHECK(maildir_commit(&t, "2,S/../x") == -1 && errno == EINVAL,
	    "info with '/' refused");
	CHECK(maildir_commit(&t, "") == -1 && errno == EINVAL,
	    "empty info refused");
	maildir_abort(&t);
	CHECK(count(md, "new", 0, 0) == 0 && count(md, "cur", 0, 0) == 0 &&
	    count(md, "tmp", 0, 0) == 0, "bad info: nothing anywhere");
	free_tx(&t);
}

static void
test_cur(void)
{
	struct maildir_tx t = {0};
	char md[512], name[300];

	snprintf(md, sizeof md, "%s", mdpath("Cur"));
	maildir_make(md);
	CHECK(deliver(&t, md, "c\n", 2, "2,S") == 0, "deliver to cur/");
	CHECK(count(md, "new", 0, 0) == 0 && count(md, "cur", name,
	    sizeof name) == 1, "file in cur/, not new/");
	CHECK(strlen(name) > 4 && !strcmp(name + strlen(name) - 4, ":2,S"),
	    "info appended");
	CHECK(deliver(&t, md, "c\n", 2, ":2,") == 0 &&
	    strstr(t.newname.s, ",W=3:2,") && !strstr(t.newname.s, "::"),
	    "leading colon in info accepted once");
	free_tx(&t);
}

/* a write that cannot fit: 64 KiB tmpfs as root, else RLIMIT_FSIZE */
static void
test_full(void)
{
	struct maildir_tx t = {0};
	static char chunk[16384];
	char mnt[512], md[600];
	struct rlimit old, lim;
	int mounted = 0, r = 0, i;

	memset(chunk, 'z', sizeof chunk);
	snprintf(mnt, sizeof mnt, "%s", mdpath("full"));
	mkdir(mnt, 0700);
	if (geteuid() == 0 && !getenv("T_MAILDIR_NO_MOUNT") &&
	    mount("tmpfs", mnt, "tmpfs", 0, "size=64k,mode=0700") == 0)
		mounted = 1;
	printf("# full disk by %s\n", mounted ? "a 64 KiB tmpfs" : "RLIMIT_FSIZE");
	snprintf(md, sizeof md, "%s/Maildir", mnt);
	CHECK(maildir_make(md) == 0, "Maildir on the small file system");
	getrlimit(RLIMIT_FSIZE, &old);
	if (!mounted) {
		signal(SIGXFSZ, SIG_IGN);
		lim = old;
		lim.rlim_cur = 65536;
		setrlimit(RLIMIT_FSIZE, &lim);
	}
	CHECK(maildir_open(&t, md) == 0, "open on the small file system");
	for (i = 0; i < 64 && r == 0; i++)
		r = maildir_write(&t, chunk, sizeof chunk);
	if (r == 0)
		r = maildir_commit(&t, NULL);
	CHECK(r == -1 && (errno == ENOSPC || errno == EFBIG),
	    "writing 1 MiB fails with ENOSPC/EFBIG");
	printf("# errno %d (%s) after %d chunks\n", errno, strerror(errno), i);
	CHECK(maildir_write(&t, "x", 1) == -1, "no write after a failure");
	CHECK(maildir_commit(&t, NULL) == -1, "no commit after a failure");
	maildir_abort(&t);
	CHECK(count(md, "new", 0, 0) == 0, "full disk: nothing in new/");
	CHECK(count(md, "tmp", 0, 0) == 0, "full disk: tmp/ cleaned by abort");
	if (!mounted)
		setrlimit(RLIMIT_FSIZE, &old);
	/* a small message still fits afterwards */
	CHECK(deliver(&t, md, "ok\n", 3, NULL) == 0 &&
	    count(md, "new", 0, 0) == 1, "small message fits after the failure");
	if (mounted)
		CHECK(umount(mnt) == 0, "tmpfs unmounted");
	free_tx(&t);
}

/* 4 processes delivering at once into one Maildir: no name clashes */
static void
test_parallel(void)
{
	struct maildir_tx t = {0};
	char md[512];
	pid_t pid[4];
	int i, j, status, ok = 1;

	snprintf(md, sizeof md, "%s", mdpath("Parallel"));
	maildir_make(md);
	fflush(stdout);
	for (i = 0; i < 4; i++) {
		if ((pid[i] = fork()) == 0) {
			for (j = 0; j < 100; j++)
				if (deliver(&t, md, "p\n", 2, NULL) < 0)
					_exit(1);
			_exit(0);
		}
	}
	for (i = 0; i < 4; i++)
		ok &= pid[i] > 0 && waitpid(pid[i], &status, 0) == pid[i] &&
		    WIFEXITED(status) && WEXITSTATUS(status) == 0;
	CHECK(ok, "4 processes x 100 deliveries succeeded");
	CHECK(count(md, "new", 0, 0) == 400, "400 distinct files in new/");
	CHECK(count(md, "tmp", 0, 0) == 0, "tmp/ empty after parallel run");
}

/* kill -9 in the middle of a message: nothing appears in new/ */
static void
test_killed(void)
{
	char md[512], name[300], p[900], c;
	int fds[2], status;
	pid_t pid;
	struct stat st;

	snprintf(md, sizeof md, "%s", mdpath("Killed"));
	maildir_make(md);
	if (pipe(fds) < 0)
		exit(2);
	fflush(stdout);
	if ((pid = fork()) == 0) {
		struct maildir_tx t = {0};
		static char half[20000];

		memset(half, 'h', sizeof half);
		if (maildir_open(&t, md) < 0 ||
		    maildir_write(&t, half, sizeof half) < 0)
			_exit(1);
		if (write(fds[1], "r", 1) != 1)
			_exit(1);
		pause();	/* never commits */
		_exit(0);
	}
	close(fds[1]);
	CHECK(pid > 0 && read(fds[0], &c, 1) == 1, "writer is mid-message");
	kill(pid, SIGKILL);
	CHECK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status),
	    "writer killed");
	close(fds[0]);
	CHECK(count(md, "new", 0, 0) == 0 && count(md, "cur", 0, 0) == 0,
	    "killed writer: nothing in new/ or cur/");
	CHECK(count(md, "tmp", name, sizeof name) == 1,
	    "killed writer: its partial file stays in tmp/");
	snprintf(p, sizeof p, "%s/tmp/%s", md, name);
	CHECK(stat(p, &st) == 0 && st.st_size == 20000,
	    "the partial tmp/ file holds what was written (big write unbuffered)");
}

/* keyed deliveries: a repeat of the same key is "already delivered" and
 * leaves exactly one copy; a different key is a second message */
static void
test_keyed(void)
{
	struct maildir_tx t = {0};
	const char *msg = "Subject: once\n\nonly once\n";
	char md[512], name[300];

	snprintf(md, sizeof md, "%s", mdpath("Keyed"));
	CHECK(maildir_make(md) == 0, "keyed: make");
	CHECK(maildir_open_keyed(&t, md, "bad/key") < 0 && errno == EINVAL,
	    "keyed: '/' in key refused");
	CHECK(maildir_open_keyed(&t, md, "") < 0, "keyed: empty key refused");
	CHECK(maildir_open_keyed(&t, md, "1700000000.Qabc.12_ff") == 0 &&
	    maildir_write(&t, msg, strlen(msg)) == 0 &&
	    maildir_commit(&t, NULL) == 0, "keyed: first delivery");
	CHECK(count(md, "new", name, sizeof name) == 1 &&
	    !strncmp(name, "1700000000.Qabc.12_ff.", 22), "keyed: name starts with key");
	CHECK(maildir_open_keyed(&t, md, "1700000000.Qabc.12_ff") == 0 &&
	    maildir_write(&t, msg, strlen(msg)) == 0 &&
	    maildir_commit(&t, NULL) == 1, "keyed: repeat says already delivered");
	CHECK(count(md, "new", 0, 0) == 1, "keyed: still one copy");
	CHECK(count(md, "tmp", 0, 0) == 0, "keyed: repeat left nothing in tmp/");
	CHECK(maildir_open_keyed(&t, md, "1700000000.Qabc.12_fe") == 0 &&
	    maildir_write(&t, msg, strlen(msg)) == 0 &&
	    maildir_commit(&t, NULL) == 0, "keyed: other key delivers");
	CHECK(count(md, "new", 0, 0) == 2, "keyed: two copies for two keys");
	CHECK(maildir_open(&t, md) == 0 && maildir_write(&t, msg, strlen(msg)) == 0 &&
	    maildir_commit(&t, NULL) == 0 && count(md, "new", 0, 0) == 3,
	    "keyed: a plain open after a keyed one gets a fresh name");
	free_tx(&t);
}

static void
cleanup(void)
{
	char cmd[300];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
	if (system(cmd) != 0)
		printf("# cleanup of %s failed\n", base);
}

int
main(void)
{
	if (!mkdtemp(base)) {
		perror("mkdtemp");
		return 2;
	}
	test_make();
	test_deliver();
	test_big_and_pieces();
	test_unique();
	test_retry();
	test_failures();
	test_cur();
	test_full();
	test_parallel();
	test_killed();
	test_keyed();
	cleanup();
	return TAP_DONE();
}
