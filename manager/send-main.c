/*
 * sluice-send -- the queue manager.
 *
 * Runs as sluices (group sluiceq), started by sluice-start in ROOT/queue
 * with the sluice-local socket on fd 3 and the sluice-remote socket on
 * fd 4 (job.h), which it hands to its keeper (send-keeper.c).  Touches
 * only ROOT/queue: reads mess/, unlinks finished messages, removes stale
 * files from tmp/, reads the trigger FIFO; runs sluice-queue for bounces.
 * Its keeper alone appends journal records to message files and compacts
 * them, and cuts a torn last line; the scheduler asks it to (send-msg.c:
 * msg_journal) and opens queue files read-only.
 *
 * Loop: load every message at start (recovery is this scan), then wait in
 * ppoll for results, trigger lines and timers.  Trigger lines: a queue id
 * (new message), "F" (flush: retry everything now), "S" (rescan),
 * "X ID" (delete), "D ID" (bounce now), "F ID" (retry now), "H ID"
 * (hold), "R ID" (release); X and F take a DOMAIN after the id to act
 * on the recipients at that domain only.  Signals: SIGALRM retries every
 * deferred recipient now, SIGHUP rereads the settings and rescans,
 * SIGTERM stops starting jobs, waits up to STOP_WAIT seconds for the
 * running ones, and exits 0.  If a delivery program goes away, or the
 * injection service sluice-injectd (SLUICE_INJECTD_PID, our child from
 * sluice-start's fork), exits 111 (the supervisor restarts the whole
 * service).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "decimal.h"
#include "exitcodes.h"
#include "logmsg.h"
#include "send.h"
#include "sysutil.h"

#define STOP_WAIT	60		/* seconds to wait for running jobs */
#define RESCAN_EVERY	1800		/* seconds between safety rescans */
#define TRIGGER_NEARLY_FULL 49152	/* bytes (a Linux FIFO holds 65536) */

struct config cf;
unsigned long now;
int stopping;

static volatile sig_atomic_t got_term, got_alrm, got_hup, got_chld;
static int trigger_fd = -1;
static int keeper_fd = -1;
static pid_t keeper_pid;
static pid_t injectd_pid;		/* from sluice-start, 0 if none */
static int keeper_status, keeper_reaped;

#define KEEPER_RESTARTS	5		/* at most this many ... */
#define KEEPER_WINDOW	60		/* ... in this many seconds */

static void on_term(int s) { got_term = 1; }
static void on_alrm(int s) { got_alrm = 1; }
static void on_hup(int s) { got_hup = 1; }
static void on_chld(int s) { got_chld = 1; }

static int
get_uint(const char *key, unsigned long *v)
{
	if (control_get_uint(key, v) < 0) {
		log_line_sys("warning: cannot read control/", key, NULL);
		return 0;
	}
	return 1;
}

static int
get_str(const char *key, stralloc *v)
{
	if (control_get_str(key, v) < 0) {
		log_line_sys("warning: cannot read control/", key, NULL);
		return 0;
	}
	return 1;
}

/* all or nothing: a bad value keeps the old settings */
static int
config_load(void)
{
	struct config n;

	memset(&n, 0, sizeof n);
	if (!get_uint("concurrencylocal", &n.climit) ||
	    !get_uint("concurrencyremote", &n.rlimit) ||
	    !get_uint("concurrencydomain", &n.dlimit) ||
	    !get_uint("queuelifetime", &n.lifetime) ||
	    !get_uint("retrymin", &n.rmin) || !get_uint("retrymax", &n.rmax) ||
	    !get_uint("bouncemaxbytes", &n.bouncemax) ||
	    !get_uint("delaywarning", &n.delaywarn) ||
	    !get_str("me", &n.me) || !get_str("bouncefrom", &n.bouncefrom) ||
	    !get_str("doublebounceto", &n.doublebounceto))
		return 0;
	if (n.me.len <= 1 && (!stralloc_copys(&n.me, "localhost") ||
	    !stralloc_0(&n.me)))
		return 0;
	stralloc_free(&cf.me);
	stralloc_free(&cf.bouncefrom);
	stralloc_free(&cf.doublebounceto);
	cf = n;
	return 1;
}

