/*
 * util.c -- sluice-conf's small helpers: one-line error exits, instance
 * paths, the configuration lock, whole-file reads and atomic writes with
 * the right owner.
 *
 * Files are written through lib/atomicfile (temporary name, fsync,
 * rename).  When a file must belong to another user or group, it is
 * written under a second temporary name, chowned there and only then
 * renamed into place, so readers never see it with the wrong owner.
 * Strings built along the way come from an arena released at exit.
 */
#include <errno.h>
#include <setjmp.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "conf.h"
#include "atomicfile.h"
#include "control.h"
#include "exitcodes.h"
#include "logmsg.h"
#include "sysutil.h"

#define MSG_MAX 1024
#define FILE_MAX (256UL * 1024 * 1024)	/* biggest text source we read */

int conf_multiuid;

/* Memory that lives until exit: sluice-conf is a short-lived command, so
 * strings built along the way are taken from here and released together
 * at exit (arena_release, registered by main). */
union block {
	union block *next;
	max_align_t align;
};
static union block *arena;

void *
conf_alloc(size_t n)
{
	union block *b;

	if (n > (size_t)-1 - sizeof *b)
		fatal_nomem(EX_SL_TEMP);
	b = malloc(sizeof *b + n);
	if (!b)
		fatal_nomem(EX_SL_TEMP);
	b->next = arena;
	arena = b;
	return b + 1;
}

void
arena_release(void)
{
	while (arena) {
		union block *b = arena;
		arena = b->next;
		free(b);
	}
}

char *
sa_keep(stralloc *sa)
{
	char *s = conf_alloc(sa->len + 1);

	if (sa->len)
		memcpy(s, sa->s, sa->len);
	s[sa->len] = 0;
	stralloc_free(sa);
	return s;
}

static void
vmsg(char *buf, const char *s, va_list ap)
{
	size_t n = 0;

	buf[0] = 0;
	for (; s; s = va_arg(ap, const char *)) {
		size_t l = strlen(s);
		if (n + l >= MSG_MAX - 1)
			l = MSG_MAX - 1 - n;
		memcpy(buf + n, s, l);
		n += l;
		buf[n] = 0;
	}
}

static void (*fail_hook)(void);
static jmp_buf *trap;

void
fail_trap(jmp_buf *jb)
{
	trap = jb;
}

void
on_failure(void (*undo)(void))
{
	fail_hook = undo;
}

static void
run_fail_hook(void)
{
	void (*f)(void) = fail_hook;
	int e = errno;

	fail_hook = 0;		/* a failure inside the hook ends it */
	if (f)
		f();
	errno = e;
}

void
usage_fail(const char *s, ...)
{
	char buf[MSG_MAX];
	va_list ap;

	va_start(ap, s);
	vmsg(buf, s, ap);
	va_end(ap);
	if (trap) {
		log_line(buf, NULL);
		longjmp(*trap, 1);
	}
	run_fail_hook();
	fatal(EX_SL_USAGE, buf, NULL);
}

void
sys_fail(const char *s, ...)
{
	char buf[MSG_MAX];
	va_list ap;
	int e = errno;

	va_start(ap, s);
	vmsg(buf, s, ap);
	va_end(ap);
	errno = e;
	if (trap) {
		log_line_sys(buf, NULL);
		longjmp(*trap, 1);
	}
	run_fail_hook();
	fatal_sys(EX_SL_TEMP, buf, NULL);
}

void
stralloc_need(int ok)
{
	if (!ok)
		fatal_nomem(EX_SL_TEMP);
}

char *
str_join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = conf_alloc(la + lb + 1);

	memcpy(s, a, la);
	memcpy(s + la, b, lb + 1);
	return s;
}

char *
ipath(const char *rel)
{
	return str_join(str_join(instance_root(), "/"), rel);
}

char *
ipath2(const char *a, const char *b)
{
	return ipath(str_join(str_join(a, "/"), b));
}

