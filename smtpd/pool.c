/*
 * pool.c -- `sluice-smtpd --pool [IP PORT]`: a master that listens and a
 * pool of long-lived workers that each serve connections in turn, so that
 * no connection costs a program start (as Postfix's master and smtpd).
 *
 * Master (root, started by the service's run script or systemd unit):
 * binds IP:PORT (or takes the one socket systemd passes: LISTEN_FDS,
 * Accept=no), loads the TLS certificate and key and builds the context,
 * then only forks workers and counts them; it never reads the network.
 * It keeps at least smtpdminidle workers waiting to accept and at most
 * concurrencyincoming workers in all (the connection limit, as tcpserver
 * -c was: a connection over it waits in the listen queue until a worker
 * is free).  Workers tell it "idle"/"busy" over a pipe (one fixed-size
 * record each, atomic); a worker that died is replaced; one that dies
 * within a second of its start, failing, holds new forks back a second.
 * SIGTERM, SIGINT or SIGHUP: shut the listening socket down (for every
 * process that holds it: the port is free at once, idle workers see it
 * and exit, busy ones exit after their session), wait for the workers
 * (POOL_STOP_SECONDS, then SIGKILL), exit 0.  No signal goes to a busy
 * worker, so no system call of its session is interrupted.
 *
 * Worker (fork of the master, no exec): asks for SIGTERM when the master
 * dies (PR_SET_PDEATHSIG), becomes SLUICE_DROP (sluiced), then up to
 * smtpdmaxuse times: waits at most smtpdmaxidle seconds for a connection
 * (epoll with EPOLLEXCLUSIVE: one worker woken per connection), accepts
 * it, builds the session's environment afresh from the master's (the
 * TCP* variables and the tcprules rule of $SLUICE_TCPRULES, lib/tcpenv.h:
 * deny closes the connection), puts the socket on fd 0/1 and runs the
 * same session as the UCSPI server (main.c), then forgets it all
 * (smtpd_session_end), closes every descriptor the session opened and
 * takes /dev/null on fd 0/1 again.  SIGTERM (sent by the kernel when the
 * master dies, or by hand) while waiting: exit; during a session: finish
 * it within POOL_STOP_SECONDS (SIGALRM ends it), then exit; if the master
 * is gone, also shut the listening socket down at once, so that the
 * master the supervisor starts next can bind.  (That SIGTERM interrupts
 * whatever system call the session is in; the session code retries
 * after EINTR, except the queue program's waits in qpipe.c, which then
 * count as a timeout: 451, nothing acknowledged.)
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control.h"
#include "exitcodes.h"
#include "logmsg.h"
#include "pool.h"
#include "sysutil.h"
#include "tcpenv.h"

#define POOL_STOP_SECONDS 20	/* a session's time to end at shutdown */
#define POOL_BACKLOG 128
#define BIND_TRIES 100		/* 10 s: an old worker may still hold it */

extern char **environ;

enum { W_FREE, W_IDLE, W_BUSY };

struct status {		/* worker -> master, one write each */
	pid_t pid;
	unsigned int slot;
	unsigned int state;
};

struct worker {
	pid_t pid;
	int state;
	unsigned long long started;
};

struct pool {
	int lfd;			/* the listening socket */
	int sfd;			/* signalfd (master) */
	int st[2];			/* status pipe */
	unsigned long max, minidle, maxuse, maxidle;
	struct worker *w;
	unsigned long nworkers, nidle;
	unsigned long long throttle;	/* no fork before this now_ms() */
	unsigned long long deadline;	/* stopping: SIGKILL at this time */
	int stopping;
	pid_t master;
};

static struct pool P;

/* worker state, touched by on_term */
static volatile sig_atomic_t stop, insession;
static int wlfd = -1;		/* the listening socket */

/* --- the listening socket --- */

