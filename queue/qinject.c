/*
 * qinject.c -- the injection core (qinject.h), shared by sluice-queue and
 * sluice-injectd.  Runs as sluiceq in ROOT/queue.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "control.h"
#include "envelope.h"
#include "exitcodes.h"
#include "logmsg.h"
#include "qinject.h"
#include "qlayout.h"
#include "qsign.h"
#include "rfcdate.h"
#include "sysutil.h"

#define BUF_SIZE	(128 * 1024)

static void qin_fail_exit(int, const char *, const char *, int);
void (*qin_fail)(int, const char *, const char *, int) = qin_fail_exit;

static char tmpname[64];		/* "" while the file has no name */
static int tmpfd = -1;
static int committed;		/* linked into mess/: never unlink it now */
static char qid[QF_ID_MAX] = "-";	/* for the log, once known */
static char buf[BUF_SIZE];
static size_t buflen;
static unsigned long put_total;	/* bytes put so far: the file offset */
static struct qsign sign;

static void
qin_fail_exit(int code, const char *what, const char *id, int err)
{
	errno = err;
	if (err)
		fatal_sys(code, "fatal: ", what, " (queue id ", id, ")", NULL);
	fatal(code, "fatal: ", what, " (queue id ", id, ")", NULL);
}

static void __attribute__((noreturn))
fail(int code, const char *what, int err)
{
	if (tmpfd >= 0 && !committed && tmpname[0])
		unlink(tmpname);
	qin_fail(code, what, qid, err);
	_exit(code);		/* qin_fail does not return */
}

static void __attribute__((noreturn))
die(int code, const char *what)
{
	fail(code, what, 0);
}

static void __attribute__((noreturn))
die_sys(int code, const char *what)
{
	fail(code, what, errno);
}

static void
flush_buf(void)
{
	if (buflen && write_all(tmpfd, buf, buflen))
		die_sys(QX_WRITE, "cannot write message");
	buflen = 0;
}

static void
put(const char *s, size_t len)
{
	put_total += len;
	while (len) {
		size_t n = BUF_SIZE - buflen;

		if (n > len)
			n = len;
		memcpy(buf + buflen, s, n);
		buflen += n;
		s += n;
		len -= n;
		if (buflen == BUF_SIZE)
			flush_buf();
	}
}

static void
puts_(const char *s)
{
	put(s, strlen(s));
}

void
qin_layout(void)
{
	const char *what;
	int r = qlayout_ensure(".", &what), e = errno;
	stralloc t = {0};

	if (r == 0)
		return;
	if (!stralloc_copys(&t, "queue/") || !stralloc_cats(&t, what) ||
	    !stralloc_cats(&t, r == QL_ODD ? " is a symbolic link or of the "
	    "wrong type: refusing it" : ": cannot create it") ||
	    !stralloc_0(&t))
		die(QX_NOMEM, "out of memory");
	fail(QX_QUEUE, t.s, r == QL_ODD ? 0 : e);
}

/* an unnamed file in tmp/ (O_TMPFILE): nothing to clean up if we die */
static int
open_anonymous(void)
{
	tmpfd = open("tmp", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0660);
	if (tmpfd < 0 && errno == ENOENT) {
		qin_layout();
		tmpfd = open("tmp", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0660);
	}
	tmpname[0] = 0;
	return tmpfd >= 0;
}

/* where O_TMPFILE is not supported: tmp/PID.USEC, removed by the cleaner
 * of sluice-send if we are killed */
static void
open_named(struct timeval *tv)
{
	char num[24], num2[24];
	int tries;

	for (tries = 0; tries < 3; tries++) {
		gettimeofday(tv, 0);
		snprintf(tmpname, sizeof tmpname, "tmp/%s.%s",
		    ulong_str(num, (unsigned long)getpid()),
		    ulong_str(num2, (unsigned long)tv->tv_usec));
		tmpfd = open(tmpname, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		    0660);
		if (tmpfd >= 0)
			return;
		if (errno != EEXIST) {
			tmpname[0] = 0;
			die_sys(QX_QUEUE, "cannot create a file in tmp/");
		}
	}
	tmpname[0] = 0;
	die(QX_QUEUE, "cannot create a temporary file");
}

static void
open_tmp(struct timeval *tv)
{
	if (open_anonymous()) {
		gettimeofday(tv, 0);
		return;
	}
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
		die_sys(QX_QUEUE, "cannot create a file in tmp/");
	open_named(tv);
}

static void
put_received(const char *id, unsigned long uid, time_t t)
{
	stralloc me = {0};
	char num[24], date[RFCDATE_LEN];

	if (control_get_str("me", &me) < 0)
		die_sys(QX_CONFIG, "cannot read control/me");
	puts_("Received: (sluice-queue invoked by uid ");
	puts_(ulong_str(num, uid));
	puts_(")\n\tby ");
	puts_(me.len > 1 ? me.s : "localhost");
	puts_(" id ");
	puts_(id);
	puts_("; ");
	puts_(rfc_date(date, t));
	puts_("\n");
	stralloc_free(&me);
}