static void
trigger_open(void)
{
	trigger_fd = open("trigger", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (trigger_fd < 0)
		fatal_sys(EX_SL_TEMP, "fatal: cannot open queue/trigger", NULL);
	/* a writer of our own, so the FIFO never reports end of file */
	if (open("trigger", O_WRONLY | O_NONBLOCK | O_CLOEXEC) < 0)
		fatal_sys(EX_SL_TEMP, "fatal: cannot open queue/trigger", NULL);
}

static void
trigger_line(char *line)
{
	char cmd, *id, *domain;

	if (qf_id_valid(line))
		msg_load(line);
	else if (!strcmp(line, "F")) {
		log_line("flush requested", NULL);
		sched_flush();
	} else if (!strcmp(line, "S"))
		msg_scan();
	else if (qf_command_parse(line, &cmd, &id, &domain))
		sched_command(cmd, id, domain);
	else
		log_lineb("warning: bad trigger line ignored: ", line,
		    strlen(line), 0);
}

/* A full FIFO makes sluice-queue's wake-up write fail (the message waits
 * on disk); so after draining a FIFO that was close to full, rescan. */
static void
trigger_read(void)
{
	static char buf[8192];
	static size_t len;
	size_t total = 0;
	ssize_t n;

	while ((n = read(trigger_fd, buf + len, sizeof buf - 1 - len)) > 0) {
		char *p = buf, *nl;

		total += (size_t)n;
		len += (size_t)n;
		while ((nl = memchr(p, '\n', len - (size_t)(p - buf)))) {
			*nl = 0;
			trigger_line(p);
			p = nl + 1;
		}
		len -= (size_t)(p - buf);
		memmove(buf, p, len);
		if (len == sizeof buf - 1)
			len = 0;	/* an endless line: drop it */
	}
	if (total >= TRIGGER_NEARLY_FULL) {
		log_line("the trigger was nearly full: rescanning", NULL);
		msg_scan();
	}
}

static void
reap(void)
{
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (pid == keeper_pid) {
			keeper_status = st;
			keeper_reaped = 1;
		}
		if (pid == injectd_pid && !stopping)
			fatal(EX_SL_TEMP, "fatal: the injection service "
			    "sluice-injectd went away", NULL);
	}
}

/* SLUICE_INJECTD_PID: sluice-start forked it before it exec'd us, so it
 * is our child and we see it end */
static void
injectd_find(void)
{
	const char *e = getenv("SLUICE_INJECTD_PID");
	unsigned long u = 0;

	if (e && decimal_parse(e, strlen(e), 10, &u) && u > 1 && u < 1UL << 30)
		injectd_pid = (pid_t)u;
	unsetenv("SLUICE_INJECTD_PID");
}

/*
 * The keeper's socket closed.  If it exited by itself, a delivery
 * program went away: exit, and the supervisor restarts the service.  If
 * it was killed (or crashed), fork a new one on fd 3 and 4, which we kept
 * for this, and hand it the running jobs: their results still arrive and
 * are journaled, so nothing delivered is delivered again.
 */
static void
keeper_lost(void)
{
	static unsigned long window_start;
	static unsigned restarts;
	char num[24];

	close(keeper_fd);
	keeper_fd = -1;
	while (!keeper_reaped) {
		int st;
		pid_t pid = waitpid(keeper_pid, &st, 0);

		if (pid == keeper_pid) {
			keeper_status = st;
			keeper_reaped = 1;
		} else if (pid < 0 && errno != EINTR)
			break;
	}
	if (keeper_reaped && WIFEXITED(keeper_status) &&
	    WEXITSTATUS(keeper_status) == 0)
		fatal(EX_SL_TEMP, "fatal: the keeper went away (a delivery "
		    "program ended?)", NULL);
	if (now >= window_start + KEEPER_WINDOW) {
		window_start = now;
		restarts = 0;
	}
	if (++restarts > KEEPER_RESTARTS)
		fatal(EX_SL_TEMP, "fatal: the keeper keeps dying", NULL);
	log_line("warning: the keeper died (", keeper_reaped &&
	    WIFSIGNALED(keeper_status) ? "signal " : "status ",
	    ulong_str(num, keeper_reaped ? (unsigned long)(WIFSIGNALED(
	    keeper_status) ? WTERMSIG(keeper_status) : WEXITSTATUS(
	    keeper_status)) : 0), "): a new one takes over the running jobs "
	    "(", ulong_str(num + 12, sched_inflight()), ")", NULL);
	keeper_reaped = 0;
	keeper_pid = keeper_start(&keeper_fd, 1);
	sched_rekeeper(keeper_fd);
}