static int
listen_systemd(void)
{
	const char *pid = getenv("LISTEN_PID"), *n = getenv("LISTEN_FDS");
	int acc = 0;
	socklen_t al = sizeof acc;

	if (!pid || !n || strtoul(pid, 0, 10) != (unsigned long)getpid() ||
	    strcmp(n, "1")) {
		log_line("--pool without IP PORT needs one socket from "
		    "systemd (LISTEN_FDS=1)", NULL);
		return -1;
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (getsockopt(3, SOL_SOCKET, SO_ACCEPTCONN, &acc, &al) < 0 || !acc) {
		log_line("fd 3 from systemd is not a listening socket", NULL);
		return -1;
	}
	if (fd_cloexec(3) < 0 || fd_nonblock(3) < 0)
		return -1;
	return 3;
}

static int
listen_bind(const char *ip, const char *port)
{
	struct addrinfo hints, *ai;
	int fd, one = 1, i, r;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	if ((r = getaddrinfo(ip, port, &hints, &ai)) != 0) {
		log_line("cannot use address ", ip, " port ", port, ": ",
		    gai_strerror(r), NULL);
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof one) < 0) {
		log_line_sys("cannot make a socket", NULL);
		freeaddrinfo(ai);
		return -1;
	}
	for (i = 0; (r = bind(fd, ai->ai_addr, ai->ai_addrlen)) < 0 &&
	    errno == EADDRINUSE && i < BIND_TRIES; i++)
		poll(0, 0, 100);
	freeaddrinfo(ai);
	if (r < 0 || listen(fd, POOL_BACKLOG) < 0) {
		log_line_sys("cannot listen on ", ip, " port ", port, NULL);
		close(fd);
		return -1;
	}
	return fd;
}

/* --- the worker --- */

static void
on_term(int sig)
{
	stop = 1;
	if (!insession)
		return;		/* waiting: next_connection returns */
	if (getppid() != P.master)	/* free the port for a new master */
		shutdown(wlfd, SHUT_RD);
	alarm(POOL_STOP_SECONDS);
}

static void
tell(unsigned int slot, unsigned int state)
{
	struct status r;

	r.pid = getpid();
	r.slot = slot;
	r.state = state;
	if (write(P.st[1], &r, sizeof r) != sizeof r)
		stop = 1;	/* the master is gone */
}

/* the environment every session starts from: the master's, less what
 * describes one connection */
static char **base_env;

static int
per_connection(const char *e)
{
	static const char *const names[] = { "TCPREMOTEIP=", "TCPREMOTEPORT=",
	    "TCPLOCALIP=", "TCPLOCALPORT=", "TCPREMOTEHOST=", "TCPREMOTEINFO=",
	    "TCPLOCALHOST=", "PROTO=", 0 };
	size_t i;

	for (i = 0; names[i]; i++)
		if (!strncmp(e, names[i], strlen(names[i])))
			return 1;
	return 0;
}

static int
base_env_keep(void)
{
	size_t n = 0, i;

	while (environ[n])
		n++;
	if (!(base_env = malloc((n + 1) * sizeof *base_env)))
		return -1;
	for (i = n = 0; environ[i]; i++)
		if (!per_connection(environ[i]))
			base_env[n++] = environ[i];
	base_env[n] = 0;
	environ = base_env;
	return 0;
}

/* drop entries named like e ("NAME=..." or "NAME") from env[0..*n) */
static void
env_remove(char **env, size_t *n, const char *e)
{
	size_t len = strcspn(e, "="), i, j;

	for (i = j = 0; i < *n; i++)
		if (strncmp(env[i], e, len) || env[i][len] != '=')
			env[j++] = env[i];
	*n = j;
}

/* base_env with vars (tcpenv_collect's entries) applied in order; the
 * strings stay in vars, which must live as long as the result */
