/*
 * qscan.c -- see qscan.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logmsg.h"
#include "sysutil.h"
#include "qfile.h"
#include "qscan.h"

#define CHUNK	(1024 * 1024)

/* the statuses that point into buf[0..len) get copies of their own */
static int
own_statuses(struct qf *q, char **own, const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < q->nrcpt; i++) {
		char *st = q->r[i].status;

		if (!st || st < buf || st >= buf + len)
			continue;
		free(own[i]);
		if (!(own[i] = strdup(st)))
			return 0;
		q->r[i].status = own[i];
	}
	return 1;
}

/* a tail of `total` bytes at `off`, too big to hold: read the envelope,
 * then the journal a chunk at a time; 1, 0 or -1 as qfile_read */
static int
read_big(int fd, off_t off, unsigned long total, char **tail, size_t *taillen)
{
	stralloc out = {0};
	struct qf q;
	char *buf = malloc(CHUNK + 1), *env = 0, **own = 0;
	size_t have = 0, envmax = QF_ENV_MAX + 64, i;
	unsigned long done;
	int ret = -1;
	ssize_t r;

	memset(&q, 0, sizeof q);
	if (!buf || !(env = malloc(envmax + 1)))
		goto out;
	r = pread(fd, env, envmax, off);
	if (r <= 0)
		goto out;
	if (!stralloc_copyb(&out, env, (size_t)r))	/* kept as it is */
		goto out;
	r = qf_parse(env, (size_t)r, &q);
	if (r != 1) {
		ret = r == 0 ? 0 : -1;
		goto out;
	}
	if (!(own = calloc(q.nrcpt, sizeof *own)))
		goto out;
	for (i = 0; i < q.nrcpt; i++) {
		q.r[i].state = 0;	/* the journal is read again below */
		q.r[i].attempts = 0;
		q.r[i].status = 0;
		q.r[i].last = 0;
	}
	out.len = q.env_len;
	done = q.env_len;
	while (done < total) {
		size_t want = total - done > CHUNK - have ? CHUNK - have :
		    (size_t)(total - done), used;

		r = pread(fd, buf + have, want, off + (off_t)done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			goto out;
		done += (unsigned long)r;
		have += (size_t)r;
		used = qf_apply_journal(&q, buf, have);
		if (!own_statuses(&q, own, buf, have))
			goto out;
		if (!used && have == CHUNK)
			used = have;	/* an endless line: not a record */
		memmove(buf, buf + used, have - used);
		have -= used;
	}
	if (!qf_compact(&q, &out) || !stralloc_0(&out))
		goto out;
	*tail = out.s;
	*taillen = out.len - 1;
	out.s = 0;
	ret = 1;
out:
	if (own)
		for (i = 0; i < q.nrcpt; i++)
			free(own[i]);
	free(own);
	qf_free(&q);
	stralloc_free(&out);
	free(env);
	free(buf);
	return ret;
}

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
	if (st.st_size < off)
		return 0;
	if ((unsigned long)(st.st_size - off) > QF_TAIL_MAX)
		return read_big(fd, off, (unsigned long)(st.st_size - off),
		    tail, taillen);
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
qfile_append(const char *path, const char *rec, size_t len, int sync)
{
	struct stat st;
	int fd, e;

	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st)) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	if (write_all(fd, rec, len) == 0 && (!sync || fdatasync(fd) == 0)) {
		close(fd);
		return 0;
	}
	e = errno;
	if (ftruncate(fd, st.st_size) == 0)
		fdatasync(fd);
	close(fd);
	errno = e;
	return -1;
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
