/*
 * qlayout.c -- see qlayout.h.  mkdir and mkfifo with EEXIST accepted, so
 * concurrent callers never trip over each other.
 */
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stralloc.h>

#include "qfile.h"
#include "qlayout.h"
#include "sysutil.h"

static int
own(const char *path)
{
	uid_t uid;
	gid_t gid;

	if (geteuid() != 0)
		return 0;
	if (user_ids(QUEUE_USER, &uid, &gid) != 1)
		return errno = ENOENT, -1;
	return chown(path, uid, gid);
}

static int
make(const char *path, int fifo)
{
	struct stat st;

	if (stat(path, &st) == 0)
		return 0;
	if (fifo ? mkfifo(path, 0660) : mkdir(path, 02770)) {
		if (errno == EEXIST)
			return 0;
		return -1;
	}
	/* the umask may have cut the mode; set it exactly */
	if (chmod(path, fifo ? 0660 : 02770) || own(path))
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

int
qlayout_ensure(const char *qdir, const char **what)
{
	static stralloc p;
	char b[8];
	unsigned i;

	*what = "mess";
	if (make_in(&p, qdir, "mess", 0))
		return -1;
	for (i = 0; i < QF_BUCKETS; i++) {
		b[0] = 'm'; b[1] = 'e'; b[2] = 's'; b[3] = 's'; b[4] = '/';
		b[5] = (char)('0' + i / 10);
		b[6] = (char)('0' + i % 10);
		b[7] = 0;
		*what = "mess/NN";
		if (make_in(&p, qdir, b, 0))
			return -1;
	}
	*what = "tmp";
	if (make_in(&p, qdir, "tmp", 0))
		return -1;
	*what = "trigger";
	return make_in(&p, qdir, "trigger", 1);
}