static char **
session_env(const stralloc *vars)
{
	size_t nb = 0, nv = 0, n, pos;
	char **env;

	while (base_env[nb])
		nb++;
	for (pos = 0; pos < vars->len; pos += strlen(vars->s + pos) + 1)
		nv++;
	if (!(env = malloc((nb + nv + 1) * sizeof *env)))
		return 0;
	memcpy(env, base_env, nb * sizeof *env);
	n = nb;
	for (pos = 0; pos < vars->len; pos += strlen(vars->s + pos) + 1) {
		env_remove(env, &n, vars->s + pos);
		if (strchr(vars->s + pos, '='))
			env[n++] = vars->s + pos;
	}
	env[n] = 0;
	return env;
}

/* one connection, from accept to the last byte; fd 0/1 are /dev/null
 * again afterwards and no descriptor above top is left open */
static void
serve(int fd, int nullfd, int top)
{
	static const char no[] = "421 4.3.0 Service temporarily unavailable\r\n";
	const char *rules = getenv("SLUICE_TCPRULES");
	stralloc vars = {0};
	char **env;
	int r;

	r = tcpenv_collect(fd, rules, &vars);
	if (r < 0)
		log_line_sys("cannot follow the per-IP rules ", rules ? rules :
		    "", NULL);
	else if (!(env = session_env(&vars)))
		log_line_sys("no memory for a session", NULL);
	else {
		environ = env;
		if (r == 0)
			log_line("deny ", getenv("TCPREMOTEIP"), " by ", rules,
			    NULL);
		else if (smtpd_refuses_all()) {
			log_line("refusing connection: no TLS certificate",
			    NULL);
			(void)!write(fd, no, sizeof no - 1);
		} else if (dup2(fd, 0) >= 0 && dup2(fd, 1) >= 0) {
			close(fd);
			fd = -1;
			smtpd_serve();
			smtpd_session_end();
		}
		environ = base_env;
		free(env);
	}
	if (vars.s)
		explicit_bzero(vars.s, vars.a);
	stralloc_free(&vars);
	if (fd >= 0)
		close(fd);
	dup2(nullfd, 0);
	dup2(nullfd, 1);
	if (fcntl(top + 1, F_GETFD) >= 0)
		log_line("warning: a session left descriptors open; closed",
		    NULL);
	close_range((unsigned int)top + 1, ~0U, 0);
}

/* the next connection; -1 when it is time to go (idle, SIGTERM, error) */
static int
next_connection(int ep, const sigset_t *waitmask)
{
	unsigned long long end = now_ms() + P.maxidle * 1000ULL, now;
	struct epoll_event ev;
	int fd, n, e;

	while (!stop && (now = now_ms()) < end) {
		n = epoll_pwait(ep, &ev, 1, (int)(end - now), waitmask);
		if (n < 0 && errno != EINTR) {
			log_line_sys("epoll_wait", NULL);
			return -1;
		}
		if (n <= 0 || stop)
			continue;
		fd = accept4(wlfd, 0, 0, SOCK_CLOEXEC);
		if (fd >= 0)
			return fd;
		if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno == EINVAL)	/* shut down: the pool is stopping */
			return -1;
		e = errno;
		log_line_sys("accept", NULL);
		if (e != EMFILE && e != ENFILE && e != ENOBUFS && e != ENOMEM)
			return -1;
		poll(0, 0, 100);	/* out of descriptors or memory: a pause */
	}
	return -1;
}

/* fill the holes below top with /dev/null: a descriptor a session opens
 * then always lands above top, where serve() sweeps */
static void
fill_holes(int nullfd, int top)
{
	int fd;

	for (fd = 3; fd < top; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF)
			dup3(nullfd, fd, O_CLOEXEC);
}

