/*
 * quota.c -- Maildir++ quota: MAILDIR/maildirsize holds the quota and
 * a running sum of the sizes of the messages in the Maildir and its
 * folders.  The file is recalculated (a scan of new/ and cur/ of the
 * Maildir and every .FOLDER, sizes from the S= in the names, else from
 * stat) when it is missing, malformed, larger than 5120 bytes, names a
 * different quota than users.cdb, or says "over quota" while being
 * older than 15 minutes (another program may have deleted mail without
 * updating it).  The new file is written in tmp/ and renamed into place.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <fmt.h>

#include "local.h"
#include "control.h"
#include "mdsize.h"
#include "sysutil.h"

#define MDSIZE_FILE_MAX	5120	/* Maildir++: recalculate when larger */
#define MDSIZE_STALE	900	/* seconds before an over-quota verdict is rechecked */

struct usage {
	unsigned long bytes, count;
};

static unsigned long
size_from_name(const char *dir, const char *name)
{
	const char *s = strstr(name, ",S=");
	unsigned long v = 0;
	struct stat st;
	stralloc p = { 0 };

	if (s) {
		for (s += 3; *s >= '0' && *s <= '9'; s++)
			v = v * 10 + (unsigned long)(*s - '0');
		return v;
	}
	if (stralloc_copys(&p, dir) && stralloc_cats(&p, "/") &&
	    stralloc_cats(&p, name) && stralloc_0(&p) && stat(p.s, &st) == 0)
		v = (unsigned long)st.st_size;
	stralloc_free(&p);
	return v;
}

/* add the messages in dir (a new/ or cur/) to u; a missing dir is empty */
static int
scan_dir(const char *dir, struct usage *u)
{
	DIR *dp = opendir(dir);
	struct dirent *de;

	if (!dp)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(dp))) {
		if (de->d_name[0] == '.')
			continue;
		u->bytes += size_from_name(dir, de->d_name);
		u->count++;
	}
	closedir(dp);
	return 0;
}

static int
scan_folder(const char *folder, struct usage *u)
{
	stralloc p = { 0 };
	int r = -1;

	if (stralloc_copys(&p, folder) && stralloc_cats(&p, "/new") &&
	    stralloc_0(&p) && scan_dir(p.s, u) == 0) {
		p.len -= 4;
		if (stralloc_cats(&p, "cur") && stralloc_0(&p))
			r = scan_dir(p.s, u);
	}
	stralloc_free(&p);
	return r;
}

static int
scan_maildir(const char *maildir, struct usage *u)
{
	DIR *dp;
	struct dirent *de;
	stralloc p = { 0 };
	int r = 0;

	u->bytes = u->count = 0;
	if (scan_folder(maildir, u) < 0 || !(dp = opendir(maildir)))
		return -1;
	while (r == 0 && (de = readdir(dp))) {
		if (de->d_name[0] != '.' || !strcmp(de->d_name, ".") ||
		    !strcmp(de->d_name, ".."))
			continue;
		if (!stralloc_copys(&p, maildir) || !stralloc_cats(&p, "/") ||
		    !stralloc_cats(&p, de->d_name) || !stralloc_0(&p))
			r = -1;
		else
			r = scan_folder(p.s, u);
	}
	closedir(dp);
	stralloc_free(&p);
	return r;
}

static int
path_in(stralloc *p, const char *maildir, const char *rel)
{
	return stralloc_copys(p, maildir) && stralloc_cats(p, "/") &&
	    stralloc_cats(p, rel) && stralloc_0(p);
}

/* put the new file in place: rename over a bad or stale one; where
 * there was none, link, so that of several deliveries racing to create
 * it the first wins and the later ones (whose scans may already miss
 * messages appended to the winner's file) keep their hands off */
static int
install(const char *tmp, const char *dst, int replace)
{
	if (replace)
		return rename(tmp, dst);
	if (link(tmp, dst) < 0 && errno != EEXIST)
		return -1;
	unlink(tmp);
	return 0;
}

/* write a fresh maildirsize: tmp/, then into place */
static int
recalculate(const char *maildir, unsigned long quota, struct usage *u,
    int replace)
{
	stralloc tmp = { 0 }, dst = { 0 };
	char buf[80], pid[21];
	size_t n;
	int fd = -1, r = -1;

	if (scan_maildir(maildir, u) < 0)
		return -1;
	n = mdsize_header(buf, quota);
	n += fmt_ulong(buf + n, u->bytes);
	buf[n++] = ' ';
	n += fmt_ulong(buf + n, u->count);
	buf[n++] = '\n';
	pid[fmt_ulong(pid, (unsigned long)getpid())] = 0;
	if (stralloc_copys(&tmp, maildir) &&
	    stralloc_cats(&tmp, "/tmp/maildirsize.") &&
	    stralloc_cats(&tmp, pid) && stralloc_0(&tmp) &&
	    path_in(&dst, maildir, "maildirsize") &&
	    (fd = open(tmp.s, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) >= 0 &&
	    write_all(fd, buf, n) == 0 && fsync(fd) == 0 &&
	    install(tmp.s, dst.s, replace) == 0)
		r = 0;
	if (fd >= 0)
		close(fd);
	if (r < 0 && tmp.s)
		unlink(tmp.s);
	stralloc_free(&tmp);
	stralloc_free(&dst);
	return r;
}

int
quota_over(const char *maildir, unsigned long quota, unsigned long msgsize,
    unsigned long *used)
{
	stralloc path = { 0 }, buf = { 0 };
	struct mdsize m;
	struct usage u;
	struct stat st;
	int r, ok = 0;

	if (!path_in(&path, maildir, "maildirsize")) {
		errno = ENOMEM;
		return -1;
	}
	r = file_read_small(path.s, &buf, MDSIZE_FILE_MAX);
	if (r > 0 && mdsize_parse(buf.s, buf.len, &m) && m.qbytes == quota) {
		ok = 1;
		u.bytes = m.bytes;
		u.count = m.count;
		if (u.bytes + msgsize > quota && stat(path.s, &st) == 0 &&
		    st.st_mtime + MDSIZE_STALE < time(0))
			ok = 0;	/* over quota by an old file: make sure */
	}
	stralloc_free(&buf);
	stralloc_free(&path);
	if (!ok && recalculate(maildir, quota, &u, r > 0) < 0)
		return -1;
	*used = u.bytes;
	return u.bytes + msgsize > quota;
}

void
quota_add(const char *maildir, unsigned long size)
{
	stralloc path = { 0 };
	char line[48];
	size_t n;
	int fd;

	if (!path_in(&path, maildir, "maildirsize"))
		return;
	n = fmt_ulong(line, size);
	memcpy(line + n, " 1\n", 3);
	n += 3;
	fd = open(path.s, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, line, n) != (ssize_t)n)
			unlink(path.s);	/* recalculated next time */
		close(fd);
	}
	stralloc_free(&path);
}
