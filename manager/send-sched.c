/*
 * send-sched.c -- sluice-send's scheduler (see send.h).
 *
 * Timers: a binary heap of messages keyed by the earliest time one of
 * their deferred recipients (or a failed bounce) is due.
 * Work: a recipient that is due becomes part of a work unit: one unit per
 * local recipient, one per (message, destination domain) for remote ones.
 * Local units wait in one FIFO; remote units wait in a FIFO per domain,
 * and domains with work take turns (a ring), so one busy domain cannot
 * starve the others and never gets more than concurrencydomain jobs.
 * A job is a unit started: a packet on the local (fd 3) or remote (fd 4)
 * socket (job.h) with the message as a read-only descriptor; its result
 * is journaled before anything else happens.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exitcodes.h"
#include "job.h"
#include "logmsg.h"
#include "packet.h"
#include "send.h"
#include "sysutil.h"
#include "userdb.h"

#define SLOTS_MAX	2000		/* concurrencylocal + concurrencyremote */
#define DOM_HASH	4096

struct unit {
	struct unit *next;
	struct msg *m;
	size_t idx;			/* local: the recipient */
	struct dom *d;			/* remote: the domain */
};

struct dom {
	struct dom *hnext, *rnext;
	char *name;
	unsigned active;
	int in_ring;
	struct unit *head, *tail;
};

struct slot {
	unsigned long id;		/* 0: free */
	struct msg *m;
	enum job_kind kind;
	int acked;			/* the keeper passed it on */
	struct dom *d;
	size_t n, left;			/* recipients; still without result */
	size_t idx[JOB_RCPT_MAX];
	unsigned char done[JOB_RCPT_MAX];	/* has its result */
};

static void result_apply(struct slot *s, struct job_result *res, int all);

static struct msg **heap;
static size_t heaplen, heapcap;
static struct unit *lhead, *ltail;
static struct dom *dhash[DOM_HASH];
static struct dom *ring, *ringtail;
static struct slot slots[SLOTS_MAX];
static unsigned long serial;
static unsigned lactive, ractive;
static int keeper;			/* send-keeper.c */
static int keeper_blocked;		/* it cannot write the journal */

void
sched_init(int keeper_sock)
{
	keeper = keeper_sock;
	keeper_blocked = 0;
}

int
sched_journal_blocked(void)
{
	return keeper_blocked;
}

/* a keeper that died is noticed by the poll loop, which forks a new one
 * and sends it every job and journal request again (sched_rekeeper) */
void
sched_keeper_send(const char *pkt, size_t len)
{
	if (packet_send(keeper, pkt, len, -1))
		log_line_sys("warning: cannot talk to the keeper", NULL);
}

/* ---- the timer heap ---- */

static void
heap_set(size_t i, struct msg *m)
{
	heap[i] = m;
	m->heapidx = i + 1;
}

static void
heap_up(size_t i)
{
	struct msg *m = heap[i];

	while (i > 0 && heap[(i - 1) / 2]->due > m->due) {
		heap_set(i, heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_set(i, m);
}

static void
heap_down(size_t i)
{
	struct msg *m = heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= heaplen)
			break;
		if (c + 1 < heaplen && heap[c + 1]->due < heap[c]->due)
			c++;
		if (heap[c]->due >= m->due)
			break;
		heap_set(i, heap[c]);
		i = c;
	}
	heap_set(i, m);
}

void
sched_drop(struct msg *m)
{
	struct msg *last;
	size_t i;

	if (!m->heapidx)
		return;
	i = m->heapidx - 1;
	m->heapidx = 0;
	heaplen--;
	if (i == heaplen)
		return;
	last = heap[heaplen];
	heap_set(i, last);
	heap_up(i);
	heap_down(last->heapidx - 1);
}

static int
heap_add(struct msg *m)
{
	if (heaplen == heapcap) {
		size_t n = heapcap ? heapcap * 2 : 1024;
		struct msg **h = realloc(heap, n * sizeof *h);

		if (!h)
			return 0;
		heap = h;
		heapcap = n;
	}
	heap_set(heaplen++, m);
	heap_up(heaplen - 1);
	return 1;
}

