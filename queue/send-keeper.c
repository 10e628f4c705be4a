/*
 * send-keeper.c -- the half of sluice-send that owns the delivery sockets.
 *
 * sluice-send forks this keeper at start; the keeper alone holds fd 3
 * (sluice-local) and fd 4 (sluice-remote).  The scheduler sends it
 * requests on a SOCK_SEQPACKET pair: "I<i>,<i>,...\0" (the recipients'
 * indices in the queue file) followed by a job packet (job.h).  The keeper
 * opens the message read-only, passes the job on, and when the result
 * comes back it appends the K/Z/D journal records (fdatasync'ed when
 * anything was delivered or failed) BEFORE it forwards the result packet
 * to the scheduler.  So a result that a delivery program sent is never
 * lost, even when the scheduler is killed with kill -9: the keeper then
 * stops taking work, waits up to DRAIN_WAIT seconds for the jobs still
 * running, journals their results and exits.  The same when a delivery
 * program goes away: the other one's running jobs are waited for, and
 * the scheduler, which loses the keeper, exits to be restarted.  A new sluice-send waits for
 * it (both hold the lock on the mess/ directory) so the two never deliver
 * the same recipient.
 *
 * Runs as sluices, like the scheduler; signals other than SIGKILL are
 * ignored (it ends when its scheduler or a delivery program goes away).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "exitcodes.h"
#include "job.h"
#include "logmsg.h"
#include "qfork.h"
#include "send.h"
#include "sysutil.h"

#define DRAIN_WAIT	120		/* seconds to wait for running jobs */
#define KJOBS_MAX	2048

struct kjob {
	unsigned long id;
	int sock;			/* 3 local, 4 remote */
	char qid[QF_ID_MAX];
	size_t n;
	size_t idx[];			/* the recipients' indices */
};

/* results the scheduler could not take yet: the keeper never blocks on
 * it, so the two can never wait for each other */
struct pending {
	struct pending *next;
	size_t len;
	char pkt[];
};

static struct kjob *kjobs[KJOBS_MAX];
static struct pending *phead, *ptail;
static size_t nkjobs;
static char buf[JOB_PACKET_MAX + 64];
static char copy[JOB_PACKET_MAX + 64];

static int
journal_path(stralloc *p, const char *qid)
{
	return qf_id_valid(qid) && qf_mess_path(p, qid);
}

static int
open_message(const char *qid)
{
	static stralloc p;

	if (!journal_path(&p, qid))
		return -1;
	return open(p.s, O_RDONLY | O_CLOEXEC);
}

/* append the records for one result; 0 ok, -1 error */
static int
journal_result(const struct kjob *k, const struct job_result *r)
{
	static stralloc rec, p;
	unsigned long t = (unsigned long)time(0);
	int sync = 0, fd, ok;
	size_t i;

	rec.len = 0;
	for (i = 0; i < k->n; i++) {
		char kind = 'Z', dsn[16] = "4.3.0";
		const char *text = "no result from the delivery program";

		if (i < r->n && !qf_status_split(r->status[i], &kind, dsn,
		    &text)) {
			kind = 'Z';
			strcpy(dsn, "4.3.0");
			text = "malformed result from the delivery program";
		}
		if (kind != 'Z')
			sync = 1;
		if (!qf_record(&rec, kind, k->idx[i], t, dsn, text,
		    strlen(text)))
			return -1;
	}
	if (!journal_path(&p, k->qid))
		return -1;
	fd = open(p.s, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ok = write_all(fd, rec.s, rec.len) == 0 && (!sync || !fdatasync(fd));
	close(fd);
	return ok ? 0 : -1;
}

/* "I1,2,3\0" + job packet: the job, or 0 if malformed */
static struct kjob *
parse_request(char *pkt, size_t len, size_t *hlen, char *kind)
{
	static struct job j;
	char *nul = memchr(pkt, 0, len), *p;
	struct kjob *k;
	size_t n = 0;

	if (pkt[0] != 'I' || !nul)
		return 0;
	*hlen = (size_t)(nul - pkt) + 1;
	memcpy(copy, nul + 1, len - *hlen);
	if (!job_decode(copy, len - *hlen, &j) || strlen(j.qid) >= QF_ID_MAX)
		return 0;
	k = malloc(sizeof *k + j.nrcpt * sizeof k->idx[0]);
	if (!k)
		return 0;
	k->id = j.id;
	strcpy(k->qid, j.qid);
	for (p = pkt + 1; n < j.nrcpt && *p; n++) {
		k->idx[n] = strtoul(p, &p, 10);
		if (*p == ',')
			p++;
	}
	k->n = n;
	*kind = j.kind;
	k->sock = j.kind == 'L' ? 3 : 4;
	if (n != j.nrcpt) {
		free(k);
		return 0;
	}
	return k;
}

/* send what waits, in order; 0 when the scheduler's socket is full */
static int
flush_pending(int up)
{
	while (phead) {
		struct pending *p = phead;

		if (packet_send(up, p->pkt, p->len, -1)) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			log_line_sys("warning: keeper: scheduler gone", NULL);
		}
		phead = p->next;
		if (!phead)
			ptail = 0;
		free(p);
	}
	return 1;
}

