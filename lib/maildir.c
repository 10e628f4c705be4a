/*
 * maildir.c -- write one message into a Maildir (maildir.h).
 *
 * Input: the Maildir path and the message bytes.  Output: one complete
 * file in new/ (or cur/), or nothing visible at all.  The order is the
 * Maildir discipline: create tmp/NAME exclusively (mode 0600), write,
 * fsync, close, link to new/NAME,S=..,W=.., fsync new/, unlink tmp/NAME.
 * Any failure before the link leaves only a tmp/ file (removed by
 * maildir_abort); a failed fsync of new/ after the link removes the new
 * name again, so "error" always means "not delivered".
 *
 * Names: SECONDS.M<usec>P<pid>Q<count>R<random>.HOST: the per-process
 * count and 64 random bits (getrandom) make a clash practically
 * impossible even on shared storage; an EEXIST from open or link is
 * answered with a fresh name, a few times.  The name in new/ is the tmp
 * name with ",S=<size>,W=<size with CRLF>" added (a fresh one only after
 * a collision).
 *
 * A struct maildir_tx must start zeroed (struct maildir_tx t = {0}),
 * like every stralloc; it can then be reused for message after message
 * and keeps its string storage.  After a successful commit, newname is
 * the path of the delivered file.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <fmt.h>

#include "maildir.h"
#include "sysutil.h"

#define NAME_TRIES	8	/* fresh names tried on EEXIST */
#define INFO_MAX	64	/* longest ":2,FLAGS" info accepted */

static unsigned long deliveries;	/* Q<count> */
static char host[4 * 64 + 1];		/* encoded host name, cached */

/* this host's name with '/' and ':' encoded as \057 and \072 */
static const char *
host_encoded(void)
{
	char name[65];
	size_t i, o = 0;

	if (host[0])
		return host;
	if (gethostname(name, sizeof name - 1) < 0 || !name[0])
		strcpy(name, "localhost");
	name[sizeof name - 1] = 0;
	for (i = 0; name[i]; i++) {
		if (name[i] == '/' || name[i] == ':') {
			memcpy(host + o, name[i] == '/' ? "\\057" : "\\072", 4);
			o += 4;
		} else
			host[o++] = name[i];
	}
	host[o] = 0;
	return host;
}

static unsigned long long
random64(void)
{
	unsigned long long r;
	struct timeval tv;

	if (getrandom(&r, sizeof r, GRND_NONBLOCK) == (ssize_t)sizeof r)
		return r;
	/* no entropy yet (early boot): still unique per pid and time */
	gettimeofday(&tv, 0);
	return ((unsigned long long)tv.tv_usec << 32) ^
	    (unsigned long long)getpid() ^ ((unsigned long long)deliveries << 48);
}

/* libowfat 0.32's stralloc_catulong0 appends NULs instead of digits */
static int
cat_ulong(stralloc *sa, unsigned long v)
{
	char buf[FMT_ULONG] = "";	/* gcc cannot see fmt_ulong fill it */
	size_t n = fmt_ulong(buf, v);

	return stralloc_catb(sa, buf, n);
}

static int
cat_hex64(stralloc *sa, unsigned long long v)
{
	static const char hex[] = "0123456789abcdef";
	char buf[16];
	int i;

	for (i = 15; i >= 0; i--, v >>= 4)
		buf[i] = hex[v & 15];
	return stralloc_catb(sa, buf, sizeof buf);
}

/* sa = DIR/SUB/SECONDS.M<usec>P<pid>Q<count>R<random>.HOST; 1 ok */
static int
unique_name(stralloc *sa, const stralloc *dir, const char *sub)
{
	struct timeval tv;

	gettimeofday(&tv, 0);
	deliveries++;
	return stralloc_copyb(sa, dir->s, dir->len - 1) &&
	    stralloc_cats(sa, "/") && stralloc_cats(sa, sub) &&
	    stralloc_cats(sa, "/") &&
	    cat_ulong(sa, (unsigned long)tv.tv_sec) &&
	    stralloc_cats(sa, ".M") &&
	    cat_ulong(sa, (unsigned long)tv.tv_usec) &&
	    stralloc_cats(sa, "P") &&
	    cat_ulong(sa, (unsigned long)getpid()) &&
	    stralloc_cats(sa, "Q") && cat_ulong(sa, deliveries) &&
	    stralloc_cats(sa, "R") && cat_hex64(sa, random64()) &&
	    stralloc_cats(sa, ".") && stralloc_cats(sa, host_encoded());
}

int
maildir_open(struct maildir_tx *t, const char *maildir)
{
	int i;

	t->key[0] = 0;
	t->fd = -1;
	t->size = t->lines = 0;
	t->buflen = 0;
	t->tmpname.len = t->newname.len = 0;
	if (!stralloc_copys(&t->dir, maildir) || !stralloc_0(&t->dir)) {
		errno = ENOMEM;
		return -1;
	}
	for (i = 0; i < NAME_TRIES; i++) {
		if (!unique_name(&t->tmpname, &t->dir, "tmp") ||
		    !stralloc_0(&t->tmpname)) {
			t->tmpname.len = 0;
			errno = ENOMEM;
			return -1;
		}
		t->fd = open(t->tmpname.s,
		    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (t->fd >= 0)
			return 0;
		if (errno != EEXIST)
			break;
	}
	t->tmpname.len = 0;	/* nothing of ours to remove */
	return -1;
}

int
maildir_open_keyed(struct maildir_tx *t, const char *maildir, const char *key)
{
	size_t i, len = strlen(key);

	if (len == 0 || len > MAILDIR_KEY_MAX) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < len; i++) {
		char c = key[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_')) {
			errno = EINVAL;
			return -1;
		}
	}
	if (maildir_open(t, maildir) < 0)
		return -1;
	memcpy(t->key, key, len + 1);
	return 0;
}

