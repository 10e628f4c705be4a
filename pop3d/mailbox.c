/*
 * mailbox.c -- lock, snapshot and update of a Maildir for one POP3
 * session; see mailbox.h.  Runs in process B as the mailbox owner with
 * the Maildir as its current (and, in a root instance, root) directory,
 * so every path here is relative: tmp/, new/, cur/ and the lock file.
 *
 * Failure behaviour: a message that vanishes (another reader removed it)
 * is skipped or reported, never fatal; errors reading the directories
 * fail the login with MBOX_ERR.  Nothing is deleted before mbox_update.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mailbox.h"
#include "pop3cmd.h"
#include "sysutil.h"
#include "logmsg.h"

#define LOCKFILE "sluice-pop3.lock"
#define TMP_MAX_AGE (36 * 3600)
#define LOCK_WAIT_MS 1500

static int
add_name(struct mbox *m, const char *name, size_t len)
{
	struct mbox_msg *x;

	if (m->n >= MBOX_MAX_MESSAGES)
		return 0;	/* beyond this the mailbox is shown in part */
	if (m->n == m->alloc) {
		unsigned long na = m->alloc ? m->alloc * 2 : 1024;

		x = realloc(m->msgs, na * sizeof *x);
		if (!x)
			fatal_nomem(111);
		m->msgs = x;
		m->alloc = na;
	}
	if (m->nameslen + len + 1 > m->namesa) {
		size_t na = m->namesa ? m->namesa * 2 : 65536;
		char *p;

		while (na < m->nameslen + len + 1)
			na *= 2;
		p = realloc(m->names, na);
		if (!p)
			fatal_nomem(111);
		m->names = p;
		m->namesa = na;
	}
	x = &m->msgs[m->n++];
	x->name = m->nameslen;
	x->namelen = len;
	x->deleted = 0;
	if (!maildir_name_wsize(name, len, &x->size))
		x->size = MBOX_SIZE_UNKNOWN;
	memcpy(m->names + m->nameslen, name, len);
	m->names[m->nameslen + len] = 0;
	m->nameslen += len + 1;
	return 1;
}

static int
skip_entry(const struct dirent *d)
{
	return d->d_name[0] == '.' ||
	    (d->d_type != DT_REG && d->d_type != DT_UNKNOWN);
}

/* remove tmp/ leftovers of crashed deliveries (Maildir convention) */
static void
clean_tmp(void)
{
	DIR *dir = opendir("tmp");
	struct dirent *d;
	struct stat st;
	time_t now = time(0);

	if (!dir)
		return;
	while ((d = readdir(dir)))
		if (!skip_entry(d) &&
		    fstatat(dirfd(dir), d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode) && st.st_mtime + TMP_MAX_AGE < now &&
		    st.st_atime + TMP_MAX_AGE < now)
			unlinkat(dirfd(dir), d->d_name, 0);
	closedir(dir);
}

static int
scan_cur(struct mbox *m)
{
	DIR *dir = fdopendir(dup(m->curfd));
	struct dirent *d;

	if (!dir)
		return -1;
	while ((d = readdir(dir)))
		if (!skip_entry(d))
			add_name(m, d->d_name, strlen(d->d_name));
	closedir(dir);
	return 0;
}

/* new/NAME -> cur/NAME:2, ; the moved messages join the snapshot.
 * No fsync: a rename is atomic, so after a crash a message is under one
 * name or the other, with the same UIDL either way. */
static int
move_new(struct mbox *m)
{
	DIR *dir = opendir("new");
	struct dirent *d;
	char to[NAME_MAX + 8];
	size_t len;

	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		if (skip_entry(d))
			continue;
		len = strlen(d->d_name);
		memcpy(to, d->d_name, len + 1);
		if (!memchr(to, ':', len)) {
			memcpy(to + len, ":2,", 4);
			len += 3;
		}
		if (renameat(dirfd(dir), d->d_name, m->curfd, to) < 0) {
			if (errno != ENOENT)
				log_line_sys("cannot move new/", d->d_name,
				    (char *)0);
			continue;
		}
		add_name(m, to, len);
	}
	closedir(dir);
	return 0;
}

static const char *sort_names;