void
lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s + 32);
}

int
has_ctl(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 32 || (unsigned char)s[i] >= 127)
			return 1;
	return 0;
}

void
instance_require(void)
{
	struct stat st;

	if (stat(ipath("control"), &st) < 0 || !S_ISDIR(st.st_mode))
		usage_fail("no sluice instance at ", instance_root(),
		    " (run sluice-conf init first)", NULL);
}

void
conf_lock(void)
{
	int fd = open(ipath(".sluice-conf.lock"),
	    O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0)
		sys_fail("unable to open ", ipath(".sluice-conf.lock"), NULL);
	if (lock_ex(fd) < 0)
		sys_fail("unable to lock ", ipath(".sluice-conf.lock"), NULL);
	/* stays open (and locked) until exit */
}

void
file_get(const char *path, stralloc *out, int must_exist)
{
	int r = file_read_small(path, out, FILE_MAX);

	if (r < 0)
		sys_fail("unable to read ", path, NULL);
	if (r == 0 && must_exist)
		usage_fail("missing file ", path, NULL);
}

static int
owned(const char *owner, const char *group)
{
	return conf_multiuid && (owner || group);
}

char *
owned_tmp(const char *path, const char *owner, const char *group)
{
	return owned(owner, group) ? str_join(path, ".sluice-conf-new") :
	    (char *)path;
}

void
owned_commit(const char *tmp, const char *path, const char *owner,
    const char *group)
{
	uid_t u = (uid_t)-1, ug;
	gid_t g = (gid_t)-1;

	if (!owned(owner, group))
		return;
	if (owner) {
		sys_user(owner, &u, &ug);
		g = ug;
	}
	if (group)
		g = sys_group(group);
	if (lchown(tmp, u, g) < 0 || rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		errno = e;
		sys_fail("unable to install ", path, NULL);
	}
	if (fsync_parent(path) < 0)
		sys_fail("unable to sync the directory of ", path, NULL);
}

void
file_put(const char *path, const char *data, size_t len, int mode,
    const char *owner, const char *group)
{
	char *tmp = owned_tmp(path, owner, group);

	if (atomic_write(tmp, data, len, mode) < 0)
		sys_fail("unable to write ", path, NULL);
	owned_commit(tmp, path, owner, group);
}

void
dir_make(const char *path, int mode, const char *owner, const char *group)
{
	uid_t u = (uid_t)-1;
	gid_t g = (gid_t)-1, ug;

	if (mkdir(path, (mode_t)mode) < 0 && errno != EEXIST)
		sys_fail("unable to create ", path, NULL);
	if (conf_multiuid && (owner || group)) {
		if (owner)
			sys_user(owner, &u, &ug);
		if (group)
			g = sys_group(group);
		else if (owner)
			g = ug;
		if (lchown(path, u, g) < 0)
			sys_fail("unable to chown ", path, NULL);
	}
	if (chmod(path, (mode_t)mode) < 0)
		sys_fail("unable to chmod ", path, NULL);
}

void
stdin_line(stralloc *out, size_t max)
{
	char buf[4096];
	ssize_t r;
	size_t n = 0;
	char *nl;

	/* a password is one short line: read what stdin holds, up to a bound */
	while (n < sizeof buf) {
		r = read(0, buf + n, sizeof buf - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			sys_fail("unable to read stdin", NULL);
		if (r == 0)
			break;
		n += (size_t)r;
		if (memchr(buf, '\n', n))
			break;
	}
	nl = memchr(buf, '\n', n);
	if (nl)
		n = (size_t)(nl - buf);
	else if (n == sizeof buf)
		usage_fail("password line too long", NULL);
	if (n && buf[n - 1] == '\r')
		n--;
	if (n > max)
		usage_fail("password longer than the limit", NULL);
	stralloc_need(stralloc_copyb(out, buf, n));
	stralloc_need(stralloc_0(out));
	out->len--;
}