/* a write failed: the file is useless, keep errno for the caller */
static int
write_failed(struct maildir_tx *t)
{
	int e = errno;

	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	errno = e;
	return -1;
}

static int
flush_buf(struct maildir_tx *t)
{
	if (t->buflen && write_all(t->fd, t->buf, t->buflen) < 0)
		return write_failed(t);
	t->buflen = 0;
	return 0;
}

static void
count_lines(struct maildir_tx *t, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;

	while ((p = memchr(p, '\n', (size_t)(end - p)))) {
		t->lines++;
		p++;
	}
}

int
maildir_write(struct maildir_tx *t, const char *buf, size_t len)
{
	if (t->fd < 0) {
		errno = EBADF;
		return -1;
	}
	count_lines(t, buf, len);
	t->size += len;
	if (t->buflen + len <= sizeof t->buf) {
		memcpy(t->buf + t->buflen, buf, len);
		t->buflen += len;
		return 0;
	}
	if (flush_buf(t) < 0)
		return -1;
	if (len >= sizeof t->buf) {
		if (write_all(t->fd, buf, len) < 0)
			return write_failed(t);
		return 0;
	}
	memcpy(t->buf, buf, len);
	t->buflen = len;
	return 0;
}

/*
 * newname = DIR/SUB/NAME,S=size,W=crlfsize[:INFO], where NAME is the tmp
 * file's name, or a fresh unique one after a collision; 1 ok
 */
static int
final_name(struct maildir_tx *t, const char *info, int fresh)
{
	const char *sub = info ? "cur" : "new";
	const char *tmpbase = strrchr(t->tmpname.s, '/') + 1;

	if (fresh && !t->key[0]) {
		if (!unique_name(&t->newname, &t->dir, sub))
			return 0;
	} else if (!stralloc_copyb(&t->newname, t->dir.s, t->dir.len - 1) ||
	    !stralloc_cats(&t->newname, "/") ||
	    !stralloc_cats(&t->newname, sub) ||
	    !stralloc_cats(&t->newname, "/") ||
	    !(t->key[0] ? stralloc_cats(&t->newname, t->key) &&
	    stralloc_cats(&t->newname, ".") &&
	    stralloc_cats(&t->newname, host_encoded()) :
	    stralloc_cats(&t->newname, tmpbase)))
		return 0;
	if (!stralloc_cats(&t->newname, ",S=") ||
	    !cat_ulong(&t->newname, t->size) ||
	    !stralloc_cats(&t->newname, ",W=") ||
	    !cat_ulong(&t->newname, t->size + t->lines))
		return 0;
	if (info && *info == ':')
		info++;		/* "2,S" and ":2,S" mean the same */
	if (info && (!stralloc_cats(&t->newname, ":") ||
	    !stralloc_cats(&t->newname, info)))
		return 0;
	return stralloc_0(&t->newname);
}

/* link tmp to a fresh final name; 0 ok, -1 error (errno) */
static int
link_final(struct maildir_tx *t, const char *info)
{
	int i;

	for (i = 0; i < NAME_TRIES; i++) {
		if (!final_name(t, info, i > 0)) {
			errno = ENOMEM;
			return -1;
		}
		if (link(t->tmpname.s, t->newname.s) == 0)
			return 0;
		if (errno != EEXIST)
			return -1;
		if (t->key[0])
			return 1;	/* a repeat of a keyed delivery */
	}
	return -1;
}

static int
info_valid(const char *info)
{
	size_t len = strlen(info), i;

	if (len && info[0] == ':') {
		info++;
		len--;
	}
	if (len == 0 || len > INFO_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (info[i] == '/' || (unsigned char)info[i] <= 32 ||
		    (unsigned char)info[i] >= 127)
			return 0;
	return 1;
}

int
maildir_commit(struct maildir_tx *t, const char *info)
{
	int e;

	if (info && !info_valid(info)) {
		errno = EINVAL;
		return -1;
	}
	if (t->fd < 0 || !t->tmpname.len) {
		errno = EBADF;
		return -1;
	}
	if (flush_buf(t) < 0)
		return -1;
	if (fsync(t->fd) < 0)
		return write_failed(t);
	e = close(t->fd);
	t->fd = -1;
	if (e < 0 || (e = link_final(t, info)) < 0)
		return -1;
	if (e == 1) {
		unlink(t->tmpname.s);
		t->tmpname.len = 0;
		return 1;
	}
	/* the link is the commit: make it durable before saying so */
	if (fsync_parent(t->newname.s) < 0) {
		e = errno;
		unlink(t->newname.s);
		errno = e;
		return -1;
	}
	unlink(t->tmpname.s);
	t->tmpname.len = 0;
	return 0;
}

void
maildir_abort(struct maildir_tx *t)
{
	int e = errno;

	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	if (t->tmpname.len)
		unlink(t->tmpname.s);
	t->tmpname.len = 0;
	errno = e;
}

int
maildir_make(const char *maildir)
{
	static const char *const subs[] = { "tmp", "new", "cur" };
	stralloc p = {0};
	size_t i;
	int r = 0;

	if (mkdir(maildir, 0700) < 0 && errno != EEXIST)
		return -1;
	for (i = 0; i < 3 && r == 0; i++) {
		if (!stralloc_copys(&p, maildir) || !stralloc_cats(&p, "/") ||
		    !stralloc_cats(&p, subs[i]) || !stralloc_0(&p)) {
			errno = ENOMEM;
			r = -1;
		} else if (mkdir(p.s, 0700) < 0 && errno != EEXIST)
			r = -1;
	}
	stralloc_free(&p);
	return r;
}
