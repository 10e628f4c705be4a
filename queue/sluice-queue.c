/*
 * sluice-queue -- put one message into the queue; qmail-queue compatible.
 *
 * Runs as sluiceq (setuid, mode 4711) or as its trusted caller.  Reads the
 * message on fd 0 (LF line ends; a CR or NUL octet is refused, exit 31)
 * and the envelope ("F<sender>\0T<rcpt>\0...\0") on fd 1.
 * Touches only ROOT/queue: writes an unnamed file in tmp/ (O_TMPFILE),
 * fsyncs it, links it as mess/BB/ID, fsyncs that directory, then writes
 * "ID\n" to the trigger FIFO to wake sluice-send.  Exit 0 only after the
 * link is durable; otherwise one of qmail-queue's codes (lib/exitcodes.h,
 * queue/README).  A kill at any point leaves nothing (the unnamed file
 * goes with the process).  Where O_TMPFILE is missing the file is
 * tmp/PID.USEC, renamed instead; sluice-send's cleaner removes those a
 * killed injection leaves after a grace period.
 *
 * Environment: SLUICE_ROOT (setuid, only to find ROOT/queue: the settings
 * come from the instance that holds that directory); SLUICE_BOUNCE_LEVEL
 * (1 bounce, 2 double bounce; set by sluice-send for the bounces it
 * injects, and ignored from other callers when setuid);
 * SLUICE_QUEUEID_FD=N: write the queue id and "\n" on fd N after the
 * commit (HACKING.md; sluice-smtpd uses it for its 250 reply);
 * SLUICE_DKIM=no: do not sign (qsign.h says which mail is signed; the
 * keys in ROOT/dkim are readable by sluiceq alone).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <stralloc.h>

#include "control.h"
#include "envelope.h"
#include "exitcodes.h"
#include "logmsg.h"
#include "qfile.h"
#include "qlayout.h"
#include "qsign.h"
#include "rfcdate.h"
#include "sysutil.h"

#define BUF_SIZE	(128 * 1024)
#define INJECT_TIMEOUT	86400	/* an injection that takes longer is killed */

static char tmpname[64];		/* "" while the file has no name */
static int tmpfd = -1;
static int committed;		/* renamed into mess/: never unlink it now */
static char qid[QF_ID_MAX] = "-";	/* for the log, once known */
static char buf[BUF_SIZE];
static size_t buflen;
static unsigned long put_total;	/* bytes put so far: the file offset */
static struct qsign sign;

static void __attribute__((noreturn))
die(int code, const char *what)
{
	if (tmpfd >= 0 && !committed && tmpname[0])
		unlink(tmpname);
	fatal(code, "fatal: ", what, " (queue id ", qid, ")", NULL);
}

