/*
 * spawner.c -- the job loop of sluice-local and sluice-remote (spawner.h).
 *
 * Parent: reads job packets from fd 0 (SOCK_SEQPACKET to the manager)
 * and hands each to an idle worker (forking one when none is idle) over
 * the worker's own socketpair; passes the worker's result packets on to
 * the manager after checking that they answer this worker's job, in
 * order, each recipient once; never blocks on a delivery.  For a worker
 * that dies before answering every recipient (crash, kill, the hard time
 * limit) it answers the rest with a temporary failure, and the manager
 * retries later.
 * Worker: waits for a job, runs deliver(), sends the result packets and
 * "I1" \0 ID \0 KEY \0 (idle, holding KEY) to the parent, and exits
 * after a bounded number of jobs or any job that leaves it in doubt.
 * SIGTERM is ignored by both: only EOF from the manager ends the loop,
 * once every running worker has answered.
 */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exitcodes.h"
#include "logmsg.h"
#include "packet.h"
#include "spawner.h"
#include "sysutil.h"

#define CHILDREN_MAX	2000
#define JOB_HARD_LIMIT	3600	/* seconds; a delivery stuck longer is killed */
#define KEY_MAX		JOB_KEY_MAX

struct worker {
	pid_t pid;
	int sock;		/* the parent's end, nonblocking; -1 closed */
	int busy;		/* a job is out and not wholly answered yet */
	unsigned long id;	/* the job (the last one when idle) */
	size_t nrcpt, answered;
	unsigned long long idle_since;
	char key[KEY_MAX + 1];	/* what it holds while idle ("" nothing) */
};

static struct worker workers[CHILDREN_MAX];
static size_t nworkers;
static struct pollfd pfd[CHILDREN_MAX + 1];
static size_t pidx[CHILDREN_MAX + 1];
static char packet[JOB_PACKET_MAX + 1];
static char wpacket[JOB_PACKET_MAX + 1];
static const struct spawner_hooks *hooks;
static int retire;

void
spawner_set_hooks(const struct spawner_hooks *h)
{
	hooks = h;
}

void
spawner_retire(void)
{
	retire = 1;
}

static void
on_sigchld(int sig)
{
	(void)sig;	/* only interrupts poll() */
}

/* answer recipients first..nrcpt-1 of a job whose process could not
 * answer them itself (one packet: 1,000 short statuses fit) */
static void
answer_failed(unsigned long id, size_t first, size_t nrcpt, const char *why)
{
	stralloc res = {0};
	char n[24];
	size_t i;

	if (first >= nrcpt)
		return;
	if (!stralloc_copyb(&res, "R1", 3) ||
	    !stralloc_cats(&res, ulong_str(n, id)) || !stralloc_0(&res) ||
	    !stralloc_cats(&res, ulong_str(n, (unsigned long)first)) ||
	    !stralloc_0(&res))
		fatal_nomem(EX_SL_TEMP);
	for (i = first; i < nrcpt; i++)
		if (!job_result_add(&res, JOB_DEFERRED, "4.3.0", why, strlen(why)))
			fatal_nomem(EX_SL_TEMP);
	if (packet_send(0, res.s, res.len, -1) < 0)
		log_line_sys("warning: cannot answer job", NULL);
	stralloc_free(&res);
}

/* a worker that broke the protocol: it is killed, reap() answers */
static void
worker_bad(struct worker *w, const char *what)
{
	char n[24];

	log_line("warning: delivery worker ", ulong_str(n, (unsigned long)w->pid),
	    " ", what, ": stopped", NULL);
	kill(w->pid, SIGKILL);
	if (w->sock >= 0)
		close(w->sock);
	w->sock = -1;
}

/* "I1" \0 ID \0 KEY \0 (job.h) */
static void
worker_idle(struct worker *w, const char *p, size_t len)
{
	unsigned long id;
	const char *key;

	if (!job_idle_decode(p, len, &id, &key)) {
		worker_bad(w, "sent a malformed packet");
		return;
	}
	if (id != w->id)
		return;		/* about a job before the current one */
	if (w->busy) {
		if (w->answered < w->nrcpt) {
			worker_bad(w, "went idle without answering every recipient");
			return;
		}
		w->busy = 0;
		w->idle_since = now_ms();
	}
	strcpy(w->key, key);
}