void
sched_update(struct msg *m)
{
	unsigned long due = 0;
	size_t i;

	for (i = 0; i < m->nrcpt; i++)
		if (m->r[i].state == QS_WAITING && (!due || m->r[i].due < due))
			due = m->r[i].due;
	if (m->bounce_due && (!due || m->bounce_due < due))
		due = m->bounce_due;
	if (m->warn_due && (!due || m->warn_due < due))
		due = m->warn_due;
	if (!due) {
		sched_drop(m);
		return;
	}
	m->due = due;
	if (!m->heapidx) {
		if (!heap_add(m))
			fatal_nomem(EX_SL_TEMP);
		return;
	}
	heap_up(m->heapidx - 1);
	heap_down(m->heapidx - 1);
}

void
sched_timers(void)
{
	while (heaplen && heap[0]->due <= now) {
		struct msg *m = heap[0];
		size_t i;

		sched_drop(m);
		for (i = 0; i < m->nrcpt; i++)
			if (m->r[i].state == QS_WAITING && m->r[i].due <= now)
				m->r[i].state = QS_DUE;
		if (m->bounce_due && m->bounce_due <= now)
			m->bounce_due = 0;
		msg_check(m);
	}
}

long
sched_timeout(void)
{
	if (!heaplen)
		return -1;
	if (heap[0]->due <= now)
		return 0;
	return (long)(heap[0]->due - now) * 1000;
}

/* deferred recipients (at domain, if given) are due now */
static void
flush_rcpts(struct msg *m, const char *domain)
{
	size_t i;

	if (m->held)
		return;
	for (i = 0; i < m->nrcpt; i++)
		if (m->r[i].state == QS_WAITING &&
		    (!domain || !strcmp(m->r[i].domain, domain)))
			m->r[i].due = now;
	if (m->bounce_due)
		m->bounce_due = now;
	sched_update(m);
}

static void
flush_one(struct msg *m)
{
	size_t i;

	if (m->held)
		return;
	for (i = 0; i < m->nrcpt; i++)
		if (m->r[i].state == QS_WAITING)
			m->r[i].due = now;
	if (m->bounce_due)
		m->bounce_due = now;
	sched_update(m);
}

void
sched_flush(void)
{
	msg_forall(flush_one);
}

/* ---- domains and units ---- */

static struct dom *
dom_get(const char *name)
{
	unsigned h = 5381;
	const char *p;
	struct dom *d;

	for (p = name; *p; p++)
		h = h * 33 + (unsigned char)*p;
	h %= DOM_HASH;
	for (d = dhash[h]; d; d = d->hnext)
		if (!strcmp(d->name, name))
			return d;
	d = calloc(1, sizeof *d);
	if (!d || !(d->name = strdup(name)))
		fatal_nomem(EX_SL_TEMP);
	d->hnext = dhash[h];
	dhash[h] = d;
	return d;
}

static void
ring_add(struct dom *d)
{
	if (d->in_ring || !d->head)
		return;
	d->in_ring = 1;
	d->rnext = 0;
	if (ringtail)
		ringtail->rnext = d;
	else
		ring = d;
	ringtail = d;
}

static struct dom *
ring_pop(void)
{
	struct dom *d = ring;

	if (d) {
		ring = d->rnext;
		if (!ring)
			ringtail = 0;
		d->in_ring = 0;
	}
	return d;
}

static void
unit_add(struct msg *m, size_t idx, struct dom *d)
{
	struct unit *u = calloc(1, sizeof *u);

	if (!u)
		fatal_nomem(EX_SL_TEMP);
	u->m = m;
	u->idx = idx;
	u->d = d;
	m->refs++;
	if (!d) {
		if (ltail)
			ltail->next = u;
		else
			lhead = u;
		ltail = u;
		return;
	}
	if (d->tail)
		d->tail->next = u;
	else
		d->head = u;
	d->tail = u;
	ring_add(d);
}

/* JOB_LOCAL, JOB_REMOTE, or JOB_KIND_NONE when the domain table cannot
 * be read now */
