/*
 * msgcopy.c -- reading the job's message: pread from the job's offset
 * (the descriptor's position is shared with the queue manager and never
 * used), in large chunks, never past the job's length.  A message shorter
 * than announced is an error (EIO), never a silently cut delivery.
 */
#include <errno.h>
#include <unistd.h>

#include "local.h"
#include "hdrscan.h"
#include "sysutil.h"

#define CHUNK (64 * 1024)

int
msg_each(struct ldelivery *d, int (*fn)(void *, const char *, size_t),
    void *arg)
{
	static char buf[CHUNK];
	unsigned long done = 0, len = d->job->length;

	if (d->hdr.len == len && len)
		return fn(arg, d->hdr.s, d->hdr.len);	/* already read it all */
	while (done < len) {
		size_t want = len - done < CHUNK ? len - done : CHUNK;
		ssize_t r = pread(d->msgfd, buf, want,
		    (off_t)(d->job->offset + done));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0) {
			errno = EIO;	/* the file is shorter than the job says */
			return -1;
		}
		if (fn(arg, buf, (size_t)r) < 0)
			return -1;
		done += (unsigned long)r;
	}
	return 0;
}

static int
to_fd(void *arg, const char *buf, size_t len)
{
	return write_all(*(int *)arg, buf, len);
}

int
msg_to_fd(struct ldelivery *d, int fd)
{
	return msg_each(d, to_fd, &fd);
}

int
msg_read_header(struct ldelivery *d)
{
	unsigned long len = d->job->length;

	d->hdr.len = 0;
	if (len > HDR_SCAN_MAX)
		len = HDR_SCAN_MAX;
	while (d->hdr.len < len) {
		size_t want = len - d->hdr.len < CHUNK ? len - d->hdr.len : CHUNK;
		ssize_t r;

		if (!stralloc_readyplus(&d->hdr, want)) {
			errno = ENOMEM;
			return -1;
		}
		r = pread(d->msgfd, d->hdr.s + d->hdr.len, want,
		    (off_t)(d->job->offset + d->hdr.len));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0) {
			errno = EIO;
			return -1;
		}
		d->hdr.len += (size_t)r;
		if (hdr_end(d->hdr.s, d->hdr.len))
			break;		/* at most 16 rescans of 1 MiB */
	}
	return 0;
}