/* a result packet: this worker's job, the next recipients, passed on */
static void
worker_result(struct worker *w, char *p, size_t len)
{
	static struct job_result r;
	static char copy[JOB_PACKET_MAX];

	memcpy(copy, p, len);
	if (!job_result_decode(copy, len, &r)) {
		worker_bad(w, "sent a malformed result");
		return;
	}
	if (!w->busy || r.id != w->id || r.first != w->answered ||
	    r.n > w->nrcpt - w->answered) {
		worker_bad(w, "sent a result for another job or recipient");
		return;
	}
	if (packet_send(0, p, len, -1) < 0)
		log_line_sys("warning: cannot pass a result on", NULL);
	w->answered += r.n;
}

/* read what a worker sent, until there is nothing more */
static void
worker_input(struct worker *w)
{
	while (w->sock >= 0) {
		long len = packet_recv(w->sock, wpacket, JOB_PACKET_MAX, NULL);

		if (len < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR))
			return;
		if (len < 0 && errno == EMSGSIZE) {
			worker_bad(w, "sent an oversized packet");
			return;
		}
		if (len <= 0) {		/* it exited (or is exiting) */
			close(w->sock);
			w->sock = -1;
			return;
		}
		if (wpacket[0] == 'R')
			worker_result(w, wpacket, (size_t)len);
		else
			worker_idle(w, wpacket, (size_t)len);
	}
}

static void
reap(void)
{
	int status;
	pid_t pid;
	size_t i;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct worker *w;
		char n[24];

		for (i = 0; i < nworkers; i++)
			if (workers[i].pid == pid)
				break;
		if (i == nworkers)
			continue;
		w = &workers[i];
		worker_input(w);	/* results it sent before it died */
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			log_line("delivery process ", ulong_str(n, (unsigned long)pid),
			    WIFSIGNALED(status) ? " killed by a signal" : " failed",
			    NULL);
		if (w->busy)
			answer_failed(w->id, w->answered, w->nrcpt,
			    "delivery process crashed or timed out");
		if (w->sock >= 0)
			close(w->sock);
		workers[i] = workers[--nworkers];
	}
}

/* descriptors open in this process, or -1 when /proc cannot say */
static long
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	long n = -1;	/* the directory's own descriptor */

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

struct baseline {
	long fds;
	int cwd_ok;	/* stat(".") worked (not in ROOT/queue, say) */
	dev_t dev;
	ino_t ino;
	mode_t mask;
	uid_t uid, euid;
	gid_t gid, egid;
	size_t heap;	/* after the first job: libraries set up lazily */
};

static void
baseline_take(struct baseline *b)
{
	struct stat st;

	b->fds = count_fds();
	b->dev = 0;
	b->ino = 0;
	b->cwd_ok = stat(".", &st) == 0;
	if (b->cwd_ok) {
		b->dev = st.st_dev;
		b->ino = st.st_ino;
	}
	b->mask = umask(077);
	umask(b->mask);
	b->uid = getuid();
	b->euid = geteuid();
	b->gid = getgid();
	b->egid = getegid();
	b->heap = 0;
}

/* what the last job left behind that the next one must not inherit:
 * a reason, or 0 */
static const char *
doubtful(const struct baseline *b, unsigned long jobs)
{
	struct stat st;
	struct mallinfo2 mi;
	mode_t mask;
	long fds;
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		;
	if (pid == 0)
		return "a child process left running";
	mask = umask(b->mask);
	if (mask != b->mask)
		return "umask changed";
	if (getuid() != b->uid || geteuid() != b->euid ||
	    getgid() != b->gid || getegid() != b->egid)
		return "user or group changed";
	/* (the manager's cwd, ROOT/queue, is closed to the delivery users:
	 * then "." must stay unreadable) */
	if ((stat(".", &st) == 0) != b->cwd_ok ||
	    (b->cwd_ok && (st.st_dev != b->dev || st.st_ino != b->ino)))
		return "working directory changed";
	fds = count_fds();
	if (b->fds >= 0 && fds >= 0 &&
	    fds > b->fds + (hooks && hooks->held_fd && hooks->held_fd() >= 0))
		return "a descriptor left open";
	mi = mallinfo2();
	if (jobs > 1 && mi.uordblks > b->heap + SPAWNER_HEAP_GROWTH)
		return "memory grew";
	return 0;
}

static const char *
held_key(void)
{
	const char *k = hooks && hooks->held ? hooks->held() : "";

	return k && strlen(k) <= KEY_MAX ? k : "";
}

/* tell the parent this worker is idle after job id, holding key */
static void
send_idle(int sock, unsigned long id, const char *key)
{
	char buf[JOB_IDLE_MAX];
	size_t l = job_idle_encode(buf, id, key);

	if (!l || packet_send(sock, buf, l, -1) < 0)
		_exit(EX_SL_TEMP);
}

static void
release(void)
{
	if (hooks && hooks->tick)
		hooks->tick(1);
}