static void __attribute__((noreturn))
worker(unsigned int slot)
{
	struct epoll_event ev;
	struct sigaction sa;
	sigset_t none, term, waitmask;
	unsigned long served;
	int ep, nullfd, fd, top;

	sigemptyset(&none);
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_SETMASK, &term, 0);	/* TERM held but in waits */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_term;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, 0);
	sig_default(SIGCHLD);
	sig_default(SIGINT);
	sig_default(SIGHUP);
	close(P.sfd);
	close(P.st[0]);
	wlfd = P.lfd;
	if (smtpd_drop() < 0)
		_exit(EX_SL_TEMP);
	/* after the uid change, which clears it; then the master may be gone */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != P.master)
		_exit(0);
	nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ep = epoll_create1(EPOLL_CLOEXEC);
	memset(&ev, 0, sizeof ev);
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	if (nullfd < 0 || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, wlfd,
	    &ev) < 0 || base_env_keep() < 0) {
		log_line_sys("cannot set a worker up", NULL);
		_exit(EX_SL_TEMP);
	}
	dup2(nullfd, 0);
	dup2(nullfd, 1);
	top = nullfd > ep ? nullfd : ep;
	if (wlfd > top)
		top = wlfd;
	if (P.st[1] > top)
		top = P.st[1];
	fill_holes(nullfd, top);
	close_range((unsigned int)top + 1, ~0U, 0);
	waitmask = none;
	for (served = 0; served < P.maxuse && !stop; served++) {
		if ((fd = next_connection(ep, &waitmask)) < 0)
			break;
		tell(slot, W_BUSY);
		insession = 1;
		sigprocmask(SIG_SETMASK, &none, 0);
		serve(fd, nullfd, top);
		sigprocmask(SIG_SETMASK, &term, 0);
		insession = 0;
		if (!stop)
			tell(slot, W_IDLE);
	}
	_exit(0);
}

/* --- the master --- */

static void
fork_worker(void)
{
	unsigned long i;
	pid_t pid;

	for (i = 0; i < P.max && P.w[i].state != W_FREE; i++)
		;
	if (i == P.max)
		return;
	pid = fork();
	if (pid < 0) {
		log_line_sys("cannot fork a worker", NULL);
		P.throttle = now_ms() + 1000;
		return;
	}
	if (pid == 0)
		worker((unsigned int)i);
	P.w[i].pid = pid;
	P.w[i].state = W_IDLE;
	P.w[i].started = now_ms();
	P.nworkers++;
	P.nidle++;
}

static void
fill(void)
{
	unsigned long want = P.minidle < P.max ? P.minidle : P.max;

	while (!P.stopping && P.nidle < want && P.nworkers < P.max &&
	    now_ms() >= P.throttle) {
		unsigned long before = P.nworkers;

		fork_worker();
		if (P.nworkers == before)
			break;
	}
}

static struct worker *
find(pid_t pid)
{
	unsigned long i;

	for (i = 0; i < P.max; i++)
		if (P.w[i].state != W_FREE && P.w[i].pid == pid)
			return &P.w[i];
	return 0;
}

static void
read_status(void)
{
	struct status r;
	struct worker *w;

	while (read(P.st[0], &r, sizeof r) == sizeof r) {
		if (r.slot >= P.max || (w = &P.w[r.slot])->pid != r.pid ||
		    w->state == W_FREE || (int)r.state == w->state)
			continue;
		if (r.state == W_BUSY) {
			w->state = W_BUSY;
			P.nidle--;
		} else if (r.state == W_IDLE) {
			w->state = W_IDLE;
			P.nidle++;
		}
	}
}

static void
reap(void)
{
	struct worker *w;
	char n1[21], n2[21];
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (!(w = find(pid)))
			continue;
		if (w->state == W_IDLE)
			P.nidle--;
		P.nworkers--;
		w->state = W_FREE;
		if (P.stopping || (WIFEXITED(st) && WEXITSTATUS(st) == 0))
			continue;
		log_line("worker ", ulong_str(n1, (unsigned long)pid),
		    WIFSIGNALED(st) ? " killed by signal " : " exited ",
		    ulong_str(n2, WIFSIGNALED(st) ? (unsigned long)WTERMSIG(st) :
		    (unsigned long)WEXITSTATUS(st)), NULL);
		if (now_ms() - w->started < 1000)
			P.throttle = now_ms() + 1000;
	}
}

