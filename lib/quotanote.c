/*
 * quotanote.c -- see quotanote.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stralloc.h>

#include "control.h"
#include "decimal.h"
#include "logmsg.h"
#include "quotanote.h"
#include "sysutil.h"

int
quota_is_near(unsigned long used, unsigned long quota)
{
	/* used >= quota * PERCENT / 100, without overflow */
	return quota && (used >= quota || quota - used <=
	    quota / 100 * (100 - QUOTA_NEAR_PERCENT) +
	    quota % 100 * (100 - QUOTA_NEAR_PERCENT) / 100);
}

int
quotanote_key_ok(const char *key)
{
	size_t i, n = strlen(key);

	if (!n || n > QUOTANOTE_KEY_MAX || key[0] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		char c = key[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    strchr("._+=@-", c)))
			return 0;
	}
	return 1;
}

/* the next space- or newline-terminated field as a number */
static int
field(const char **p, const char *end, char stop, unsigned long *v)
{
	const char *e = memchr(*p, stop, (size_t)(end - *p));

	if (!e || !decimal_parse(*p, (size_t)(e - *p), 19, v))
		return 0;
	*p = e + 1;
	return 1;
}

int
quotanote_parse(const char *buf, size_t len, struct quotanote *n)
{
	const char *p = buf, *end = buf + len;
	size_t rest;

	memset(n, 0, sizeof *n);
	if (len > QUOTANOTE_LEN_MAX || !field(&p, end, ' ', &n->used) ||
	    !field(&p, end, ' ', &n->quota))
		return 0;
	rest = (size_t)(end - p);
	if (rest == 5 && !memcmp(p, "full\n", 5))
		n->full = 1;
	else if (rest != 5 || memcmp(p, "near\n", 5))
		return 0;
	return 1;
}

/* ROOT/quota/NAME */
static int
note_path(stralloc *p, const char *name)
{
	stralloc rel = {0};
	int ok = stralloc_copys(&rel, "quota/") && stralloc_cats(&rel, name) &&
	    stralloc_0(&rel) && instance_path(p, rel.s);

	stralloc_free(&rel);
	return ok;
}

int
quotanote_read(const char *key, struct quotanote *n)
{
	stralloc p = {0};
	char buf[QUOTANOTE_LEN_MAX + 1];
	struct stat st;
	ssize_t len;
	int fd, r = 0;

	if (!quotanote_key_ok(key))
		return 0;
	if (!note_path(&p, key)) {
		errno = ENOMEM;
		return -1;
	}
	fd = open(p.s, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	stralloc_free(&p);
	if (fd < 0)
		return errno == ENOENT || errno == EACCES ? 0 : -1;
	len = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ?
	    read(fd, buf, sizeof buf) : -1;
	close(fd);
	if (len > 0 && quotanote_parse(buf, (size_t)len, n)) {
		n->mtime = st.st_mtime;
		r = 1;
	}
	return r;
}

int
quotanote_write(const char *key, unsigned long used, unsigned long quota,
    int full)
{
	stralloc dst = {0}, tmp = {0}, line = {0};
	char num[24];
	int fd = -1, r = -1;

	if (!quotanote_key_ok(key))
		return 0;
	if (!stralloc_copys(&line, ".tmp.") ||
	    !stralloc_cats(&line, ulong_str(num, (unsigned long)getpid())) ||
	    !stralloc_0(&line) || !note_path(&tmp, line.s) ||
	    !note_path(&dst, key) ||
	    !stralloc_copys(&line, ulong_str(num, used)) ||
	    !stralloc_cats(&line, " ") ||
	    !stralloc_cats(&line, ulong_str(num, quota)) ||
	    !stralloc_cats(&line, full ? " full\n" : " near\n")) {
		errno = ENOMEM;
		goto out;
	}
	fd = open(tmp.s, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	    0640);
	if (fd < 0 || write_all(fd, line.s, line.len))
		goto out;
	if (link(tmp.s, dst.s) == 0)
		r = 1;
	else if (errno == EEXIST && rename(tmp.s, dst.s) == 0)
		r = 0;
out:
	if (fd >= 0) {
		close(fd);
		unlink(tmp.s);	/* after link, or a rename that failed */
	}
	stralloc_free(&dst);
	stralloc_free(&tmp);
	stralloc_free(&line);
	return r;
}

void
quotanote_remove(const char *key)
{
	stralloc p = {0};

	if (quotanote_key_ok(key) && note_path(&p, key) && unlink(p.s) &&
	    errno != ENOENT)
		log_line_sys("warning: cannot remove the quota note ", p.s, NULL);
	stralloc_free(&p);
}
