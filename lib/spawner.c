/*
 * spawner.c -- the job loop of sluice-local and sluice-remote (spawner.h).
 *
 * Parent: reads job packets from fd 0 (SOCK_SEQPACKET to the manager),
 * forks a child per job, and never blocks on a delivery.  It remembers
 * each child's job id and recipient count, so that a child that dies
 * without answering (crash, hard time limit) is answered for: every
 * recipient gets a temporary failure and the manager retries later.
 * Child: runs deliver(), sends the result packet itself, exits 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exitcodes.h"
#include "logmsg.h"
#include "spawner.h"
#include "sysutil.h"

#define CHILDREN_MAX	2000
#define JOB_HARD_LIMIT	3600	/* seconds; a delivery stuck longer is killed */

struct child {
	pid_t pid;
	unsigned long id;
	size_t nrcpt;
};

static struct child children[CHILDREN_MAX];
static size_t nchildren;
static char packet[JOB_PACKET_MAX + 1];

static void
on_sigchld(int sig)
{
	(void)sig;	/* only interrupts poll() */
}

/* answer for a job whose process could not answer itself */
static void
answer_failed(unsigned long id, size_t nrcpt, const char *why)
{
	stralloc res = {0};
	size_t i;

	if (!job_result_start(&res, id))
		fatal_nomem(EX_SL_TEMP);
	for (i = 0; i < nrcpt; i++)
		if (!job_result_add(&res, 'Z', "4.3.0", why, strlen(why)))
			fatal_nomem(EX_SL_TEMP);
	if (job_result_send(0, res.s, res.len) < 0)
		log_line_sys("warning: cannot answer job", NULL);
	stralloc_free(&res);
}

static void
reap(void)
{
	int status;
	pid_t pid;
	size_t i;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < nchildren; i++)
			if (children[i].pid == pid)
				break;
		if (i == nchildren)
			continue;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			char n[24];
			log_line("delivery process ", ulong_str(n, (unsigned long)pid),
			    WIFSIGNALED(status) ? " killed by a signal" : " failed",
			    NULL);
			answer_failed(children[i].id, children[i].nrcpt,
			    "delivery process crashed or timed out");
		}
		children[i] = children[--nchildren];
	}
}

static void
run_child(const struct job *j, int msgfd, deliver_fn deliver)
{
	stralloc res = {0};
	size_t n = 0, i;

	sig_default(SIGCHLD);
	alarm(JOB_HARD_LIMIT);
	if (!job_result_start(&res, j->id))
		_exit(EX_SL_TEMP);
	deliver(j, msgfd, &res);
	/* count the results deliver() added; make up missing ones */
	for (i = 0; i < res.len; i++)
		if (!res.s[i])
			n++;
	n = n >= 3 ? n - 3 : 0;
	for (; n < j->nrcpt; n++)
		if (!job_result_add(&res, 'Z', "4.3.0", "no result from delivery", 23))
			_exit(EX_SL_TEMP);
	if (n > j->nrcpt)
		_exit(EX_SL_TEMP);
	/* in as many packets as it takes: a result too big for one packet
	 * must still reach the manager (the deliveries did happen) */
	if (job_result_send(0, res.s, res.len) < 0)
		_exit(EX_SL_TEMP);
	_exit(0);
}

static void
serve(deliver_fn deliver)
{
	int eof = 0;

	sig_ignore(SIGPIPE);
	sig_catch(SIGCHLD, on_sigchld);
	for (;;) {
		struct pollfd p;
		struct job j;
		long len;
		int msgfd;
		pid_t pid;

		reap();
		if (eof) {
			if (!nchildren)
				_exit(0);
			if (eof == 1) {
				/* nobody can record what they do now: stop
				 * them, so that what they were about to
				 * deliver is not delivered unrecorded (and
				 * then again by the next manager) */
				size_t i;

				log_line("the manager is gone: stopping the "
				    "deliveries still running", NULL);
				for (i = 0; i < nchildren; i++)
					kill(children[i].pid, SIGTERM);
				eof = 2;
			}
			poll(0, 0, 500);
			continue;
		}
		p.fd = 0;
		p.events = POLLIN;
		if (poll(&p, 1, 1000) <= 0)
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
		if (nchildren == CHILDREN_MAX) {
			answer_failed(j.id, j.nrcpt, "too many deliveries at once");
			close(msgfd);
			continue;
		}
		pid = fork();
		if (pid < 0) {
			answer_failed(j.id, j.nrcpt, "cannot fork");
			close(msgfd);
			continue;
		}
		if (pid == 0)
			run_child(&j, msgfd, deliver);
		close(msgfd);
		children[nchildren].pid = pid;
		children[nchildren].id = j.id;
		children[nchildren].nrcpt = j.nrcpt;
		nchildren++;
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
	j.kind = argv[2][0];
	j.sender = argv[3];
	j.domain = argv[4];
	j.arrival = (unsigned long)time(0);
	j.offset = 0;
	j.length = size;
	j.nrcpt = (size_t)(argc - 5);
	for (i = 5; i < argc; i++)
		j.rcpt[i - 5] = argv[i];
	if (j.kind == 'L' && j.nrcpt != 1)
		fatal(EX_SL_USAGE, "fatal: a local job has exactly one recipient", NULL);
	if (!job_result_start(&res, 1))
		fatal_nomem(EX_SL_TEMP);
	deliver(&j, fd, &res);
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
		if (res.s[k] == 'D')
			perm = 1;
		if (res.s[k] == 'Z')
			temp = 1;
		if (write_all(1, res.s + k, l) < 0 || write_all(1, "\n", 1) < 0)
			fatal_sys(EX_SL_TEMP, "fatal: cannot write result", NULL);
		k += l + 1;
	}
	_exit(temp ? EX_SL_TEMP : perm ? EX_SL_PERM : 0);
}

void
spawner_main(int argc, char **argv, deliver_fn deliver)
{
	log_init(argv[0]);
	if (argc > 1 && !strcmp(argv[1], "-1"))
		one_shot(argc, argv, deliver);
	if (argc > 1)
		fatal(EX_SL_USAGE, "usage: ", log_prog(),
		    " (job loop on fd 0) | -1 L|R SENDER DOMAIN RCPT... < message", NULL);
	serve(deliver);
	_exit(0);
}
