/*
 * send-keeper.c -- the half of sluice-send that owns the delivery sockets.
 *
 * sluice-send forks this keeper at start; the keeper alone reads fd 3
 * (sluice-local) and fd 4 (sluice-remote) and sends jobs on them.  The
 * scheduler sends it requests on a SOCK_SEQPACKET pair:
 *   "I<i>,<i>,...\0" + job packet   start a job (the recipients' indices
 *                                    in the queue file, then job.h)
 *   "Y<i>:<a>,<i>:<a>,...\0" + job  take over a job a killed keeper had
 *                                    started (a: the recipient's failed
 *                                    attempts when the job began)
 *   "G\0"                            every running job is handed over
 *                                    (after the I and Y requests of a
 *                                    keeper that takes over)
 *   "W<s>\0ID\0END\0" + entries      the scheduler's journal records
 *                                    (journal_request); "V": sent again
 *                                    to a new keeper
 *   "C\0ID\0"                        compact ID's journal
 *   "T\0ID\0SIZE\0"                  cut a torn last line (at load)
 * and it answers, in order:
 *   "A1\0ID\0"                       the job was handed to its delivery
 *                                    program (or answered for, below)
 *   "R1\0ID\0FIRST\0status..."       results (job.h), journaled already
 *   "J0\0" / "J1\0"                  the journal cannot be written (start
 *                                    nothing) / can be written again
 *   "W1\0ID\0SIZE\0"                 a "W"/"V" request is written
 * It opens the message read-only and passes the job on; a result is taken
 * only from the socket its job went out on, only for recipients of that
 * job and only once per recipient (a delivery program cannot record
 * anything for another job or channel).  The K/Z/D journal records
 * (fdatasync'ed when anything was delivered or failed) are appended
 * BEFORE the result goes on to the scheduler.  When they cannot be
 * written (a full disk) the records and the results are held here in
 * memory, in order, the write is retried every HOLD_RETRY seconds and the
 * scheduler is told to start nothing until it works: a delivery that
 * happened is never forgotten and so never repeated.  The keeper is the
 * one writer of the journals: the scheduler's records and compactions
 * come here as requests and are written in order with the results.
 *
 * If the scheduler dies (kill -9), the keeper stops taking work, waits up
 * to DRAIN_WAIT seconds for the jobs still running, journals their
 * results (for as long as it takes when the disk is full) and exits.  A
 * new sluice-send waits for it (both hold the lock on the mess/
 * directory).  If the keeper dies, the scheduler (which keeps fd 3 and 4
 * open for this) forks a new one and hands it the running jobs ("Y"):
 * their results wait in the sockets meanwhile, and what the dead keeper
 * journaled but did not pass on is read back from the journal.  The new
 * keeper reads no result before "G": one read before its job was handed
 * over would belong to no job it knows, and would be lost.  If a
 * delivery program goes away, the keeper drains the same way and exits 0,
 * and the scheduler exits to be restarted with a new set of programs.
 *
 * Runs as sluices, like the scheduler; signals other than SIGKILL are
 * ignored.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "exitcodes.h"
#include "job.h"
#include "logmsg.h"
#include "packet.h"
#include "../queue/qfork.h"
#include "../queue/qscan.h"
#include "send.h"
#include "sysutil.h"

#define DRAIN_WAIT	120		/* seconds to wait for running jobs */
#define HOLD_RETRY	5		/* seconds between journal retries */
#define RESUME_WAIT	(3600 + 120)	/* a taken-over job answers by then
					 * (the spawner's hard limit) */
#define KJOBS_MAX	2048

struct kjob {
	unsigned long id;
	int sock;			/* 3 local, 4 remote */
	char qid[QF_ID_MAX];
	size_t n, left;			/* recipients; still without result */
	unsigned long deadline;		/* taken over: give up then; or 0 */
	unsigned char *got;		/* n flags: has its result */
	unsigned *att;			/* "Y": attempts at the job's start */
	size_t idx[];			/* the recipients' indices */
};

/* packets for the scheduler, which it could not take yet: the keeper
 * never blocks on it, so the two can never wait for each other */
struct pending {
	struct pending *next;
	size_t len;
	char pkt[];
};

/* results whose journal records could not be written yet */
struct held {
	struct held *next;
	char qid[QF_ID_MAX];
	int sync;
	int end;			/* fwd is an ack: the size is added */
	size_t reclen, fwdlen;
	char *rec, *fwd;
};

static struct kjob *kjobs[KJOBS_MAX];
static struct pending *phead, *ptail;
static struct held *hhead, *htail;
static size_t nkjobs, nheld;
static unsigned long next_retry;
static int up = -1;			/* the scheduler, or -1 when gone */
static int up_mute;			/* a delivery program went away: we
					 * only read (journal requests) until
					 * the scheduler closes its end */
static int adopting;			/* a new keeper before "G": results
					 * wait in the sockets */
static char buf[KEEPER_REQ_MAX];
static char copy[KEEPER_REQ_MAX];

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

/* send what waits, in order; 0 when the scheduler's socket is full */
static int
flush_pending(void)
{
	while (phead) {
		struct pending *p = phead;

		if (up >= 0 && packet_send(up, p->pkt, p->len, -1)) {
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
forward(const char *pkt, size_t len)
{
	struct pending *p;

	if (up < 0 || up_mute)
		return;
	p = malloc(sizeof *p + len);
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
	flush_pending();
}

static void
forward_ack(unsigned long id)
{
	char pkt[32], num[24];
	size_t l;

	ulong_str(num, id);
	l = strlen(num);
	memcpy(pkt, "A1", 3);
	memcpy(pkt + 3, num, l + 1);
	forward(pkt, 3 + l + 1);
}

/* fwd, and with end the journal's size now ("W1\0ID\0" + END) */
static void
forward_end(const char *qid, const char *fwd, size_t len, int end)
{
	static stralloc p, pkt;
	struct stat st;
	char num[24];

	if (!end) {
		forward(fwd, len);
		return;
	}
	if (!journal_path(&p, qid) || stat(p.s, &st))
		st.st_size = 0;
	pkt.len = 0;
	if (!stralloc_copyb(&pkt, fwd, len) || !stralloc_cats(&pkt,
	    ulong_str(num, (unsigned long)st.st_size)) || !stralloc_0(&pkt))
		fatal_nomem(EX_SL_TEMP);
	forward(pkt.s, pkt.len);
}

/* write the held records, oldest first; 1 when none is left */
static int
retry_held(void)
{
	static stralloc p;

	while (hhead) {
		struct held *h = hhead;

		if (!journal_path(&p, h->qid))
			fatal_nomem(EX_SL_TEMP);
		if (qfile_append(p.s, h->rec, h->reclen, h->sync)) {
			if (errno == ENOENT)	/* the message is gone */
				log_line("warning: ", h->qid, " vanished: held "
				    "journal records dropped", NULL);
			else {
				next_retry = (unsigned long)time(0) + HOLD_RETRY;
				return 0;
			}
		}
		if (h->fwdlen)
			forward_end(h->qid, h->fwd, h->fwdlen, h->end);
		hhead = h->next;
		if (!hhead)
			htail = 0;
		nheld--;
		free(h->rec);
		free(h->fwd);
		free(h);
		if (!hhead) {
			log_line("the journal can be written again: every held "
			    "result is recorded", NULL);
			forward("J1", 3);
		}
	}
	return 1;
}

/* journal the records, then forward the packet (end: an ack, which
 * gets the journal's size); when the journal cannot be written, hold both
 * (and everything after them, in order) */
static void
record(const char *qid, const stralloc *rec, int sync, const stralloc *fwd,
    int end)
{
	static stralloc p;
	struct held *h;
	int e = 0;

	if (!hhead) {
		if (!rec->len || (journal_path(&p, qid) &&
		    qfile_append(p.s, rec->s, rec->len, sync) == 0)) {
			if (fwd->len)
				forward_end(qid, fwd->s, fwd->len, end);
			return;
		}
		e = errno;
		if (e == ENOENT) {
			log_line("warning: ", qid, " vanished: its journal "
			    "records are lost", NULL);
			if (fwd->len)
				forward_end(qid, fwd->s, fwd->len, end);
			return;
		}
	}
	h = calloc(1, sizeof *h);
	if (!h || !(h->rec = malloc(rec->len + 1)) ||
	    !(h->fwd = malloc(fwd->len + 1)))
		fatal_nomem(EX_SL_TEMP);
	strcpy(h->qid, qid);
	h->sync = sync;
	h->end = end;
	h->reclen = rec->len;
	h->fwdlen = fwd->len;
	memcpy(h->rec, rec->s, rec->len);
	memcpy(h->fwd, fwd->s, fwd->len);
	if (!hhead) {
		errno = e;
		log_line_sys("warning: cannot write the journal of ", qid,
		    ": records are held in memory and the write retried; "
		    "no delivery starts until it works", NULL);
		forward("J0", 3);
		next_retry = (unsigned long)time(0) + HOLD_RETRY;
	}
	if (htail)
		htail->next = h;
	else
		hhead = h;
	htail = h;
	nheld++;
}

static void
kjob_free(size_t i)
{
	free(kjobs[i]->got);
	free(kjobs[i]->att);
	free(kjobs[i]);
	kjobs[i] = kjobs[--nkjobs];
}

/*
 * Take statuses for recipients first.. of job i: each recipient's first
 * status only.  journaled: they are in the journal already (read back
 * after a keeper restart), only the scheduler must hear of them.
 */
static void
accept_statuses(size_t ki, size_t first, size_t n, const char *const *st,
    int journaled)
{
	static stralloc rec, fwd;
	struct kjob *k = kjobs[ki];
	unsigned long t = (unsigned long)time(0);
	int sync = 0;
	size_t i;

	rec.len = 0;
	if (!job_result_start(&fwd, k->id))
		fatal_nomem(EX_SL_TEMP);
	fwd.len -= 2;			/* FIRST is put back below */
	if (!qf_catnum(&fwd, first) || !stralloc_catb(&fwd, "", 1))
		fatal_nomem(EX_SL_TEMP);
	for (i = 0; i < n && first + i < k->n; i++) {
		size_t j = first + i;
		enum qf_state kind = QS_DEFERRED;
		char dsn[16] = "4.3.0", head[20];
		const char *text = "no result from the delivery program";

		if (st[i] && !qf_status_split(st[i], &kind, dsn, &text)) {
			kind = QS_DEFERRED;
			strcpy(dsn, "4.3.0");
			text = "malformed result from the delivery program";
		}
		if (k->got[j]) {
			/* the scheduler has it: any status only keeps the
			 * packet's positions; it is ignored there */
			kind = QS_DEFERRED;
			strcpy(dsn, "4.3.0");
			text = "";
		} else {
			k->got[j] = 1;
			k->left--;
			if (kind != QS_DEFERRED)
				sync = 1;
			if (!journaled && !qf_record(&rec, kind, k->idx[j], t,
			    dsn, text, strlen(text)))
				fatal_nomem(EX_SL_TEMP);
		}
		head[0] = (char)kind;	/* the result's letter (job.h) */
		strcpy(head + 1, dsn);
		if (!stralloc_cats(&fwd, head) || !stralloc_cats(&fwd, " ") ||
		    !stralloc_catb(&fwd, text, strlen(text) > JOB_TEXT_MAX ?
		    JOB_TEXT_MAX : strlen(text)) || !stralloc_catb(&fwd, "", 1))
			fatal_nomem(EX_SL_TEMP);
	}
	record(k->qid, &rec, sync, &fwd, 0);
	if (!k->left)
		kjob_free(ki);
}

/* every recipient still without a result gets a temporary failure */
static void
answer_rest(size_t ki, const char *why)
{
	static const char *st[JOB_RCPT_MAX];
	static stralloc s;
	struct kjob *k = kjobs[ki];
	size_t i;

	s.len = 0;
	if (!stralloc_copys(&s, "Z4.3.0 ") || !stralloc_cats(&s, why) ||
	    !stralloc_0(&s))
		fatal_nomem(EX_SL_TEMP);
	for (i = 0; i < k->n; i++)
		st[i] = s.s;
	accept_statuses(ki, 0, k->n, st, 0);
}

/* "I1,2,3\0" or "Y1:0,2:3\0" + job packet: the job, or 0 if malformed */
static struct kjob *
parse_request(char *pkt, size_t len, size_t *hlen, unsigned long *id)
{
	static struct job j;
	char *nul = memchr(pkt, 0, len), *p;
	struct kjob *k;
	size_t n = 0;
	int resume = pkt[0] == 'Y';

	*id = 0;
	if ((pkt[0] != 'I' && !resume) || !nul)
		return 0;
	*hlen = (size_t)(nul - pkt) + 1;
	memcpy(copy, nul + 1, len - *hlen);
	if (!job_decode(copy, len - *hlen, &j))
		return 0;
	*id = j.id;
	if (strlen(j.qid) >= QF_ID_MAX)
		return 0;
	k = calloc(1, sizeof *k + j.nrcpt * sizeof k->idx[0]);
	if (!k || !(k->got = calloc(j.nrcpt, 1)) ||
	    (resume && !(k->att = calloc(j.nrcpt, sizeof *k->att))))
		fatal_nomem(EX_SL_TEMP);
	k->id = j.id;
	strcpy(k->qid, j.qid);
	k->left = j.nrcpt;
	for (p = pkt + 1; n < j.nrcpt && *p; n++) {
		k->idx[n] = strtoul(p, &p, 10);
		if (resume && p[0] == ':' && p[1] == '-') {
			k->got[n] = 1;		/* the scheduler has it */
			k->left--;
			p += 2;
		} else if (resume && *p == ':')
			k->att[n] = (unsigned)strtoul(p + 1, &p, 10);
		if (*p == ',')
			p++;
	}
	k->n = n;
	k->sock = j.kind == JOB_LOCAL ? 3 : 4;
	if (n != j.nrcpt || *p) {
		free(k->got);
		free(k->att);
		free(k);
		return 0;
	}
	return k;
}

/* a job a killed keeper started: what it journaled and did not pass on
 * is read back from the journal; the rest will come from the socket */
static void
resume_job(size_t ki)
{
	static const char *st[JOB_RCPT_MAX];
	static stralloc s[JOB_RCPT_MAX];
	struct kjob *k = kjobs[ki];
	unsigned long msglen;
	struct qf q;
	char *tail = 0;
	size_t taillen, i, n;
	int fd = open_message(k->qid), r = 0;

	k->deadline = (unsigned long)time(0) + RESUME_WAIT;
	if (fd >= 0) {
		r = qfile_read(fd, &msglen, &tail, &taillen);
		close(fd);
	}
	if (r == 1 && qf_parse(tail, taillen, &q) == 1) {
		for (i = 0; i < k->n; i++) {
			const struct qf_rcpt *qr;
			char kind;		/* the status letter (job.h) */

			st[i] = 0;
			if (k->idx[i] >= q.nrcpt || k->got[i])
				continue;
			qr = &q.r[k->idx[i]];
			if (qr->state == QS_SENT || qr->state == QS_FAILED)
				kind = (char)qr->state;
			else if (qr->attempts > k->att[i])
				kind = (char)QS_DEFERRED;
			else
				continue;
			s[i].len = 0;
			if (!stralloc_catb(&s[i], &kind, 1) ||
			    !stralloc_cats(&s[i], qr->status ? qr->status :
			    "4.3.0") || !stralloc_0(&s[i]))
				fatal_nomem(EX_SL_TEMP);
			st[i] = s[i].s;
		}
		qf_free(&q);
		/* one status at a time: only those the journal has; the one
		 * that gives the last recipient its status frees the job */
		for (i = 0, n = k->n; i < n; i++)
			if (st[i]) {
				int last = k->left == 1;

				accept_statuses(ki, i, 1, &st[i], 1);
				if (last)
					break;
			}
	}
	free(tail);
}

/* the records rec (a request sent again to a new keeper) are in qid's
 * journal at or after file offset from already: the dead keeper wrote
 * them and died before its acknowledgement went out */
static int
already_written(const char *qid, unsigned long from, const stralloc *rec)
{
	unsigned long msglen;
	char *tail = 0;
	size_t taillen = 0, skip, i;
	int fd = open_message(qid), found = 0;

	if (fd < 0)
		return 0;
	if (qfile_read(fd, &msglen, &tail, &taillen) == 1) {
		skip = from > QF_HEAD_LEN + msglen ? from - QF_HEAD_LEN -
		    msglen : 0;
		for (i = skip; !found && i + rec->len <= taillen; i++)
			found = (i == 0 || tail[i - 1] == '\n') &&
			    !memcmp(tail + i, rec->s, rec->len);
	}
	close(fd);
	free(tail);
	return found;
}

/*
 * "W<sync>\0ID\0END\0" + entries: the scheduler's records (give-ups,
 * cancellations, bounces, holds, delay warnings), each entry 4 fields
 * "<kind><idx>\0<when>\0<dsn>\0<text>\0" (kind H, R, L: no idx, no dsn).
 * Written (or held) in order with the results, acknowledged
 * "W1\0ID\0SIZE\0" once written.  "V...": the same sent again to a new
 * keeper; skipped if the journal has it after offset END already.
 */
static void
journal_request(const char *pkt, size_t len)
{
	static stralloc rec, ack;
	const char *end = pkt + len, *qid, *p;
	unsigned long from;
	int sync = pkt[1] == '1';

	qid = memchr(pkt, 0, len);
	if (!qid || ++qid >= end || !(p = memchr(qid, 0, (size_t)(end - qid))) ||
	    !qf_id_valid(qid) || !memchr(p + 1, 0, (size_t)(end - p - 1)))
		goto bad;
	from = strtoul(p + 1, 0, 10);
	p += strlen(p + 1) + 2;
	rec.len = 0;
	while (p < end) {
		const char *f[4];
		int i;

		for (i = 0; i < 4; i++) {
			const char *nul = memchr(p, 0, (size_t)(end - p));

			if (!nul)
				goto bad;
			f[i] = p;
			p = nul + 1;
		}
		if (strchr("HRL", f[0][0]) && f[0][0] && !f[0][1]) {
			if (!qf_msg_record(&rec, f[0][0], strtoul(f[1], 0, 10)))
				fatal_nomem(EX_SL_TEMP);
			continue;
		}
		if (!strchr("XDB", f[0][0]) || !f[0][0] || !f[0][1])
			goto bad;
		if (!qf_record(&rec, (enum qf_state)f[0][0], strtoul(f[0] + 1,
		    0, 10), strtoul(f[1], 0, 10), *f[2] ? f[2] : 0, f[3],
		    strlen(f[3])))
			fatal_nomem(EX_SL_TEMP);
	}
	if (pkt[0] == 'V' && already_written(qid, from, &rec))
		rec.len = 0;
	ack.len = 0;
	if (!stralloc_copys(&ack, "W1") || !stralloc_0(&ack) ||
	    !stralloc_cats(&ack, qid) || !stralloc_0(&ack))
		fatal_nomem(EX_SL_TEMP);
	record(qid, &rec, sync, &ack, 1);
	return;
bad:
	log_line("warning: keeper: bad journal request", NULL);
}

/* copy len bytes from offset 0 of in to out */
static int
copy_head(int in, int out, off_t len)
{
	static char b[65536];
	off_t done = 0;

	while (done < len) {
		size_t want = len - done > (off_t)sizeof b ? sizeof b :
		    (size_t)(len - done);
		ssize_t r = pread(in, b, want, done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || write_all(out, b, (size_t)r))
			return -1;
		done += r;
	}
	return 0;
}

/* fsync the directory that holds path */
static int
sync_dir_of(const char *path)
{
	char dir[16];
	const char *slash = strrchr(path, '/');
	int fd, r;

	if (!slash || (size_t)(slash - path) >= sizeof dir)
		return -1;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = 0;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

/*
 * "C\0ID\0": rewrite mess/BB/ID with the journal reduced to the current
 * state (qf_compact): a temporary file tmp/compact.ID gets HEAD, MESSAGE,
 * ENVELOPE and the compacted records, is fsync'ed and renamed over the
 * old file, and mess/BB is fsync'ed; only then is anything appended
 * again (we are the only writer).  Not while records wait to be written
 * or a job of the message runs.  A failure leaves the old file as it was.
 */
static void
compact(const char *qid)
{
	static stralloc path, tmp, out;
	struct stat st;
	struct qf q;
	char *tail = 0, *env = 0;
	size_t taillen = 0, i;
	unsigned long msglen;
	int in = -1, fd = -1, ok = 0;
	char n1[24], n2[24];

	if (!qf_id_valid(qid) || hhead)
		return;
	for (i = 0; i < nkjobs; i++)
		if (!strcmp(kjobs[i]->qid, qid))
			return;
	if (!journal_path(&path, qid))
		fatal_nomem(EX_SL_TEMP);
	in = open(path.s, O_RDONLY | O_CLOEXEC);
	if (in < 0 || fstat(in, &st) || qfile_read(in, &msglen, &tail,
	    &taillen) != 1)
		goto done;
	env = malloc(taillen + 1);
	if (!env)
		goto done;
	memcpy(env, tail, taillen);
	out.len = 0;
	if (qf_parse(tail, taillen, &q) != 1)
		goto done;
	ok = stralloc_catb(&out, env, q.env_len) && qf_compact(&q, &out);
	qf_free(&q);
	if (!ok)
		goto done;
	ok = 0;
	if (!stralloc_copys(&tmp, "tmp/compact.") ||
	    !stralloc_cats(&tmp, qid) || !stralloc_0(&tmp))
		goto done;
	unlink(tmp.s);
	fd = open(tmp.s, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd < 0 || fchmod(fd, st.st_mode & 07777) ||
	    copy_head(in, fd, QF_HEAD_LEN + (off_t)msglen) ||
	    write_all(fd, out.s, out.len) || fsync(fd) || close(fd)) {
		if (fd >= 0)
			close(fd);
		fd = -1;
		unlink(tmp.s);
		goto done;
	}
	fd = -1;
	if (rename(tmp.s, path.s)) {
		unlink(tmp.s);
		goto done;
	}
	if (sync_dir_of(path.s))
		log_line_sys("warning: ", qid, " cannot sync its directory "
		    "after compaction", NULL);
	ok = 1;
	log_line_qid(qid, "compacted the journal: ", ulong_str(n1,
	    (unsigned long)st.st_size), " -> ", ulong_str(n2, (unsigned long)
	    (QF_HEAD_LEN + msglen + out.len)), " bytes", NULL);
done:
	if (!ok)
		log_line_sys("warning: cannot compact the journal of ", qid,
		    NULL);
	if (in >= 0)
		close(in);
	free(tail);
	free(env);
}

/* "T\0ID\0SIZE\0": a torn last journal line found by the scheduler's
 * load is cut off (the file is cut to SIZE if longer) */
static void
cut_torn(const char *qid, const char *size)
{
	static stralloc p;
	unsigned long want = strtoul(size, 0, 10);
	struct stat st;
	int fd;

	if (!journal_path(&p, qid))
		return;
	fd = open(p.s, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) || ((unsigned long)st.st_size > want &&
	    (ftruncate(fd, (off_t)want) || fsync(fd))))
		log_line_sys("warning: ", qid, " cannot cut a torn journal",
		    NULL);
	if (fd >= 0)
		close(fd);
}

static void
take_request(int len)
{
	struct kjob *k;
	unsigned long id;
	size_t hlen;
	int fd;

	if (len == 2 && !memcmp(buf, "G", 2)) {
		adopting = 0;
		return;
	}
	if (len >= 2 && (buf[0] == 'W' || buf[0] == 'V')) {
		journal_request(buf, (size_t)len);
		return;
	}
	if (len > 2 && buf[0] == 'C' && !buf[1] && buf[len - 1] == 0) {
		compact(buf + 2);
		return;
	}
	if (len > 2 && buf[0] == 'T' && !buf[1] && buf[len - 1] == 0 &&
	    (size_t)len > strlen(buf + 2) + 3) {
		cut_torn(buf + 2, buf + 3 + strlen(buf + 2));
		return;
	}
	if (up_mute)		/* the scheduler is on its way out */
		return;
	k = parse_request(buf, (size_t)len, &hlen, &id);
	if (!k || nkjobs == KJOBS_MAX) {
		/* cannot happen with a sane scheduler; answer what we can */
		log_line("warning: keeper: bad request", NULL);
		if (k) {
			free(k->got);
			free(k->att);
			free(k);
		}
		return;
	}
	kjobs[nkjobs++] = k;
	if (buf[0] == 'Y') {
		forward_ack(k->id);
		if (!k->left)
			kjob_free(nkjobs - 1);
		else
			resume_job(nkjobs - 1);
		return;
	}
	fd = open_message(k->qid);
	if (fd < 0 || packet_send(k->sock, buf + hlen,
	    (size_t)len - hlen, fd)) {
		log_line_sys("warning: ", k->qid, " cannot start a job", NULL);
		forward_ack(k->id);
		answer_rest(nkjobs - 1, "cannot start the delivery");
	} else
		forward_ack(k->id);
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
		if (kjobs[i]->sock == sock)
			answer_rest(i, "the delivery program went away");
		else
			i++;
}

/* 0 when the delivery program has gone away */
static int
take_result(int sock)
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
	/* only the channel the job went out on may answer for it */
	for (i = 0; i < nkjobs; i++)
		if (kjobs[i]->id == r.id && kjobs[i]->sock == sock)
			break;
	if (i == nkjobs) {
		log_line("warning: result from sluice-", sock == 3 ? "local" :
		    "remote", " for a job it does not have ignored", NULL);
		return 1;
	}
	if (r.first + r.n > kjobs[i]->n) {
		log_line("warning: ", kjobs[i]->qid, ": result for recipients "
		    "the job does not have ignored", NULL);
		return 1;
	}
	accept_statuses(i, r.first, r.n, r.status, 0);
	return 1;
}

static void
check_deadlines(void)
{
	unsigned long t = (unsigned long)time(0);
	size_t i = 0;

	while (i < nkjobs)
		if (kjobs[i]->deadline && t >= kjobs[i]->deadline) {
			log_line("warning: ", kjobs[i]->qid, ": no result after "
			    "the keeper was restarted", NULL);
			answer_rest(i, "result lost when the keeper was "
			    "restarted");
		} else
			i++;
}

/*
 * Serve until the scheduler goes away (kill -9 or exit) or a delivery
 * program does; then take no more work, wait up to DRAIN_WAIT seconds for
 * the jobs still running (journaling their results) and exit once every
 * held record is written.  A scheduler that loses us because a delivery
 * program went away exits too, and the supervisor restarts all.
 */
static void __attribute__((noreturn))
keeper_loop(void)
{
	unsigned long drain_until = 0;
	int socks[2] = { 3, 4 };

	for (;;) {
		struct pollfd pfd[3];
		unsigned long t = (unsigned long)time(0);
		int i, ms = -1;

		if (hhead && t >= next_retry)
			retry_held();
		check_deadlines();
		if (up < 0 && nkjobs && t >= drain_until) {
			log_line("keeper: giving up on running jobs", NULL);
			while (nkjobs)
				kjob_free(0);
		}
		if (up < 0 && !nkjobs && !hhead)
			_exit(0);
		for (i = 0; i < 2; i++) {
			/* negative: ignored by poll */
			pfd[i].fd = adopting ? -1 : socks[i];
			pfd[i].events = POLLIN;
		}
		pfd[2].fd = up;
		pfd[2].events = POLLIN | (phead && !up_mute ? POLLOUT : 0);
		if (hhead || up < 0 || nkjobs)
			ms = 1000;
		if (poll(pfd, 3, ms) < 0)
			continue;
		for (i = 0; i < 2; i++)
			if (pfd[i].fd >= 0 && pfd[i].revents &&
			    !take_result(pfd[i].fd)) {
				socks[i] = -1;
				if (up >= 0 && !up_mute) {
					/* the scheduler sees the end and
					 * exits; what it sent before (journal
					 * requests) is still read and written */
					flush_pending();
					shutdown(up, SHUT_WR);
					up_mute = 1;
					drain_until = (unsigned long)time(0) +
					    DRAIN_WAIT;
				}
			}
		if (up >= 0 && !up_mute && (pfd[2].revents & POLLOUT))
			flush_pending();
		if (up >= 0 && (pfd[2].revents & ~POLLOUT)) {
			long len = packet_recv(up, buf, sizeof buf, 0);

			if (len > 0)
				take_request((int)len);
			else if (len == 0 || (errno != EINTR && errno != EAGAIN)) {
				close(up);
				up = -1;
				adopting = 0;	/* what it handed over drains */
				drain_until = (unsigned long)time(0) + DRAIN_WAIT;
			}
		}
	}
}

pid_t
keeper_start(int *sock, int adopt)
{
	pid_t pid = fork_socketpair(sock);

	if (pid == 0) {
		log_init("sluice-send-keeper");
		up = *sock;
		adopting = adopt;
		fd_nonblock(up);
		sig_ignore(SIGTERM);
		sig_ignore(SIGHUP);
		sig_ignore(SIGALRM);
		sig_ignore(SIGPIPE);
		sig_default(SIGCHLD);
		keeper_loop();
	}
	return pid;
}