/* one job in a worker: deliver, make up missing results */
static void
run_job(const struct job *j, int msgfd, deliver_fn deliver, stralloc *res)
{
	size_t n = 0, i;

	alarm(JOB_HARD_LIMIT);
	if (!job_result_start(res, j->id))
		_exit(EX_SL_TEMP);
	deliver(j, msgfd, res);
	alarm(0);
	close(msgfd);
	/* count the results deliver() added; make up missing ones */
	for (i = 0; i < res->len; i++)
		if (!res->s[i])
			n++;
	n = n >= 3 ? n - 3 : 0;
	for (; n < j->nrcpt; n++)
		if (!job_result_add(res, JOB_DEFERRED, "4.3.0", "no result from delivery", 23))
			_exit(EX_SL_TEMP);
	if (n > j->nrcpt)
		_exit(EX_SL_TEMP);
}

static void
worker_main(int sock, deliver_fn deliver) __attribute__((noreturn));

static void
worker_main(int sock, deliver_fn deliver)
{
	static stralloc res;
	struct baseline b;
	unsigned long jobs = 0, lastid = 0;
	char key[KEY_MAX + 1] = "";

	sig_default(SIGCHLD);
	sig_default(SIGALRM);
	baseline_take(&b);
	for (;;) {
		struct pollfd p[2];
		struct job j;
		long wait = hooks && hooks->tick ? hooks->tick(0) : -1;
		int hfd = hooks && hooks->held_fd ? hooks->held_fd() : -1;
		int msgfd, r;
		long len;
		const char *why;

		if (jobs && strcmp(key, held_key())) {
			strcpy(key, held_key());
			send_idle(sock, lastid, key);
		}
		p[0].fd = sock;
		p[0].events = POLLIN;
		p[1].fd = hfd;
		p[1].events = POLLIN;
		r = poll(p, hfd >= 0 ? 2 : 1, wait < 0 ? -1 :
		    wait > 60000 ? 60000 : (int)wait);
		if (r <= 0)
			continue;
		if (hfd >= 0 && p[1].revents && !p[0].revents) {
			/* the peer closed or spoke out of turn */
			release();
			continue;
		}
		len = packet_recv(sock, packet, JOB_PACKET_MAX, &msgfd);
		if (len < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (len <= 0) {		/* the parent is done with us */
			release();
			_exit(len == 0 ? 0 : EX_SL_TEMP);
		}
		if (!job_decode(packet, (size_t)len, &j) || msgfd < 0)
			_exit(EX_SL_TEMP);	/* the parent answers */
		run_job(&j, msgfd, deliver, &res);
		jobs++;
		lastid = j.id;
		if (jobs == 1)
			b.heap = mallinfo2().uordblks;
		why = retire ? "asked to" : jobs >= SPAWNER_JOBS_MAX ? 0 :
		    doubtful(&b, jobs);
		/* the results in as many packets as it takes (a result too
		 * big for one packet must still reach the manager: the
		 * deliveries did happen), then at once whether this worker
		 * takes the next job: the parent reads both together */
		if (job_result_send(sock, res.s, res.len) < 0)
			_exit(EX_SL_TEMP);
		if (res.a > 1024 * 1024) {	/* one huge result: give it back */
			stralloc_free(&res);
			res.s = 0;
		}
		if (retire || jobs >= SPAWNER_JOBS_MAX || why) {
			if (why)
				log_line("delivery worker exits after a job: ",
				    why, NULL);
			release();
			_exit(0);
		}
		strcpy(key, held_key());
		send_idle(sock, lastid, key);
	}
}

/* a new worker, or 0 */
static struct worker *
worker_new(deliver_fn deliver)
{
	struct worker *w;
	int sv[2];
	pid_t pid;
	size_t i;

	if (nworkers == CHILDREN_MAX)
		return 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		log_line_sys("warning: cannot make a socket pair", NULL);
		return 0;
	}
	pid = fork();
	if (pid < 0) {
		log_line_sys("warning: cannot fork", NULL);
		close(sv[0]);
		close(sv[1]);
		return 0;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		/* the manager's socket and the other workers' stay with
		 * the parent: their ends must close when it says so */
		if (null < 0 || dup2(null, 0) < 0)
			_exit(EX_SL_TEMP);
		close(null);
		for (i = 0; i < nworkers; i++)
			if (workers[i].sock >= 0)
				close(workers[i].sock);
		close(sv[0]);
		worker_main(sv[1], deliver);
	}
	close(sv[1]);
	fd_nonblock(sv[0]);
	w = &workers[nworkers++];
	memset(w, 0, sizeof *w);
	w->pid = pid;
	w->sock = sv[0];
	return w;
}

