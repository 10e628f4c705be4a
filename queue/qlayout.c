/*
 * qlayout.c -- see qlayout.h.  mkdir and mkfifo with EEXIST accepted, so
 * concurrent callers never trip over each other.
 *
 * As root (sluice-start) the layout is also repaired: ROOT/queue is made
 * setgid so that whatever sluice-queue creates gets group sluiceq, each
 * piece gets sluiceq:sluiceq and its mode, and files in a bucket whose
 * group was wrong (made before the repair) are given group sluiceq, so
 * sluice-send can append to them.
 */
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stralloc.h>

#include "qfile.h"
#include "qlayout.h"
#include "sysutil.h"

static uid_t quid;
static gid_t qgid;
static int asroot;

/* 1 if it was wrong and was fixed, 0 fine, -1 error */
static int
repair(const char *path, const struct stat *st, mode_t mode)
{
	if (!asroot)
		return 0;
	if (st->st_uid == quid && st->st_gid == qgid &&
	    (st->st_mode & 07777) == mode)
		return 0;
	if (chown(path, quid, qgid) || chmod(path, mode))
		return -1;
	return 1;
}

/* give group sluiceq to the files of a bucket that had the wrong group */
static void
repair_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	stralloc p = {0};
	struct stat st;

	if (!d)
		return;
	while ((e = readdir(d)))
		if (qf_id_valid(e->d_name) && stralloc_copys(&p, dir) &&
		    stralloc_cats(&p, "/") && stralloc_cats(&p, e->d_name) &&
		    stralloc_0(&p) && lstat(p.s, &st) == 0 &&
		    S_ISREG(st.st_mode) && st.st_gid != qgid)
			if (chown(p.s, quid, qgid) || chmod(p.s, 0660)) {
				/* sluice-send reports what it cannot open */
			}
	closedir(d);
	stralloc_free(&p);
}

static int
make(const char *path, int fifo)
{
	mode_t mode = fifo ? 0660 : 02770;
	struct stat st;
	int r;

	if (stat(path, &st) == 0) {
		r = repair(path, &st, mode);
		if (r > 0 && !fifo)
			repair_files(path);
		return r < 0 ? -1 : 0;
	}
	if (fifo ? mkfifo(path, mode) : mkdir(path, mode)) {
		if (errno == EEXIST)
			return 0;
		return -1;
	}
	/* the umask may have cut the mode; set it exactly */
	if (chmod(path, mode) || (asroot && chown(path, quid, qgid)))
		return -1;
	return 0;
}

static int
make_in(stralloc *p, const char *qdir, const char *rel, int fifo)
{
	if (!stralloc_copys(p, qdir) || !stralloc_cats(p, "/") ||
	    !stralloc_cats(p, rel) || !stralloc_0(p))
		return errno = ENOMEM, -1;
	return make(p->s, fifo);
}

/* As root: repair ROOT/queue.  Setuid (sluice-queue): refuse to create
 * anything unless ROOT/queue is setgid, or the pieces would get the
 * caller's group and sluice-send could not read them. */
static int
queue_dir(const char *qdir)
{
	struct stat st;

	asroot = geteuid() == 0;
	if (stat(qdir, &st))
		return -1;
	if (!asroot) {
		if (geteuid() != getuid() && !(st.st_mode & S_ISGID))
			return errno = EPERM, -1;
		return 0;
	}
	if (user_ids(QUEUE_USER, &quid, &qgid) != 1)
		return errno = ENOENT, -1;
	return repair(qdir, &st, 02750) < 0 ? -1 : 0;
}

int
qlayout_ensure(const char *qdir, const char **what)
{
	static stralloc p;
	char b[8] = "mess/NN";
	unsigned i;

	*what = "queue (not setgid yet: start the queue service once)";
	if (queue_dir(qdir))
		return -1;
	*what = "mess";
	if (make_in(&p, qdir, "mess", 0))
		return -1;
	*what = "mess/NN";
	for (i = 0; i < QF_BUCKETS; i++) {
		b[5] = (char)('0' + i / 10);
		b[6] = (char)('0' + i % 10);
		if (make_in(&p, qdir, b, 0))
			return -1;
	}
	*what = "tmp";
	if (make_in(&p, qdir, "tmp", 0))
		return -1;
	*what = "trigger";
	return make_in(&p, qdir, "trigger", 1);
}