static void __attribute__((noreturn))
die_sys(int code, const char *what)
{
	int e = errno;

	if (tmpfd >= 0 && !committed && tmpname[0])
		unlink(tmpname);
	errno = e;
	fatal_sys(code, "fatal: ", what, " (queue id ", qid, ")", NULL);
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

/* make the missing pieces of the queue layout, or exit */
static void
ensure_layout(void)
{
	const char *what;
	int r = qlayout_ensure(".", &what), e = errno;

	if (r == 0)
		return;
	if (tmpfd >= 0 && !committed && tmpname[0])
		unlink(tmpname);
	if (r == QL_ODD)
		fatal(QX_QUEUE, "fatal: queue/", what, " is a symbolic link or "
		    "of the wrong type: refusing it", NULL);
	errno = e;
	fatal_sys(QX_QUEUE, "fatal: cannot create queue/", what, NULL);
}

/* an unnamed file in tmp/ (O_TMPFILE): nothing to clean up if we die */
static int
open_anonymous(void)
{
	tmpfd = open("tmp", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0660);
	if (tmpfd < 0 && errno == ENOENT) {
		ensure_layout();
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
	char num[24];
	int tries;

	for (tries = 0; tries < 3; tries++) {
		gettimeofday(tv, 0);
		strcpy(tmpname, "tmp/");
		strcat(tmpname, ulong_str(num, (unsigned long)getpid()));
		strcat(tmpname, ".");
		strcat(tmpname, ulong_str(num, (unsigned long)tv->tv_usec));
		tmpfd = open(tmpname, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		    0660);
		if (tmpfd >= 0)
			return;
		if (errno != EEXIST)
			fatal_sys(QX_QUEUE, "fatal: cannot create ", tmpname,
			    NULL);
	}
	fatal(QX_QUEUE, "fatal: cannot create a temporary file", NULL);
}

static void
open_tmp(struct timeval *tv)
{
	if (open_anonymous()) {
		gettimeofday(tv, 0);
		return;
	}
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
		fatal_sys(QX_QUEUE, "fatal: cannot create a file in tmp/", NULL);
	open_named(tv);
}

static void
put_received(const char *id, time_t t)
{
	stralloc me = {0};
	char num[24], date[RFCDATE_LEN];

	if (control_get_str("me", &me) < 0)
		die_sys(QX_CONFIG, "cannot read control/me");
	puts_("Received: (sluice-queue invoked by uid ");
	puts_(ulong_str(num, (unsigned long)getuid()));
	puts_(")\n\tby ");
	puts_(me.len > 1 ? me.s : "localhost");
	puts_(" id ");
	puts_(id);
	puts_("; ");
	puts_(rfc_date(date, t));
	puts_("\n");
	stralloc_free(&me);
}

/* where the header section of buf[0..len) ends (after its empty line);
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
copy_head(unsigned long max, unsigned long *sigoff)
{
	static const char spaces[256] = { [0 ... 255] = ' ' };
	stralloc head = {0};
	size_t hlen = 0, r;
	unsigned long n;

	while (head.len <= DKIM_HDR_MAX) {
		ssize_t got;

		if (!stralloc_readyplus(&head, 65536))
			die(QX_NOMEM, "out of memory");
		got = read(0, head.s + head.len, 65536);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			die_sys(QX_READ, "cannot read message");
		if (got == 0) {
			hlen = head.len;
			break;
		}
		check_octets(head.s + head.len, (size_t)got);
		head.len += (size_t)got;
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

/* copy fd 0 into the file; returns the bytes copied */
static unsigned long
copy_message(unsigned long max)
{
	unsigned long total = 0;

	for (;;) {
		ssize_t r;

		if (buflen == BUF_SIZE)
			flush_buf();
		r = read(0, buf + buflen, BUF_SIZE - buflen);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			die_sys(QX_READ, "cannot read message");
		}
		if (r == 0)
			return total;
		check_octets(buf + buflen, (size_t)r);
		qsign_body(&sign, buf + buflen, (size_t)r);
		buflen += (size_t)r;
		total += (unsigned long)r;
		if (total > max)
			die(QX_PERM, "message too big");
	}
}

static void
read_envelope(stralloc *block, size_t *nrcpt)
{
	stralloc in = {0};
	size_t used;
	int r = ENV_MORE;

	for (;;) {
		ssize_t n;

		if (!stralloc_readyplus(&in, 8192))
			die(QX_NOMEM, "out of memory");
		n = read(1, in.s + in.len, 8192);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die_sys(QX_READ, "cannot read envelope");
		}
		in.len += (size_t)n;
		r = env_convert(in.s, in.len, block, nrcpt, &used);
		if (r != ENV_MORE)
			break;
		if (n == 0 || in.len > QF_ENV_MAX)
			die(QX_ENVELOPE, "envelope format error");
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
	stralloc_free(&in);
}

/* run setuid or setgid: the caller's environment is not ours to trust */
static int
setuid_run(void)
{
	return getuid() != geteuid() || getgid() != getegid();
}

/*
 * Setuid, SLUICE_ROOT comes from whoever called us.  Work only in a queue
 * directory that belongs to our own (effective) user, which nobody else
 * can make, so a caller cannot aim our privileges at a directory of its
 * choosing; and take the settings (databytes, me) from the instance that
 * holds this very directory, never from one the caller names (a caller's
 * ROOT/queue could be a link to the real queue beside its own control/):
 * ".." must hold this directory under the name "queue" and be writable
 * by nobody but root or us.
 */
static void
own_instance(const char *qdir)
{
	struct stat q, r, rq;

	if (stat(".", &q) || q.st_uid != geteuid() || !S_ISDIR(q.st_mode))
		fatal(QX_QUEUE, "fatal: ", qdir,
		    " is not a queue directory owned by this program's user", NULL);
	if (stat("..", &r) || (r.st_uid != 0 && r.st_uid != geteuid()) ||
	    (r.st_mode & 022) ||
	    fstatat(AT_FDCWD, "../queue", &rq, AT_SYMLINK_NOFOLLOW) ||
	    rq.st_dev != q.st_dev || rq.st_ino != q.st_ino)
		fatal(QX_QUEUE, "fatal: ", qdir, " is not the queue directory "
		    "of an instance owned by root", NULL);
	instance_set_root("..");
}

/* SLUICE_BOUNCE_LEVEL is sluice-send's (uid sluices, group sluiceq):
 * from anyone else calling us setuid, it is ignored */
static int
bounce_level(void)
{
	const char *e = getenv("SLUICE_BOUNCE_LEVEL");

	if (setuid_run() && getuid() != 0 && getgid() != getegid())
		return 0;
	if (e && (e[0] == '1' || e[0] == '2') && !e[1])
		return e[0] - '0';
	return 0;
}

static void
put_envelope(time_t arrival)
{
	stralloc block = {0};
	size_t nrcpt;
	char num[24];

	read_envelope(&block, &nrcpt);
	puts_("A");
	puts_(ulong_str(num, (unsigned long)arrival));
	puts_("\nN");
	puts_(ulong_str(num, (unsigned long)bounce_level()));
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
	strcpy(proc, "/proc/self/fd/");
	strcat(proc, ulong_str(num, (unsigned long)tmpfd));
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
		ensure_layout();
		r = link_into(path.s);
	}
	if (r)
		die_sys(QX_QUEUE, "cannot move message into the queue");
	committed = 1;
	if (fsync_parent(path.s))
		fatal_sys(QX_WRITE, "fatal: cannot sync the queue directory",
		    NULL);
	stralloc_free(&path);
}