static enum job_kind
classify(const char *domain)
{
	int r;

	if (!*domain || !strcasecmp(domain, cf.me.s))
		return JOB_LOCAL;
	r = domain_local(domain, strlen(domain), 0);
	if (r < 0) {
		log_line_sys("warning: cannot read domains.cdb", NULL);
		return JOB_KIND_NONE;
	}
	return r ? JOB_LOCAL : JOB_REMOTE;
}

void
sched_ready(struct msg *m)
{
	size_t i;

	m->mark = 0;
	for (i = 0; i < m->nrcpt; i++) {
		struct rcpt *r = &m->r[i];
		struct dom *d;

		if (r->state != QS_DUE)
			continue;
		if (!r->kind)
			r->kind = classify(r->domain);
		if (!r->kind) {
			r->state = QS_WAITING;
			r->due = now + cf.rmin;
			continue;
		}
		r->state = QS_QUEUED;
		if (r->kind == JOB_LOCAL) {
			unit_add(m, i, 0);
			continue;
		}
		/* one unit per domain: the start picks up all its recipients */
		d = dom_get(r->domain);
		if (d->head && d->tail->m == m)
			continue;
		unit_add(m, i, d);
	}
}

/* ---- jobs ---- */

static struct slot *
slot_free(void)
{
	size_t i;

	for (i = 0; i < SLOTS_MAX; i++)
		if (!slots[i].id)
			return &slots[i];
	return 0;
}

/* the job of slot s as a packet (job.h) */
static int
job_of(struct slot *s, struct job *j)
{
	struct msg *m = s->m;
	size_t i;

	memset(j, 0, sizeof *j);
	j->id = s->id;
	j->qid = m->id;
	j->kind = s->kind;
	j->sender = m->sender;
	j->arrival = m->arrival;
	j->offset = QF_HEAD_LEN;
	j->length = m->msglen;
	j->domain = s->kind == JOB_REMOTE ? s->d->name : "";
	j->nrcpt = s->n;
	for (i = 0; i < s->n; i++)
		j->rcpt[i] = m->r[s->idx[i]].addr;
	return 1;
}

/*
 * To the keeper: "I<idx>,<idx>...\0" and the job packet (send-keeper.c);
 * or, for a new keeper taking over a job its killed predecessor started,
 * "Y<idx>:<attempts>,..." ("-" for a recipient whose result is in).
 * 0 ok, -1 the job cannot be encoded (cannot happen: jobs are sized).
 */
static int
job_send(struct slot *s, int resume)
{
	static stralloc pkt, job;
	static struct job j;
	size_t i;

	job_of(s, &j);
	if (!stralloc_copys(&pkt, resume ? "Y" : "I"))
		fatal_nomem(EX_SL_TEMP);
	for (i = 0; i < s->n; i++) {
		const struct rcpt *r = &s->m->r[s->idx[i]];

		if ((i && !stralloc_cats(&pkt, ",")) ||
		    !qf_catnum(&pkt, s->idx[i]) || (resume &&
		    (!stralloc_cats(&pkt, ":") || (s->done[i] ?
		    !stralloc_cats(&pkt, "-") : !qf_catnum(&pkt, r->attempts)))))
			fatal_nomem(EX_SL_TEMP);
	}
	job.len = 0;
	if (!stralloc_0(&pkt))
		fatal_nomem(EX_SL_TEMP);
	if (!job_encode(&j, &job) || pkt.len + job.len > KEEPER_REQ_MAX)
		return -1;
	if (!stralloc_cat(&pkt, &job))
		fatal_nomem(EX_SL_TEMP);
	sched_keeper_send(pkt.s, pkt.len);
	return 0;
}

/* recipients of a remote job: at most JOB_RCPT_MAX, and no more than
 * fit in JOB_PACKET_MAX (one message's 600 long addresses at one domain
 * take two jobs) */