/* the idle worker for a job with this key: one holding the key, else
 * one holding nothing (the one idle the shortest time, so that the
 * others can time out), else the one idle the longest (it lets go of
 * what it holds) */
static struct worker *
worker_pick(const char *key)
{
	struct worker *empty = 0, *other = 0;
	size_t i;

	for (i = 0; i < nworkers; i++) {
		struct worker *w = &workers[i];

		if (w->busy || w->sock < 0)
			continue;
		if (*key && !strcasecmp(w->key, key))
			return w;
		if (!w->key[0]) {
			if (!empty || w->idle_since > empty->idle_since)
				empty = w;
		} else if (!other || w->idle_since < other->idle_since)
			other = w;
	}
	return empty ? empty : other;
}

/* no worker is idle, but some have answered their job and are about to
 * say so (they send "I1" right after the results): wait a moment for
 * that rather than fork another */
static void
await_finishing(void)
{
	unsigned long long end = now_ms() + 100;

	for (;;) {
		size_t i, n = 0;
		unsigned long long now;

		for (i = 0; i < nworkers; i++)
			if (workers[i].busy && workers[i].sock >= 0 &&
			    workers[i].answered == workers[i].nrcpt) {
				pfd[n].fd = workers[i].sock;
				pfd[n].events = POLLIN;
				pidx[n++] = i;
			}
		now = now_ms();
		if (!n || now >= end || poll(pfd, n, (int)(end - now)) <= 0)
			return;
		for (i = 0; i < n; i++)
			if (pfd[i].revents) {
				worker_input(&workers[pidx[i]]);
				if (!workers[pidx[i]].busy)
					return;
			}
	}
}

static void
dispatch(const struct job *j, size_t len, int msgfd, deliver_fn deliver)
{
	const char *key = j->kind == JOB_REMOTE ? j->domain : "";
	int tries;

	for (tries = 0; tries < 2; tries++) {
		struct worker *w = worker_pick(key);

		if (!w) {
			await_finishing();
			w = worker_pick(key);
		}
		if (!w)
			w = worker_new(deliver);
		if (!w)
			break;
		if (packet_send(w->sock, packet, len, msgfd) < 0) {
			worker_bad(w, "cannot take a job");
			continue;
		}
		w->busy = 1;
		w->id = j->id;
		w->nrcpt = j->nrcpt;
		w->answered = 0;
		close(msgfd);
		return;
	}
	answer_failed(j->id, 0, j->nrcpt, nworkers == CHILDREN_MAX ?
	    "too many deliveries at once" : "cannot start a delivery process");
	close(msgfd);
}

static void
serve(deliver_fn deliver)
{
	int eof = 0;

	sig_ignore(SIGPIPE);
	/* the manager decides when delivery ends (EOF on fd 0, after the
	 * running jobs answered): a SIGTERM sent to the whole service (a
	 * process-group or cgroup kill) must not cut deliveries short, here
	 * or in the workers, which inherit this; programs they exec get the
	 * default back */
	sig_ignore(SIGTERM);
	sig_catch(SIGCHLD, on_sigchld);
	for (;;) {
		unsigned long long now;
		struct job j;
		size_t i, np = 0;
		long len;
		int msgfd;

		reap();
		now = now_ms();
		for (i = 0; i < nworkers; i++) {
			struct worker *w = &workers[i];

			/* idle too long, or nothing more to come: its
			 * socket closes and it exits */
			if (!w->busy && w->sock >= 0 &&
			    (eof || now - w->idle_since >= SPAWNER_IDLE_S * 1000ULL)) {
				close(w->sock);
				w->sock = -1;
			}
		}
		if (eof) {
			if (!nworkers)
				_exit(0);
			if (eof == 1) {
				/* nobody can record what they do now: stop
				 * them, so that what they were about to
				 * deliver is not delivered unrecorded (and
				 * then again by the next manager) */
				int any = 0;

				for (i = 0; i < nworkers; i++)
					if (workers[i].busy) {
						kill(workers[i].pid, SIGTERM);
						any = 1;
					}
				if (any)
					log_line("the manager is gone: stopping the "
					    "deliveries still running", NULL);
				eof = 2;
			}
		} else {
			pfd[np].fd = 0;
			pfd[np].events = POLLIN;
			pidx[np++] = CHILDREN_MAX;
		}
		for (i = 0; i < nworkers; i++)
			if (workers[i].sock >= 0) {
				pfd[np].fd = workers[i].sock;
				pfd[np].events = POLLIN;
				pidx[np++] = i;
			}
		if (poll(pfd, np, eof ? 500 : 1000) <= 0)
			continue;
		for (i = 0; i < np; i++)
			if (pidx[i] < CHILDREN_MAX && pfd[i].revents)
				worker_input(&workers[pidx[i]]);
		if (eof || !pfd[0].revents)
			continue;
		len = packet_recv(0, packet, JOB_PACKET_MAX, &msgfd);
		if (len == 0) {
			eof = 1;
			continue;
		}
		if (len < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			if (errno == EMSGSIZE) {
				log_line("warning: oversized job packet ignored", NULL);
				continue;
			}
			fatal_sys(EX_SL_TEMP, "fatal: cannot read job", NULL);
		}
		if (!job_decode(packet, (size_t)len, &j) || msgfd < 0) {
			log_line("warning: malformed job packet ignored", NULL);
			if (msgfd >= 0)
				close(msgfd);
			continue;
		}
		dispatch(&j, (size_t)len, msgfd, deliver);
	}
}