static void
signal_all(int sig)
{
	unsigned long i;

	for (i = 0; i < P.max; i++)
		if (P.w[i].state != W_FREE)
			kill(P.w[i].pid, sig);
}

static void
begin_stop(void)
{
	char n[21];

	if (P.stopping)
		return;
	P.stopping = 1;
	P.deadline = now_ms() + POOL_STOP_SECONDS * 1000ULL;
	/* stops listening in every worker too; the idle ones wake and exit */
	shutdown(P.lfd, SHUT_RD);
	close(P.lfd);
	log_line("stopping: ", ulong_str(n, P.nworkers),
	    " workers finish their sessions", NULL);
}

static void
read_signals(void)
{
	struct signalfd_siginfo si;

	while (read(P.sfd, &si, sizeof si) == sizeof si)
		if (si.ssi_signo == SIGCHLD)
			reap();
		else
			begin_stop();
}

static int
master_loop(void)
{
	struct pollfd pf[2];
	unsigned long long now;
	int ms;

	for (;;) {
		fill();
		if (P.stopping && P.nworkers == 0)
			return 0;
		now = now_ms();
		ms = -1;
		if (P.stopping)
			ms = P.deadline > now ? (int)(P.deadline - now) : 0;
		else if (P.nidle < P.minidle && P.nidle < P.max &&
		    P.nworkers < P.max)
			ms = P.throttle > now ? (int)(P.throttle - now) : 0;
		pf[0].fd = P.st[0];
		pf[0].events = POLLIN;
		pf[1].fd = P.sfd;
		pf[1].events = POLLIN;
		if (poll(pf, 2, ms) < 0 && errno != EINTR)
			fatal_sys(EX_SL_TEMP, "poll", NULL);
		read_status();	/* before reaping: a dead worker's last words */
		read_signals();
		if (P.stopping && now_ms() >= P.deadline) {
			signal_all(SIGKILL);
			P.deadline = now_ms() + 5000;
		}
	}
}

static unsigned long
setting(const char *key)
{
	unsigned long v;

	if (control_get_uint(key, &v) < 0)
		fatal_sys(EX_SL_TEMP, "cannot read setting ", key, NULL);
	return v;
}

static void
master_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, 0);
	P.sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (P.sfd < 0)
		fatal_sys(EX_SL_TEMP, "signalfd", NULL);
}

int
pool_main(int argc, char **argv)
{
	const char *mode = getenv("SMTPD_MODE");
	char n1[21], n2[21];

	if (argc != 0 && argc != 2)
		fatal(EX_SL_USAGE, "usage: sluice-smtpd --pool [IP PORT]", NULL);
	if (mode && !strcmp(mode, "local"))
		fatal(EX_SL_USAGE, "--pool is for network listeners, not "
		    "SMTPD_MODE=local", NULL);
	P.max = setting("concurrencyincoming");
	P.minidle = setting("smtpdminidle");
	P.maxuse = setting("smtpdmaxuse");
	P.maxidle = setting("smtpdmaxidle");
	P.master = getpid();
	P.lfd = argc == 2 ? listen_bind(argv[0], argv[1]) : listen_systemd();
	if (P.lfd < 0)
		return EX_SL_TEMP;
	if (getuid() == 0 && !getenv("SLUICE_DROP"))
		fatal(EX_SL_TEMP, "will not talk SMTP as root (set SLUICE_DROP)",
		    NULL);
	smtpd_tls_load(1);
	if (!(P.w = calloc(P.max, sizeof *P.w)))
		fatal_nomem(EX_SL_TEMP);
	if (pipe2(P.st, O_CLOEXEC) < 0 || fd_nonblock(P.st[0]) < 0)
		fatal_sys(EX_SL_TEMP, "pipe", NULL);
	master_signals();
	log_line("pool listening: workers at most ", ulong_str(n1, P.max),
	    ", idle at least ", ulong_str(n2, P.minidle), NULL);
	return master_loop();
}
