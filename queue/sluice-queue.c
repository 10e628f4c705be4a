/*
 * sluice-queue -- put one message into the queue; qmail-queue compatible.
 *
 * Runs as sluiceq (setuid and setgid, mode 6711) or as its trusted caller.
 * Reads the message on fd 0 (LF line ends; a CR or NUL octet is refused,
 * exit 31) and the envelope ("F<sender>\0T<rcpt>\0...\0") on fd 1.
 * Touches only ROOT/queue: writes an unnamed file in tmp/ (O_TMPFILE),
 * fsyncs it, links it as mess/BB/ID, fsyncs that directory, then writes
 * "ID\n" to the trigger FIFO to wake sluice-send.  Exit 0 only after the
 * link is durable; otherwise one of qmail-queue's codes (lib/exitcodes.h,
 * queue/README).  A kill at any point leaves nothing (the unnamed file
 * goes with the process).  Where O_TMPFILE is missing the file is
 * tmp/PID.USEC, renamed instead; sluice-send's cleaner removes those a
 * killed injection leaves after a grace period.
 *
 * The work itself is qin_inject (queue/qinject.h), the same code the
 * injection service sluice-injectd runs; this program adds what is its
 * own: the setuid checks, the environment and the queue id on fd N.
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
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stralloc.h>

#include "control.h"
#include "exitcodes.h"
#include "logmsg.h"
#include "qinject.h"
#include "qsign.h"
#include "sysutil.h"

#define INJECT_TIMEOUT	86400	/* an injection that takes longer is killed */

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
	struct qin_src src = { .msgfd = 0, .envfd = 1 };
	struct qin_opts o;
	char id[QF_ID_MAX];

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
	if (control_get_uint("databytes", &o.databytes) < 0)
		fatal_sys(QX_CONFIG, "fatal: cannot read control/databytes",
		    NULL);
	o.uid = (unsigned long)getuid();
	o.bounce = bounce_level();
	o.sign = qsign_wanted();
	qin_inject(&src, &o, id);
	stralloc_free(&src.pend);
	stralloc_free(&qdir);
	report_id(id);
	return QX_OK;
}