static int
by_name(const void *a, const void *b)
{
	const struct mbox_msg *x = a, *y = b;
	int c = maildir_name_cmp(sort_names + x->name, sort_names + y->name);

	/* equal as numbers ("01" and "1"): fall back to the bytes */
	return c ? c : strcmp(sort_names + x->name, sort_names + y->name);
}

/* The lock, waiting up to LOCK_WAIT_MS for a session that is just ending
 * (a client that reconnects right after QUIT, or one whose dropped
 * session is still exiting) before saying [IN-USE]. */
static int
take_lock(int fd)
{
	unsigned long long deadline = now_ms() + LOCK_WAIT_MS;
	struct timespec pause = { 0, 50 * 1000 * 1000 };

	while (lock_exnb(fd) < 0) {
		if ((errno != EWOULDBLOCK && errno != EAGAIN) ||
		    now_ms() >= deadline)
			return -1;
		nanosleep(&pause, 0);
	}
	return 0;
}

int
mbox_open(struct mbox *m)
{
	memset(m, 0, sizeof *m);
	m->lockfd = open(LOCKFILE, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (m->lockfd < 0) {
		log_line_sys("cannot open lock file", (char *)0);
		return MBOX_ERR;
	}
	if (take_lock(m->lockfd) < 0)
		return (errno == EWOULDBLOCK || errno == EAGAIN) ? MBOX_INUSE :
		    MBOX_ERR;
	m->curfd = open("cur", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (m->curfd < 0) {
		log_line_sys("cannot open cur", (char *)0);
		return MBOX_ERR;
	}
	clean_tmp();
	if (scan_cur(m) < 0 || move_new(m) < 0) {
		log_line_sys("cannot read the Maildir", (char *)0);
		return MBOX_ERR;
	}
	sort_names = m->names;
	if (m->n > 1)
		qsort(m->msgs, m->n, sizeof *m->msgs, by_name);
	return MBOX_OK;
}

const char *
mbox_name(const struct mbox *m, unsigned long i)
{
	return m->names + m->msgs[i].name;
}

int
mbox_msg_open(const struct mbox *m, unsigned long i, unsigned long *bytes)
{
	struct stat st;
	int fd = openat(m->curfd, mbox_name(m, i),
	    O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
		close(fd);
		errno = ENOENT;		/* not a message */
		return -1;
	}
	if (fd >= 0)
		*bytes = (unsigned long)st.st_size;
	return fd;
}

/* the size as sent, by reading the file (no W= in the name) */
static unsigned long
size_by_reading(int fd)
{
	static char buf[65536];
	unsigned long total = 0;
	int prevcr = 0;
	char last = '\n';
	ssize_t r;

	while ((r = read(fd, buf, sizeof buf)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		total += (unsigned long)r + pop3_crlf_extra(buf, (size_t)r,
		    &prevcr);
		last = buf[r - 1];
	}
	if (last != '\n')
		total += 2;	/* the transform ends the last line */
	return total;
}

unsigned long
mbox_size(struct mbox *m, unsigned long i)
{
	struct mbox_msg *x = &m->msgs[i];
	unsigned long bytes;
	int fd;

	if (x->size != MBOX_SIZE_UNKNOWN)
		return x->size;
	fd = mbox_msg_open(m, i, &bytes);
	if (fd < 0) {
		x->size = 0;	/* vanished; RETR will say so */
		return 0;
	}
	x->size = size_by_reading(fd);
	close(fd);
	return x->size;
}

void
mbox_unlock(struct mbox *m)
{
	if (m->lockfd >= 0)
		close(m->lockfd);	/* releases the flock */
	m->lockfd = -1;
}

unsigned long
mbox_update(struct mbox *m, unsigned long *removed)
{
	unsigned long i, failed = 0;

	*removed = 0;
	for (i = 0; i < m->n; i++) {
		if (!m->msgs[i].deleted)
			continue;
		if (unlinkat(m->curfd, mbox_name(m, i), 0) == 0 ||
		    errno == ENOENT)
			(*removed)++;
		else {
			log_line_sys("cannot remove cur/", mbox_name(m, i),
			    (char *)0);
			failed++;
		}
	}
	if (*removed && fsync(m->curfd) < 0)
		failed++;
	return failed;
}
