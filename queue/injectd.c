/*
 * sluice-injectd -- the injection service: puts messages into the queue
 * for clients of ROOT/run/inject.sock (lib/inject.h has the protocol),
 * with the very code sluice-queue runs (qin_inject, queue/qinject.h), so
 * that no program has to start per message.
 *
 * Runs as sluiceq (group sluiceq), NOT setuid: sluice-start (root) makes
 * the listening socket and forks this program as sluiceq with it on fd 0
 * (fd 1 /dev/null, fd 2 the log), cwd ROOT/queue.  It touches what
 * sluice-queue touches: ROOT/queue (tmp/, mess/, the trigger), the
 * settings, and the DKIM keys in ROOT/dkim (sluiceq's alone).
 *
 * Processes: this one forks `injectors` workers and a new one whenever
 * one ends.  Each worker accept()s in turn and serves one connection at a
 * time, blocking, with qin_inject.  A prefork pool rather than one process
 * with poll because: the core stays one blocking piece of code shared with
 * sluice-queue; the workers' fsyncs run at the same time and share ext4
 * journal commits (one writer 940/s, eight 1,670/s); a worker that ends
 * (a refusal, a crash, a kill) loses only its own connection; and clients
 * connect only when they have the whole message (inject.h), so a slow SMTP
 * client never holds a worker.
 *
 * Per connection: the peer's uid and gid from SO_PEERCRED (the uid goes
 * into the Received line as sluice-queue's "invoked by uid"; the bounce
 * level is honoured for root, sluiceq's group or sluiceq, else 0), the
 * header within timeoutinject seconds, every later read within
 * timeoutinject seconds, the whole request within ten times that
 * (SIGALRM ends the worker).  The reply "ok ID" comes after the fsync of
 * mess/BB.  On a refusal the worker replies "CODE text", logs one line
 * and ends; the master forks a new one.  A client that goes away before
 * the envelope's end gets nothing queued (the file is unnamed until the
 * commit); a worker killed at any moment leaves nothing half done.
 *
 * Ends: on SIGTERM (the workers finish the message they are serving), or
 * when its parent, sluice-send, goes: PR_SET_PDEATHSIG set by
 * sluice-start, and, as that setting does not always survive the exec
 * of a program that changed its ids (secure exec), the master looks at
 * getppid() every second too.  sluice-send treats the end of this process as the end
 * of a delivery program: it exits and the supervisor restarts the queue
 * service.  Exit 111 with one line when it cannot start.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <stralloc.h>

#include "control.h"
#include "exitcodes.h"
#include "inject.h"
#include "logmsg.h"
#include "qinject.h"
#include "sysutil.h"

#define WORKERS_MAX	64

static volatile sig_atomic_t got_term;
static unsigned long timeout = 60;
static int conn = -1;			/* the worker's client */
static unsigned long peer_uid;

static void on_term(int s) { got_term = 1; }
static void on_tick(int s) { }

/* a refusal: tell the client, log it, end this worker */
static void
worker_fail(int code, const char *what, const char *qid, int err)
{
	char line[INJECT_REPLY_MAX], num[24], num2[24];
	stralloc t = {0};
	size_t n;

	if (!stralloc_copys(&t, what) || (err && (!stralloc_cats(&t, ": ") ||
	    !stralloc_cats(&t, strerror(err)))) || !stralloc_0(&t))
		_exit(0);
	n = inject_reply_format(line, code, t.s);
	if (conn >= 0 && write_all(conn, line, n)) {
		/* the client is gone: nothing was queued either way */
	}
	log_line("refused (", ulong_str(num, (unsigned long)code), "): ", t.s,
	    " (queue id ", qid, ", uid ", ulong_str(num2, peer_uid), ")",
	    NULL);
	_exit(0);
}

/* the header line, read without taking a byte of the message: peek, then
 * take what is before the LF (and the LF) */
static void
read_header(struct inject_header *h)
{
	char buf[INJECT_HEADER_MAX];
	size_t have = 0;
	struct pollfd p;

	for (;;) {
		ssize_t n;
		char *lf;

		p.fd = conn;
		p.events = POLLIN;
		n = poll(&p, 1, (int)timeout * 1000);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			worker_fail(QX_READ, "timed out reading the header", "-",
			    0);
		n = recv(conn, buf + have, sizeof buf - have, MSG_PEEK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			worker_fail(QX_READ, "no header (client went away)", "-",
			    n < 0 ? errno : 0);
		lf = memchr(buf + have, '\n', (size_t)n);
		if (lf)
			n = lf - (buf + have) + 1;
		if (read(conn, buf + have, (size_t)n) != n)
			worker_fail(QX_READ, "cannot read the header", "-",
			    errno);
		have += (size_t)n;
		if (lf)
			break;
		if (have == sizeof buf)
			worker_fail(QX_ENVELOPE, "header too long", "-", 0);
	}
	if (inject_header_parse(buf, have - 1, h))
		worker_fail(QX_ENVELOPE, "malformed header", "-", 0);
}

/* the sluice-send of this queue (root, sluiceq's group or sluiceq) may
 * set a bounce level, as with sluice-queue's SLUICE_BOUNCE_LEVEL */
static int
may_bounce(const struct ucred *c)
{
	return c->uid == 0 || c->uid == geteuid() || c->gid == getegid();
}

static void
serve(void)
{
	struct qin_src src = { .msgfd = conn, .envfd = conn, .nul_ends = 1 };
	struct inject_header h;
	struct qin_opts o;
	struct ucred cred;
	socklen_t cl = sizeof cred;
	char id[QF_ID_MAX], line[INJECT_REPLY_MAX];
	size_t n;

	alarm((unsigned int)(timeout * 10));
	if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &cl))
		worker_fail(QX_BUG, "cannot learn who the client is", "-",
		    errno);
	peer_uid = cred.uid;
	read_header(&h);
	if (control_get_uint("databytes", &o.databytes) < 0)
		worker_fail(QX_CONFIG, "cannot read control/databytes", "-",
		    errno);
	o.uid = cred.uid;
	o.sign = h.sign;
	o.bounce = may_bounce(&cred) ? h.bounce : 0;
	src.timeout = (unsigned int)timeout;
	qin_inject(&src, &o, id);
	stralloc_free(&src.pend);
	n = inject_reply_format(line, 0, id);
	if (write_all(conn, line, n)) {
		/* the client went away after sending it all: it is queued,
		 * and the client says "temporary failure" (inject.h) */
	}
	alarm(0);
}

