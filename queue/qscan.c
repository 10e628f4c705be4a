/*
 * qscan.c -- see qscan.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logmsg.h"
#include "qfile.h"
#include "qscan.h"

int
qfile_read(int fd, unsigned long *msglen, char **tail, size_t *taillen)
{
	char head[QF_HEAD_LEN];
	struct stat st;
	off_t off;

	*tail = 0;
	if (pread(fd, head, sizeof head, 0) != (ssize_t)sizeof head ||
	    !qf_head_parse(head, sizeof head, msglen))
		return 0;
	if (fstat(fd, &st))
		return -1;
	off = QF_HEAD_LEN + (off_t)*msglen;
	if (st.st_size < off || (unsigned long)(st.st_size - off) > QF_TAIL_MAX)
		return 0;
	*taillen = (size_t)(st.st_size - off);
	*tail = malloc(*taillen + 1);
	if (!*tail)
		return -1;
	if (pread(fd, *tail, *taillen, off) != (ssize_t)*taillen) {
		free(*tail);
		*tail = 0;
		if (!errno)
			errno = EIO;
		return -1;
	}
	(*tail)[*taillen] = 0;
	return 1;
}

DIR *
qscan_fdopendir(int dfd, const char *name)
{
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	DIR *d;

	if (fd < 0)
		return 0;
	d = fdopendir(fd);
	if (!d) {
		int e = errno;

		close(fd);
		errno = e;
	}
	return d;
}

int
qscan_ids(void (*fn)(const char *id, void *ctx), void *ctx)
{
	char dir[8] = "mess/NN";
	unsigned i;
	int ret = 0;

	for (i = 0; i < QF_BUCKETS; i++) {
		DIR *d;
		struct dirent *e;

		dir[5] = (char)('0' + i / 10);
		dir[6] = (char)('0' + i % 10);
		d = qscan_fdopendir(AT_FDCWD, dir);
		if (!d) {
			if (errno == ENOENT)	/* layout not made yet: empty */
				continue;
			log_line_sys("warning: cannot read ", dir, NULL);
			ret = -1;
			continue;
		}
		while ((e = readdir(d)))
			if (qf_id_valid(e->d_name))
				fn(e->d_name, ctx);
		closedir(d);
	}
	return ret;
}
