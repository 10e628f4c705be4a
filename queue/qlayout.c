/*
 * qlayout.c -- see qlayout.h.
 *
 * Everything inside ROOT/queue can be renamed or replaced by sluiceq, and
 * everything inside mess/ by group sluiceq (sluices, operators), while
 * this code also runs as root (sluice-start).  So no piece is ever used
 * by name after it was checked: the layout is walked with directory
 * descriptors, each piece is made with mkdirat/mkfifoat (EEXIST accepted,
 * so concurrent callers never trip over each other), opened with
 * O_NOFOLLOW, checked with fstat to be what it should be, and repaired
 * with fchown/fchmod on that descriptor.  A piece that is a symbolic link
 * or of the wrong type is refused (QL_ODD) and left as it is.
 *
 * As root the layout is also repaired: ROOT/queue is made setgid so that
 * whatever sluice-queue creates gets group sluiceq, each piece gets
 * sluiceq:sluiceq and its mode, and message files in a directory whose
 * group was wrong (made before the repair) are given group sluiceq, so
 * sluice-send can append to them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logmsg.h"
#include "qfile.h"
#include "qlayout.h"
#include "qscan.h"
#include "sysutil.h"

static uid_t quid;
static gid_t qgid;
static int asroot;

/* 1 if it was wrong and was fixed, 0 fine, -1 error */
static int
repair(int fd, const struct stat *st, mode_t mode)
{
	if (!asroot)
		return 0;
	if (st->st_uid == quid && st->st_gid == qgid &&
	    (st->st_mode & 07777) == mode)
		return 0;
	if (fchown(fd, quid, qgid) || fchmod(fd, mode))
		return -1;
	return 1;
}

/* one file of a repaired directory: only a message file of sluiceq (a
 * regular file with one link) gets group sluiceq, never what a link or
 * a second name would lead to */
static void
repair_file(int dfd, const char *name)
{
	struct stat st, st2;
	int fd;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) || st.st_gid == qgid)
		return;
	fd = S_ISREG(st.st_mode) ? openat(dfd, name, O_RDONLY | O_NOFOLLOW |
	    O_NONBLOCK | O_NOCTTY | O_CLOEXEC) : -1;
	if (fd >= 0 && fstat(fd, &st2) == 0 && S_ISREG(st2.st_mode) &&
	    st2.st_ino == st.st_ino && st2.st_dev == st.st_dev &&
	    st2.st_nlink == 1 && st2.st_uid == quid) {
		if (fchown(fd, quid, qgid) || fchmod(fd, 0660)) {
			/* sluice-send reports what it cannot open */
		}
	} else
		log_line("warning: left alone: ", name, " in the queue is not "
		    "a message file of " QUEUE_USER, NULL);
	if (fd >= 0)
		close(fd);
}

static void
repair_files(int dfd)
{
	DIR *d = qscan_fdopendir(dfd, ".");
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)))
		if (qf_id_valid(e->d_name))
			repair_file(dirfd(d), e->d_name);
	closedir(d);
}

/* name in dfd, opened without following a link and checked to be of
 * type (S_IFDIR or S_IFIFO, with one link): its descriptor, -1 (errno)
 * or QL_ODD */
static int
open_piece(int dfd, const char *name, mode_t type, struct stat *st)
{
	int dir = type == S_IFDIR, fd;

	if (fstatat(dfd, name, st, AT_SYMLINK_NOFOLLOW))
		return -1;
	if ((st->st_mode & S_IFMT) != type)
		return QL_ODD;
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    (dir ? O_DIRECTORY : O_NONBLOCK | O_NOCTTY));
	if (fd < 0)
		return errno == ELOOP || errno == ENOTDIR ? QL_ODD : -1;
	if (fstat(fd, st)) {
		close(fd);
		return -1;
	}
	if ((st->st_mode & S_IFMT) != type || (!dir && st->st_nlink != 1)) {
		close(fd);
		return QL_ODD;
	}
	return fd;
}

/* make (if missing), check and repair name in dfd: a directory's
 * descriptor (the caller closes it), 0 for the FIFO, -1 or QL_ODD */
static int
piece(int dfd, const char *name, mode_t type, mode_t mode)
{
	struct stat st;
	int made, fd, r;

	made = (type == S_IFDIR ? mkdirat(dfd, name, mode) :
	    mkfifoat(dfd, name, mode)) == 0;
	if (!made && errno != EEXIST)
		return -1;
	fd = open_piece(dfd, name, type, &st);
	if (fd < 0)
		return fd;
	if (made)	/* the umask may have cut the mode; set it exactly */
		r = (asroot && fchown(fd, quid, qgid)) || fchmod(fd, mode) ?
		    -1 : 0;
	else if ((r = repair(fd, &st, mode)) > 0 && type == S_IFDIR)
		repair_files(fd);
	if (r < 0 || type != S_IFDIR) {
		int e = errno;

		close(fd);
		errno = e;
		return r < 0 ? -1 : 0;
	}
	return fd;
}

/* ROOT/queue itself.  As root: repaired.  Setuid (sluice-queue): refuse
 * to create anything unless ROOT/queue is setgid, or the pieces would get
 * the caller's group and sluice-send could not read them. */
static int
queue_dir(const char *qdir)
{
	struct stat st;
	int fd = open(qdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	asroot = geteuid() == 0;
	if (fd < 0)
		return -1;
	if (fstat(fd, &st))
		goto fail;
	if (!asroot) {
		if (geteuid() != getuid() && !(st.st_mode & S_ISGID)) {
			errno = EPERM;
			goto fail;
		}
		return fd;
	}
	if (user_ids(QUEUE_USER, &quid, &qgid) != 1) {
		errno = ENOENT;
		goto fail;
	}
	if (repair(fd, &st, 02750) >= 0)
		return fd;
fail:
	{
		int e = errno;

		close(fd);
		errno = e;
	}
	return -1;
}

int
qlayout_ensure(const char *qdir, const char **what)
{
	static char bucket[8] = "mess/NN";
	int q, m = -1, r, e;
	unsigned i;

	*what = "queue (not setgid yet: start the queue service once)";
	q = queue_dir(qdir);
	if (q < 0)
		return -1;
	*what = "mess";
	r = m = piece(q, "mess", S_IFDIR, 02770);
	for (i = 0; m >= 0 && i < QF_BUCKETS; i++) {
		bucket[5] = (char)('0' + i / 10);
		bucket[6] = (char)('0' + i % 10);
		*what = bucket;
		r = piece(m, bucket + 5, S_IFDIR, 02770);
		if (r < 0)
			break;
		close(r);
	}
	if (r >= 0) {
		*what = "tmp";
		r = piece(q, "tmp", S_IFDIR, 02770);
	}
	if (r >= 0) {
		close(r);
		*what = "trigger";
		r = piece(q, "trigger", S_IFIFO, 0660);
	}
	e = errno;
	if (m >= 0)
		close(m);
	close(q);
	errno = e;
	return r < 0 ? r : 0;
}

int
qlayout_trigger_open(void)
{
	struct stat st;
	int fd;

	if (lstat("trigger", &st))
		return -1;
	if (!S_ISFIFO(st.st_mode))
		return QL_ODD;
	fd = open("trigger", O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY |
	    O_CLOEXEC);
	if (fd < 0)
		return errno == ELOOP ? QL_ODD : -1;
	if (fstat(fd, &st) || !S_ISFIFO(st.st_mode)) {
		close(fd);
		return QL_ODD;
	}
	return fd;
}