/* the end of the service: no new connection is taken (a client that
 * connects now is refused and runs sluice-queue instead), and those
 * already waiting in the backlog are served before the worker exits, so
 * none of them is cut off with its message sent (it would have to say
 * "temporary failure") */
static void __attribute__((noreturn))
drain_and_exit(void)
{
	shutdown(0, SHUT_RD);
	for (;;) {
		/* once shut down, an empty backlog makes accept fail
		 * (EINVAL) instead of waiting */
		conn = accept4(0, 0, 0, SOCK_CLOEXEC);
		if (conn < 0)
			_exit(0);
		serve();
		close(conn);
		conn = -1;
	}
}

static void __attribute__((noreturn))
worker(pid_t master)
{
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != master)
		_exit(0);
	qin_fail = worker_fail;
	sig_default(SIGALRM);
	for (;;) {
		if (got_term)
			drain_and_exit();
		conn = accept4(0, 0, 0, SOCK_CLOEXEC);
		if (conn < 0 && errno == EINVAL)
			drain_and_exit();	/* the master shut it down */
		if (conn < 0) {
			if (errno != EINTR && errno != ECONNABORTED &&
			    errno != EAGAIN) {
				log_line_sys("warning: accept", NULL);
				sleep(1);
			}
			continue;
		}
		serve();
		close(conn);
		conn = -1;
	}
}

static pid_t
spawn_worker(void)
{
	pid_t master = getpid(), pid = fork();

	if (pid == 0)
		worker(master);
	if (pid < 0)
		log_line_sys("warning: cannot fork a worker", NULL);
	return pid;
}

/* a worker that ends is replaced; one that dies of a signal is logged,
 * and a pool that keeps dying slows down to one fork a second */
static void
supervise(pid_t *pids, unsigned long n, pid_t parent)
{
	unsigned long i, burst = 0, window = 0;
	char num[24];

	sig_catch(SIGALRM, on_tick);
	for (;;) {
		int st;
		pid_t pid;

		alarm(1);
		pid = waitpid(-1, &st, 0);
		alarm(0);
		if (got_term || getppid() != parent)
			return;
		if (pid < 0) {
			if (errno != EINTR)
				sleep(1);
			continue;
		}
		if (WIFSIGNALED(st) && WTERMSIG(st) != SIGALRM)
			log_line("warning: a worker died of signal ",
			    ulong_str(num, (unsigned long)WTERMSIG(st)), NULL);
		if ((unsigned long)time(0) != window) {
			window = (unsigned long)time(0);
			burst = 0;
		}
		if (++burst > 100)
			sleep(1);
		for (i = 0; i < n; i++)
			if (pids[i] == pid || pids[i] < 0)
				pids[i] = spawn_worker();
	}
}

int
main(int argc, char **argv)
{
	stralloc qdir = {0};
	pid_t pids[WORKERS_MAX], parent;
	unsigned long n, i;
	int on = 0;
	socklen_t ol = sizeof on;

	log_init("sluice-injectd");
	umask(007);
	if (getsockopt(0, SOL_SOCKET, SO_ACCEPTCONN, &on, &ol) || !on)
		fatal(EX_SL_USAGE, "fatal: fd 0 must be the listening socket "
		    "(run me through sluice-start)", NULL);
	if (!instance_path(&qdir, "queue") || chdir(qdir.s))
		fatal_sys(EX_SL_TEMP, "fatal: cannot enter the queue", NULL);
	stralloc_free(&qdir);
	if (control_get_uint("injectors", &n) < 0 ||
	    control_get_uint("timeoutinject", &timeout) < 0)
		fatal_sys(EX_SL_TEMP, "fatal: cannot read the settings", NULL);
	if (n > WORKERS_MAX)
		n = WORKERS_MAX;
	sig_ignore(SIGPIPE);
	sig_catch(SIGTERM, on_term);
	parent = getppid();
	for (i = 0; i < n; i++)
		pids[i] = spawn_worker();
	supervise(pids, n, parent);
	shutdown(0, SHUT_RD);		/* new clients are refused from now on */
	for (i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
	while (wait(0) > 0 || errno == EINTR)
		;
	return EX_SL_OK;
}