static void
pick_remote(struct slot *s, struct msg *m, struct dom *d, size_t *next)
{
	static struct job j;
	size_t i, size;

	s->id = ~0UL;			/* the longest id, for the size */
	s->m = m;
	s->kind = JOB_REMOTE;
	s->d = d;
	s->n = 0;
	job_of(s, &j);
	size = job_base_size(&j);
	for (i = 0; i < m->nrcpt && s->n < JOB_RCPT_MAX; i++) {
		struct rcpt *r = &m->r[i];

		if (r->state != QS_QUEUED || r->kind != JOB_REMOTE || strcmp(r->domain,
		    d->name))
			continue;
		if (size + strlen(r->addr) + 1 > JOB_PACKET_MAX)
			break;
		size += strlen(r->addr) + 1;
		s->idx[s->n++] = i;
	}
	s->id = 0;
	*next = i;
}

static void
start(struct unit *u, enum job_kind kind)
{
	struct slot *s = slot_free();
	struct msg *m = u->m;
	struct dom *d = u->d;
	size_t i;
	char num[24], num2[24];

	m->refs--;
	if (!s)
		fatal(EX_SL_TEMP, "fatal: job table full", NULL);
	s->n = 0;
	if (kind == JOB_LOCAL) {
		if (m->r[u->idx].state == QS_QUEUED)
			s->idx[s->n++] = u->idx;
	} else {
		pick_remote(s, m, u->d, &i);
		if (i < m->nrcpt)	/* more than one job's worth: again */
			for (; i < m->nrcpt; i++)
				if (m->r[i].state == QS_QUEUED &&
				    !strcmp(m->r[i].domain, u->d->name)) {
					unit_add(m, i, u->d);
					break;
				}
	}
	free(u);
	if (!s->n) {			/* taken by an earlier unit, or cancelled */
		msg_check(m);
		return;
	}
	for (i = 0; i < s->n; i++)
		m->r[s->idx[i]].state = QS_RUNNING;
	s->id = ++serial;
	s->m = m;
	s->kind = kind;
	s->d = d;
	s->acked = 0;
	s->left = s->n;
	memset(s->done, 0, s->n);
	m->refs++;
	m->inflight++;
	if (kind == JOB_LOCAL)
		lactive++;
	else {
		ractive++;
		s->d->active++;
	}
	log_line_qid(m->id, "starting ",
	    kind == JOB_LOCAL ? "local" : "remote",
	    " job=", ulong_str(num, s->id), " rcpts=", ulong_str(num2, s->n),
	    NULL);
	if (job_send(s, 0) < 0) {
		/* one message must never stop the manager: this job waits */
		static struct job_result none;

		log_line_qid(m->id, "warning: cannot make a job: deferred",
		    NULL);
		none.id = s->id;
		result_apply(s, &none, 1);
	}
}

void
sched_dispatch(void)
{
	struct dom *d;

	if (stopping || sched_journal_blocked())
		return;
	while (lhead && lactive < cf.climit) {
		struct unit *u = lhead;

		lhead = u->next;
		if (!lhead)
			ltail = 0;
		start(u, JOB_LOCAL);
	}
	while (ractive < cf.rlimit && (d = ring_pop())) {
		struct unit *u;

		if (d->active >= cf.dlimit)
			continue;	/* back in the ring when a job ends */
		u = d->head;
		d->head = u->next;
		if (!d->head)
			d->tail = 0;
		u->next = 0;
		start(u, JOB_REMOTE);
		ring_add(d);
	}
}

unsigned
sched_inflight(void)
{
	return lactive + ractive;
}

/* ---- results ---- */

static int
expired(const struct msg *m)
{
	return now >= m->arrival + cf.lifetime;
}

/* One recipient's result; the keeper has journaled it already.  Only the
 * scheduler's own decisions are added: give up at the end of the queue
 * lifetime (or on the administrator's word), or cancel. */
/* relay= of a delivery line: "local", or the remote peer the delivery
 * program named at the start of its text ("host[ip]:port: ...") */
static const char *
relay_of(enum job_kind jobkind, const char *text, char *buf, size_t max)
{
	const char *colon = strstr(text, ": "), *br = strchr(text, '[');
	size_t n;

	if (jobkind == JOB_LOCAL)
		return "local";
	if (!colon || !br || br > colon || strchr(text, ' ') < colon)
		return "remote";
	n = (size_t)(colon - text);
	if (n >= max)
		return "remote";
	memcpy(buf, text, n);
	buf[n] = 0;
	return buf;
}