/* one read of the source within its timeout; -1 error (errno) */
static ssize_t
src_read(struct qin_src *src, int fd, char *to, size_t len)
{
	struct pollfd p;
	ssize_t r;

	for (;;) {
		if (src->timeout) {
			p.fd = fd;
			p.events = POLLIN;
			r = poll(&p, 1, (int)src->timeout * 1000);
			if (r == 0) {
				errno = ETIMEDOUT;
				return -1;
			}
			if (r < 0 && errno == EINTR)
				continue;
		}
		r = read(fd, to, len);
		if (r < 0 && errno == EINTR)
			continue;
		return r;
	}
}

/* the next bytes of the message; 0 at its end */
static size_t
read_msg(struct qin_src *src, char *to, size_t len)
{
	ssize_t r;
	char *nul;

	if (src->msg_done)
		return 0;
	r = src_read(src, src->msgfd, to, len);
	if (r < 0)
		die_sys(QX_READ, "cannot read message");
	if (r == 0) {
		if (src->nul_ends)
			die(QX_READ, "the message ended without its NUL "
			    "(client went away)");
		src->msg_done = 1;
		return 0;
	}
	if (!src->nul_ends || !(nul = memchr(to, 0, (size_t)r)))
		return (size_t)r;
	src->msg_done = 1;
	if (!stralloc_copyb(&src->pend, nul + 1, (size_t)(to + r - nul - 1)))
		die(QX_NOMEM, "out of memory");
	return (size_t)(nul - to);
}

/* where the header section of s[0..len) ends (after its empty line);
 * 0 when it has not ended yet */
static size_t
header_end(const char *s, size_t len)
{
	size_t i;

	if (len >= 1 && s[0] == '\n')
		return 1;
	if (len >= 2 && s[0] == '\r' && s[1] == '\n')
		return 2;
	for (i = 1; i < len; i++)
		if (s[i] == '\n' && (s[i - 1] == '\n' ||
		    (s[i - 1] == '\r' && i >= 2 && s[i - 2] == '\n')))
			return i + 1;
	return 0;
}

/* LF line ends only (queue/README): a CR would go out as a bare CR,
 * which receivers read in different ways (SMTP smuggling), and NUL is
 * not text */
static void
check_octets(const char *s, size_t len)
{
	if (memchr(s, '\r', len) || memchr(s, 0, len))
		die(QX_PERM, "the message contains a CR or NUL octet (lines "
		    "must end in LF alone)");
}

/* DKIM (qsign.h): read the header section first, and when the From:
 * domain has keys, reserve the room for the signature fields in front of
 * it; *sigoff is where they go.  Returns the bytes put. */
static unsigned long
copy_head(struct qin_src *src, unsigned long max, unsigned long *sigoff)
{
	static const char spaces[256] = { [0 ... 255] = ' ' };
	stralloc head = {0};
	size_t hlen = 0, r;
	unsigned long n;

	while (head.len <= DKIM_HDR_MAX) {
		size_t got;

		if (!stralloc_readyplus(&head, 65536))
			die(QX_NOMEM, "out of memory");
		got = read_msg(src, head.s + head.len, 65536);
		if (got == 0) {
			hlen = head.len;
			break;
		}
		check_octets(head.s + head.len, got);
		head.len += got;
		if (head.len > max)
			die(QX_PERM, "message too big");
		if ((hlen = header_end(head.s, head.len)))
			break;
	}
	if (hlen && qsign_begin(&sign, "../dkim", head.s, hlen) == 1) {
		*sigoff = put_total;
		for (n = sign.reserved; n; n -= r) {
			r = n < sizeof spaces ? n : sizeof spaces;
			put(spaces, r);
		}
		qsign_body(&sign, head.s + hlen, head.len - hlen);
	}
	put(head.s, head.len);
	n = head.len + (sign.active ? sign.reserved : 0);
	stralloc_free(&head);
	return n;
}

/* the signature fields into the room copy_head reserved */
static void
put_signature(unsigned long sigoff)
{
	stralloc sig = {0};

	if (!sign.active)
		return;
	if (qsign_finish(&sign, &sig) < 0)
		die(QX_BUG, "DKIM signing failed");
	flush_buf();
	if (pwrite(tmpfd, sig.s, sig.len, (off_t)sigoff) != (ssize_t)sig.len)
		die_sys(QX_WRITE, "cannot write message");
	stralloc_free(&sig);
	qsign_free(&sign);
}

/* copy the rest of the message into the file; returns the bytes copied */
static unsigned long
copy_message(struct qin_src *src, unsigned long max)
{
	unsigned long total = 0;

	for (;;) {
		size_t r;

		if (buflen == BUF_SIZE)
			flush_buf();
		r = read_msg(src, buf + buflen, BUF_SIZE - buflen);
		if (r == 0)
			return total;
		check_octets(buf + buflen, r);
		qsign_body(&sign, buf + buflen, r);
		buflen += r;
		total += (unsigned long)r;
		if (total > max)
			die(QX_PERM, "message too big");
	}
}