/* HACKING.md: a caller that sets SLUICE_QUEUEID_FD=N (N >= 3) gets the
 * queue id and a newline on fd N once the message is durable */
static void
report_id(const char *id)
{
	const char *e = getenv("SLUICE_QUEUEID_FD");
	char line[QF_ID_MAX + 2];
	unsigned long fd = 0;
	size_t i;

	if (!e || !*e)
		return;
	for (i = 0; e[i] && i < 4; i++) {
		if (e[i] < '0' || e[i] > '9')
			return;
		fd = fd * 10 + (unsigned long)(e[i] - '0');
	}
	if (e[i] || fd < 3 || fcntl((int)fd, F_GETFD) < 0)
		return;
	strcpy(line, id);
	strcat(line, "\n");
	if (write_all((int)fd, line, strlen(line))) {
		/* the caller stopped listening: the message is queued anyway */
	}
}

static void
wake_manager(const char *id)
{
	char line[QF_ID_MAX + 2];
	int fd = qlayout_trigger_open();

	if (fd < 0)
		return;		/* not running: it scans when it starts */
	strcpy(line, id);
	strcat(line, "\n");
	if (write(fd, line, strlen(line)) < 0) {
		/* full FIFO: the manager's periodic scan finds it */
	}
	close(fd);
}

/*
 * Sanitizer builds only (ASan calls this; nothing else does): LeakSanitizer
 * must stop the world with ptrace, which a setuid process does not allow,
 * and it then fails the run.  Leak checks stay on when not setuid.
 */
const char *__lsan_default_options(void);
const char *
__lsan_default_options(void)
{
	return setuid_run() ? "detect_leaks=0" : "";
}

int
main(int argc, char **argv)
{
	stralloc qdir = {0};
	struct timeval tv;
	struct stat st;
	char id[QF_ID_MAX], head[QF_HEAD_LEN];
	unsigned long msglen, databytes, sigoff = 0, headbytes = 0;

	log_init("sluice-queue");
	umask(007);
	sig_ignore(SIGPIPE);
	sig_default(SIGALRM);
	alarm(INJECT_TIMEOUT);
	if (!instance_path(&qdir, "queue"))
		fatal_nomem(QX_NOMEM);
	if (chdir(qdir.s))
		fatal_sys(QX_QUEUE, "fatal: cannot enter ", qdir.s, NULL);
	if (setuid_run())
		own_instance(qdir.s);
	if (control_get_uint("databytes", &databytes) < 0)
		fatal_sys(QX_CONFIG, "fatal: cannot read control/databytes",
		    NULL);
	open_tmp(&tv);
	if (fstat(tmpfd, &st))
		die_sys(QX_QUEUE, "cannot stat the temporary file");
	qf_id_make(id, (unsigned long)tv.tv_sec, (unsigned long)tv.tv_usec,
	    (unsigned long long)st.st_ino);
	strcpy(qid, id);
	memset(head, '0', sizeof head);
	put(head, sizeof head);
	put_received(id, tv.tv_sec);
	msglen = (unsigned long)buflen - QF_HEAD_LEN;
	if (qsign_wanted())
		headbytes = copy_head(databytes + QF_SLACK, &sigoff);
	msglen += headbytes;
	msglen += copy_message(databytes + QF_SLACK - (headbytes < databytes +
	    QF_SLACK ? headbytes : databytes + QF_SLACK));
	put_signature(sigoff);
	put_envelope(tv.tv_sec);
	flush_buf();
	qf_head_format(head, msglen);
	if (pwrite(tmpfd, head, sizeof head, 0) != (ssize_t)sizeof head)
		die_sys(QX_WRITE, "cannot write message");
	if (fsync(tmpfd))
		die_sys(QX_WRITE, "cannot sync message");
	commit(id);
	close(tmpfd);
	report_id(id);
	wake_manager(id);
	return QX_OK;
}