/* the one line per delivery attempt of one recipient */
static void
log_delivery(const struct msg *m, const struct rcpt *r,
    enum job_kind jobkind,
    enum qf_state kind, const char *dsn, const char *text)
{
	char relay[300], delay[21], size[21];

	log_line_qid(m->id, "delivery to=<", r->addr, "> status=",
	    kind == QS_SENT ? "sent" : kind == QS_DEFERRED ? "deferred" :
	    "bounced",
	    " dsn=", dsn, " relay=", relay_of(jobkind, text, relay,
	    sizeof relay), " delay=", ulong_str(delay, now > m->arrival ?
	    now - m->arrival : 0), "s size=", ulong_str(size, m->msglen),
	    m->msgid ? " msgid=" : "", m->msgid ? m->msgid : "", " ", text,
	    NULL);
}

static void
rcpt_result(struct msg *m, size_t idx, enum job_kind jobkind, const char *st,
    stralloc *rec)
{
	struct rcpt *r = &m->r[idx];
	enum qf_state kind;
	char dsn[16];
	const char *text;

	if (!st || !qf_status_split(st, &kind, dsn, &text)) {
		kind = QS_DEFERRED;
		strcpy(dsn, "4.3.0");
		text = "no usable result from the delivery program";
	}
	log_delivery(m, r, jobkind, kind, dsn, text);
	if (kind != QS_SENT && (m->cmd == 'X' || r->cmd == 'X')) {
		jentry(rec, QS_CANCELLED, idx, 0, 0);
		r->state = QS_CANCELLED;
		return;
	}
	if (kind == QS_DEFERRED && (expired(m) || m->cmd == 'D')) {
		log_line_qid(m->id, "giving up to=<", r->addr, ">", NULL);
		jentry(rec, QS_FAILED, idx, dsn, text);
		kind = QS_FAILED;
	}
	if (kind == QS_DEFERRED) {
		r->attempts++;
		r->state = QS_WAITING;
		r->due = qf_retry_at(r->attempts, now, cf.rmin, cf.rmax);
		return;
	}
	r->state = kind;
}

/* statuses for recipients res->first.. of slot s; each recipient's
 * first only; all: every recipient still without one gets "no result" */
static void
result_apply(struct slot *s, struct job_result *res, int all)
{
	static stralloc rec;
	struct msg *m = s->m;
	size_t i;

	rec.len = 0;
	for (i = 0; i < s->n; i++) {
		const char *st = 0;

		if (i >= res->first && i - res->first < res->n)
			st = res->status[i - res->first];
		else if (!all)
			continue;
		if (s->done[i])
			continue;
		s->done[i] = 1;
		s->left--;
		rcpt_result(m, s->idx[i], s->kind, st, &rec);
	}
	if (rec.len)
		msg_journal(m, &rec, 1);
	if (s->left)
		return;
	s->id = 0;
	m->refs--;
	m->inflight--;
	if (s->kind == JOB_LOCAL)
		lactive--;
	else {
		ractive--;
		s->d->active--;
		ring_add(s->d);
	}
	if (!m->inflight)
		msg_compact_maybe(m);
	msg_check(m);
}

static struct slot *
slot_of(unsigned long id)
{
	size_t i;

	for (i = 0; i < SLOTS_MAX; i++)
		if (slots[i].id && slots[i].id == id)
			return &slots[i];
	return 0;
}