static void
read_envelope(struct qin_src *src, stralloc *block, size_t *nrcpt)
{
	stralloc *in = &src->pend;
	size_t used;
	int r = env_convert(in->s, in->len, block, nrcpt, &used);

	while (r == ENV_MORE) {
		ssize_t n;

		if (in->len > QF_ENV_MAX)
			die(QX_ENVELOPE, "envelope format error");
		if (!stralloc_readyplus(in, 8192))
			die(QX_NOMEM, "out of memory");
		n = src_read(src, src->envfd, in->s + in->len, 8192);
		if (n < 0)
			die_sys(QX_READ, "cannot read envelope");
		if (n == 0)
			die(QX_ENVELOPE, "envelope format error");
		in->len += (size_t)n;
		r = env_convert(in->s, in->len, block, nrcpt, &used);
	}
	switch (r) {
	case ENV_OK:
		break;
	case ENV_ADDRLONG:
		die(QX_ADDRLONG, "address too long");
	case ENV_TOOMANY:
		die(QX_PERM, "too many recipients");
	case ENV_NOMEM:
		die(QX_NOMEM, "out of memory");
	default:
		die(QX_ENVELOPE, "envelope format error");
	}
}

static void
put_envelope(struct qin_src *src, int bounce, time_t arrival)
{
	stralloc block = {0};
	size_t nrcpt;
	char num[24];

	read_envelope(src, &block, &nrcpt);
	puts_("A");
	puts_(ulong_str(num, (unsigned long)arrival));
	puts_("\nN");
	puts_(ulong_str(num, (unsigned long)bounce));
	puts_("\n");
	put(block.s, block.len);
	puts_("E\n");
	stralloc_free(&block);
}

/* give the file its name mess/BB/ID: the step that makes it visible */
static int
link_into(const char *path)
{
	char proc[40], num[24];

	if (tmpname[0])
		return rename(tmpname, path);
	snprintf(proc, sizeof proc, "/proc/self/fd/%s",
	    ulong_str(num, (unsigned long)tmpfd));
	return linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW);
}

/* move into mess/BB/ID and make that durable */
static void
commit(const char *id)
{
	stralloc path = {0};
	int r;

	if (!qf_mess_path(&path, id))
		die(QX_NOMEM, "out of memory");
	r = link_into(path.s);
	if (r && errno == ENOENT) {
		qin_layout();
		r = link_into(path.s);
	}
	if (r)
		die_sys(QX_QUEUE, "cannot move message into the queue");
	committed = 1;
	if (fsync_parent(path.s))
		die_sys(QX_WRITE, "cannot sync the queue directory");
	stralloc_free(&path);
}

static void
wake_manager(const char *id)
{
	char line[QF_ID_MAX + 2];
	int fd = qlayout_trigger_open();

	if (fd < 0)
		return;		/* not running: it scans when it starts */
	snprintf(line, sizeof line, "%s\n", id);
	if (write(fd, line, strlen(line)) < 0) {
		/* full FIFO: the manager's periodic scan finds it */
	}
	close(fd);
}

static void
reset(void)
{
	tmpname[0] = 0;
	tmpfd = -1;
	committed = 0;
	strcpy(qid, "-");
	buflen = 0;
	put_total = 0;
	memset(&sign, 0, sizeof sign);
}

void
qin_inject(struct qin_src *src, const struct qin_opts *o, char id[QF_ID_MAX])
{
	struct timeval tv;
	struct stat st;
	char head[QF_HEAD_LEN];
	unsigned long msglen, max = o->databytes + QF_SLACK, sigoff = 0,
	    headbytes = 0;

	reset();
	src->msg_done = 0;
	src->pend.len = 0;
	open_tmp(&tv);
	if (fstat(tmpfd, &st))
		die_sys(QX_QUEUE, "cannot stat the temporary file");
	qf_id_make(id, (unsigned long)tv.tv_sec, (unsigned long)tv.tv_usec,
	    (unsigned long long)st.st_ino);
	strcpy(qid, id);
	memset(head, '0', sizeof head);
	put(head, sizeof head);
	put_received(id, o->uid, tv.tv_sec);
	msglen = (unsigned long)buflen - QF_HEAD_LEN;
	if (o->sign)
		headbytes = copy_head(src, max, &sigoff);
	msglen += headbytes;
	msglen += copy_message(src, max - (headbytes < max ? headbytes : max));
	put_signature(sigoff);
	put_envelope(src, o->bounce, tv.tv_sec);
	flush_buf();
	qf_head_format(head, msglen);
	if (pwrite(tmpfd, head, sizeof head, 0) != (ssize_t)sizeof head)
		die_sys(QX_WRITE, "cannot write message");
	if (fsync(tmpfd))
		die_sys(QX_WRITE, "cannot sync message");
	commit(id);
	close(tmpfd);
	tmpfd = -1;
	wake_manager(id);
}