static void
forward(int up, const char *pkt, size_t len)
{
	struct pending *p = malloc(sizeof *p + len);

	if (!p)
		fatal_nomem(EX_SL_TEMP);
	p->next = 0;
	p->len = len;
	memcpy(p->pkt, pkt, len);
	if (ptail)
		ptail->next = p;
	else
		phead = p;
	ptail = p;
	flush_pending(up);
}

static void
take_request(int up, int len)
{
	struct kjob *k;
	size_t hlen;
	char kind;
	int fd;

	k = parse_request(buf, (size_t)len, &hlen, &kind);
	if (!k || nkjobs == KJOBS_MAX)
		fatal(EX_SL_TEMP, "fatal: keeper: bad request", NULL);
	fd = open_message(k->qid);
	if (fd < 0 || packet_send(k->sock, buf + hlen,
	    (size_t)len - hlen, fd)) {
		/* the scheduler hears of it as a result with no statuses */
		static stralloc res;
		struct job_result r;

		log_line_sys("warning: ", k->qid, " cannot start a job", NULL);
		r.n = 0;
		if (journal_result(k, &r) || !job_result_start(&res, k->id))
			fatal(EX_SL_TEMP, "fatal: keeper: cannot report", NULL);
		forward(up, res.s, res.len);
		free(k);
	} else
		kjobs[nkjobs++] = k;
	if (fd >= 0)
		close(fd);
}

/* a delivery program is gone: its running jobs will never report
 * (its children hold the socket, so everything they sent is read) */
static void
drop_jobs_of(int sock)
{
	size_t i = 0;

	while (i < nkjobs)
		if (kjobs[i]->sock == sock) {
			free(kjobs[i]);
			kjobs[i] = kjobs[--nkjobs];
		} else
			i++;
}

/* 0 when the delivery program has gone away */
static int
take_result(int up, int sock)
{
	struct job_result r;
	long len = packet_recv(sock, buf, JOB_PACKET_MAX, 0);
	size_t i;

	if (len == 0) {
		log_line("sluice-", sock == 3 ? "local" : "remote",
		    " went away", NULL);
		drop_jobs_of(sock);
		return 0;
	}
	if (len < 0)
		return 1;
	memcpy(copy, buf, (size_t)len);
	if (!job_result_decode(copy, (size_t)len, &r)) {
		log_line("warning: malformed result packet ignored", NULL);
		return 1;
	}
	for (i = 0; i < nkjobs; i++)
		if (kjobs[i]->id == r.id)
			break;
	if (i == nkjobs) {
		log_line("warning: result for an unknown job ignored", NULL);
		return 1;
	}
	if (journal_result(kjobs[i], &r))
		fatal_sys(EX_SL_TEMP, "fatal: cannot write the journal of ",
		    kjobs[i]->qid, NULL);
	free(kjobs[i]);
	kjobs[i] = kjobs[--nkjobs];
	if (up >= 0)
		forward(up, buf, (size_t)len);
	return 1;
}

/*
 * Serve until the scheduler goes away (kill -9 or exit) or a delivery
 * program does; then take no more work, wait up to DRAIN_WAIT seconds for
 * the jobs still running (journaling their results) and exit.  A
 * scheduler that loses us exits too, and the supervisor restarts all.
 */
static void __attribute__((noreturn))
keeper_loop(int up)
{
	unsigned long drain_until = 0;
	int socks[2] = { 3, 4 };

	for (;;) {
		struct pollfd pfd[3];
		int i;

		if (up < 0 && (!nkjobs || (unsigned long)time(0) >= drain_until)) {
			if (nkjobs)
				log_line("keeper: giving up on running jobs",
				    NULL);
			_exit(0);
		}
		for (i = 0; i < 2; i++) {
			pfd[i].fd = socks[i];	/* negative: ignored by poll */
			pfd[i].events = POLLIN;
		}
		pfd[2].fd = up;
		pfd[2].events = POLLIN | (phead ? POLLOUT : 0);
		if (poll(pfd, 3, up < 0 ? 1000 : -1) < 0)
			continue;
		for (i = 0; i < 2; i++)
			if (pfd[i].fd >= 0 && pfd[i].revents &&
			    !take_result(up, pfd[i].fd)) {
				socks[i] = -1;
				if (up >= 0) {
					close(up);
					up = -1;
					drain_until = (unsigned long)time(0) +
					    DRAIN_WAIT;
				}
			}
		if (up >= 0 && (pfd[2].revents & POLLOUT))
			flush_pending(up);
		if (up >= 0 && (pfd[2].revents & ~POLLOUT)) {
			long len = packet_recv(up, buf, sizeof buf, 0);

			if (len > 0)
				take_request(up, (int)len);
			else if (len == 0 || (errno != EINTR && errno != EAGAIN)) {
				close(up);
				up = -1;
				drain_until = (unsigned long)time(0) + DRAIN_WAIT;
			}
		}
	}
}

int
keeper_start(void)
{
	int sock;

	if (fork_socketpair(&sock) == 0) {
		log_init("sluice-send-keeper");
		fd_nonblock(sock);
		sig_ignore(SIGTERM);
		sig_ignore(SIGHUP);
		sig_ignore(SIGALRM);
		sig_ignore(SIGPIPE);
		sig_default(SIGCHLD);
		keeper_loop(sock);
	}
	close(3);
	close(4);
	return sock;
}