/* packets from the keeper: results, acknowledgements, journal state */
int
sched_result(int sock)
{
	static char buf[2 * JOB_PACKET_MAX + 1];
	struct job_result res;
	struct slot *s;
	long n = packet_recv(sock, buf, sizeof buf - 1, 0);

	if (n == 0)
		return 0;
	if (n < 0) {
		/* ECONNRESET: the keeper died with requests unread; the
		 * kernel says so once, before the packets it sent us (acks,
		 * results), which are read up to the end of file: a lost ack
		 * would make its job start a second time */
		if (errno == EINTR || errno == EAGAIN || errno == ECONNRESET)
			return 1;
		log_line_sys("warning: cannot read from the keeper", NULL);
		return 0;
	}
	buf[n] = 0;
	if (n >= 3 && !memcmp(buf, "J0", 3)) {
		keeper_blocked = 1;
		return 1;
	}
	if (n > 3 && !memcmp(buf, "W1", 3)) {
		const char *id = buf + 3, *end = id + strlen(id) + 1;

		if (end < buf + n)
			msg_journal_acked(id, strtoul(end, 0, 10));
		return 1;
	}
	if (n >= 3 && !memcmp(buf, "J1", 3)) {
		keeper_blocked = 0;
		return 1;
	}
	if (n > 3 && !memcmp(buf, "A1", 3)) {
		if ((s = slot_of(strtoul(buf + 3, 0, 10))))
			s->acked = 1;
		return 1;
	}
	if (!job_result_decode(buf, (size_t)n, &res)) {
		log_line("warning: malformed result packet ignored", NULL);
		return 1;
	}
	if ((s = slot_of(res.id)))
		result_apply(s, &res, 0);
	else
		log_line("warning: result for an unknown job ignored", NULL);
	return 1;
}

/* a new keeper: the jobs the old one passed on are taken over (their
 * results wait in the delivery sockets or are in the journal); those it
 * may not have seen are sent again.  Then "G": only now may it read the
 * delivery sockets, since a result of a job it does not know yet would
 * be dropped (and the job's slot kept until the hour's deadline). */
void
sched_rekeeper(int keeper_sock)
{
	size_t i;

	sched_init(keeper_sock);
	for (i = 0; i < SLOTS_MAX; i++)
		if (slots[i].id)
			job_send(&slots[i], slots[i].acked);
	msg_journal_resend();
	sched_keeper_send("G", 2);
}

/* ---- administrator commands (through the trigger FIFO) ---- */

/* cancel ('X') or fail ('D') the waiting recipients (at domain, if
 * given); running ones are marked and decided when their result comes */
static void
cancel_waiting(struct msg *m, char cmd, const char *domain)
{
	static stralloc rec;
	size_t i;

	rec.len = 0;
	for (i = 0; i < m->nrcpt; i++) {
		struct rcpt *r = &m->r[i];

		if (domain && strcmp(r->domain, domain))
			continue;
		r->cmd = cmd;
		if (r->state != QS_DUE && r->state != QS_WAITING &&
		    r->state != QS_QUEUED)
			continue;
		if (cmd == 'X') {
			jentry(&rec, QS_CANCELLED, i, 0, 0);
			r->state = QS_CANCELLED;
		} else {
			jentry(&rec, QS_FAILED, i, "5.0.0",
			    "bounced by the administrator");
			r->state = QS_FAILED;
		}
	}
	if (rec.len)
		msg_journal(m, &rec, 1);
	msg_check(m);
}

/* hold ('H') or release ('R'): journaled first, so it outlives restarts */
static void
hold_release(struct msg *m, char cmd)
{
	static stralloc rec;
	size_t i;

	if (m->held == (cmd == 'H'))
		return;
	rec.len = 0;
	jentry_msg(&rec, cmd);
	msg_journal(m, &rec, 1);
	m->held = cmd == 'H';
	for (i = 0; i < m->nrcpt; i++)	/* units find nothing to start */
		if ((m->r[i].state == QS_QUEUED && m->held) ||
		    m->r[i].state == QS_WAITING)
			m->r[i].state = QS_DUE;
	msg_check(m);
}

void
sched_command(char cmd, const char *id, const char *domain)
{
	static const char *const what[] = { "deleting", "bouncing now",
	    "flushing", "holding", "releasing" };
	struct msg *m = msg_find(id);
	const char *p = strchr("XDFHR", cmd);

	if (!m && msg_load(id))
		m = msg_find(id);
	if (!m || !p) {
		log_line_qid(id, "command for an unknown message ignored", NULL);
		return;
	}
	log_line_qid(id, what[p - "XDFHR"], domain ? " domain=" : "",
	    domain ? domain : "", NULL);
	if (cmd == 'H' || cmd == 'R')
		hold_release(m, cmd);
	else if (cmd == 'F')
		flush_rcpts(m, domain);
	else {
		if (!domain)
			m->cmd = cmd;
		cancel_waiting(m, cmd, domain);
	}
}