static void
signals(sigset_t *waitmask)
{
	sigset_t block;

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGALRM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, waitmask);
	sigdelset(waitmask, SIGTERM);
	sigdelset(waitmask, SIGALRM);
	sigdelset(waitmask, SIGHUP);
	sigdelset(waitmask, SIGCHLD);
	sig_catch(SIGTERM, on_term);
	sig_catch(SIGALRM, on_alrm);
	sig_catch(SIGHUP, on_hup);
	sig_catch(SIGCHLD, on_chld);
	sig_ignore(SIGPIPE);
}

static void
handle_signals(unsigned long *stop_at)
{
	if (got_term && !stopping) {
		log_line("stopping: no new deliveries", NULL);
		stopping = 1;
		*stop_at = now + STOP_WAIT;
	}
	if (got_alrm) {
		got_alrm = 0;
		log_line("retrying every deferred message now", NULL);
		sched_flush();
	}
	if (got_hup) {
		got_hup = 0;
		if (!config_load())
			log_line("warning: settings not reloaded", NULL);
		msg_scan();
	}
	if (got_chld) {
		got_chld = 0;
		reap();
	}
}

static void
poll_once(sigset_t *waitmask, long ms)
{
	struct pollfd pfd[2];
	struct timespec ts, *tp = 0;

	pfd[0].fd = keeper_fd;
	pfd[1].fd = trigger_fd;
	pfd[0].events = pfd[1].events = POLLIN;
	if (ms >= 0) {
		ts.tv_sec = ms / 1000;
		ts.tv_nsec = (ms % 1000) * 1000000L;
		tp = &ts;
	}
	if (ppoll(pfd, 2, tp, waitmask) <= 0)
		return;
	if (pfd[0].revents && !sched_result(keeper_fd))
		keeper_lost();
	if (pfd[1].revents & POLLIN)
		trigger_read();
}

/* one manager per queue: a keeper of a killed predecessor may still be
 * journaling the results of its last jobs */
static void
lock_queue(void)
{
	int fd = open("mess", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		fatal_sys(EX_SL_TEMP, "fatal: cannot open queue/mess", NULL);
	if (lock_exnb(fd)) {
		log_line("waiting for the previous manager to finish", NULL);
		if (lock_ex(fd))
			fatal_sys(EX_SL_TEMP, "fatal: cannot lock queue/mess",
			    NULL);
	}
	fcntl(fd, F_SETFD, 0);	/* the keeper holds it too */
}

int
main(int argc, char **argv)
{
	stralloc qdir = {0};
	sigset_t waitmask;
	unsigned long stop_at = 0, next_scan;
	char num[24];

	log_init("sluice-send");
	if (fcntl(3, F_GETFD) < 0 || fcntl(4, F_GETFD) < 0)
		fatal(EX_SL_USAGE, "fatal: fd 3 and 4 must be the delivery "
		    "sockets (run me through sluice-start)", NULL);
	if (!instance_path(&qdir, "queue") || chdir(qdir.s))
		fatal_sys(EX_SL_TEMP, "fatal: cannot enter the queue", NULL);
	stralloc_free(&qdir);
	if (!config_load())
		fatal(EX_SL_TEMP, "fatal: bad settings", NULL);
	signals(&waitmask);
	injectd_find();
	reap();		/* it may have ended before we caught SIGCHLD */
	lock_queue();
	/* kept (not passed to sluice-queue) to fork a new keeper if needed */
	fcntl(3, F_SETFD, FD_CLOEXEC);
	fcntl(4, F_SETFD, FD_CLOEXEC);
	keeper_pid = keeper_start(&keeper_fd, 0);
	trigger_open();
	sched_init(keeper_fd);
	now = (unsigned long)time(0);
	tmp_clean();
	msg_scan();
	next_scan = now + RESCAN_EVERY;
	log_line("started with ", ulong_str(num, msg_count()), " messages",
	    NULL);
	for (;;) {
		long ms;

		now = (unsigned long)time(0);
		handle_signals(&stop_at);
		if (stopping && (!sched_inflight() || now >= stop_at)) {
			log_line("stopped with ", ulong_str(num,
			    sched_inflight()), " jobs unfinished", NULL);
			return EX_SL_OK;
		}
		if (now >= next_scan) {
			tmp_clean();
			msg_scan();
			next_scan = now + RESCAN_EVERY;
		}
		sched_timers();
		sched_dispatch();
		ms = sched_timeout();
		if (ms < 0 || ms > (long)(next_scan - now) * 1000)
			ms = (long)(next_scan - now) * 1000;
		if (stopping)
			ms = 1000;
		poll_once(&waitmask, ms);
	}
}