/* fd 0 as a regular file holding the message: copy it when it is not */
static int
message_file(unsigned long *size)
{
	struct stat st;
	char buf[8192];
	int fd;

	if (fstat(0, &st) == 0 && S_ISREG(st.st_mode)) {
		*size = (unsigned long)st.st_size;
		return 0;
	}
	fd = open("/tmp", O_RDWR | O_TMPFILE | O_CLOEXEC, 0600);
	if (fd < 0)
		fatal_sys(EX_SL_TEMP, "fatal: cannot create temporary file", NULL);
	*size = 0;
	for (;;) {
		ssize_t r = read(0, buf, sizeof buf);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			fatal_sys(EX_SL_TEMP, "fatal: cannot read message", NULL);
		}
		if (r == 0)
			break;
		if (write_all(fd, buf, (size_t)r) < 0)
			fatal_sys(EX_SL_TEMP, "fatal: cannot write temporary file", NULL);
		*size += (unsigned long)r;
	}
	return fd;
}

static void
one_shot(int argc, char **argv, deliver_fn deliver)
{
	static struct job j;
	stralloc res = {0};
	unsigned long size;
	int fd, i, perm = 0, temp = 0;
	size_t k;

	if (argc < 6 || (strcmp(argv[2], "L") && strcmp(argv[2], "R")))
		fatal(EX_SL_USAGE, "usage: ", log_prog(),
		    " -1 L|R SENDER DOMAIN RCPT... < message", NULL);
	if (argc - 5 > JOB_RCPT_MAX)
		fatal(EX_SL_USAGE, "fatal: too many recipients", NULL);
	fd = message_file(&size);
	j.id = 1;
	j.qid = "oneshot";
	j.kind = argv[2][0] == 'L' ? JOB_LOCAL : JOB_REMOTE;
	j.sender = argv[3];
	j.domain = argv[4];
	j.arrival = (unsigned long)time(0);
	j.offset = 0;
	j.length = size;
	j.nrcpt = (size_t)(argc - 5);
	for (i = 5; i < argc; i++)
		j.rcpt[i - 5] = argv[i];
	if (j.kind == JOB_LOCAL && j.nrcpt != 1)
		fatal(EX_SL_USAGE, "fatal: a local job has exactly one recipient", NULL);
	if (!job_result_start(&res, 1))
		fatal_nomem(EX_SL_TEMP);
	deliver(&j, fd, &res);
	release();
	/* skip "R1\0" "1\0" "0\0", then print one line per status */
	for (k = 0, i = 0; k < res.len; k++) {
		if (res.s[k])
			continue;
		i++;
		if (i == 3)
			break;
	}
	for (k++; k < res.len; ) {
		size_t l = strlen(res.s + k);
		if (job_status_of(res.s[k]) == JOB_FAILED)
			perm = 1;
		if (job_status_of(res.s[k]) == JOB_DEFERRED)
			temp = 1;
		if (write_all(1, res.s + k, l) < 0 || write_all(1, "\n", 1) < 0)
			fatal_sys(EX_SL_TEMP, "fatal: cannot write result", NULL);
		k += l + 1;
	}
	_exit(temp ? EX_SL_TEMP : perm ? EX_SL_PERM : 0);
}

void
spawner_main(int argc, char **argv, deliver_fn deliver, const char *oneshot)
{
	log_init(argv[0]);
	if (argc > 1 && !strcmp(argv[1], "-1"))
		one_shot(argc, argv, deliver);
	if (argc > 1)
		fatal(EX_SL_USAGE, "usage: ", log_prog(),
		    " (job loop on fd 0) | ", log_prog(), " ", oneshot, NULL);
	serve(deliver);
	_exit(0);
}
