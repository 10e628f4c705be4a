/*
 * send-bounce.c -- report failed recipients (see send.h, dsn.h).
 *
 * When a message has failed recipients and no job or unit of it is
 * pending, one RFC 3464 report covers them all:
 *   ordinary mail (level 0) with a sender -> to the sender, level 1;
 *   null-sender mail or a bounce (level 1)  -> to doublebounceto, level 2;
 *   a double bounce (level 2)               -> dropped and logged.
 * The report is injected through lib/inject.h (the injection service,
 * else sluice-queue) with the null sender and its bounce level (which
 * the queue takes from us: we are of group sluiceq).  Only after it is
 * queued are B records
 * journaled; a failed injection is retried after retrymin seconds.  The
 * report is cut to what sluice-queue accepts (databytes + QF_SLACK;
 * dsn.h), so its size can never make it fail for ever.
 *
 * Delay warnings: once per message, delaywarning seconds after arrival,
 * if some recipient is still deferred (a temporary failure, waiting for
 * its retry), the sender gets one report with Action: delayed for those
 * recipients (level 1, like a bounce); an L record marks it sent.  Never
 * for null-sender mail or bounces (level > 0).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "control.h"
#include "dsn.h"
#include "inject.h"
#include "exitcodes.h"
#include "logmsg.h"
#include "send.h"
#include "sysutil.h"

#define HEADERS_MAX	65536	/* original headers quoted at most */


/* the original's first bytes (whole if small enough) and parsed tail */
static int
read_original(struct msg *m, stralloc *orig, int *whole, stralloc *tail,
    struct qf *q)
{
	size_t want = m->msglen;
	int fd = msg_open(m), ok;
	off_t size;

	*whole = cf.bouncemax && m->msglen <= cf.bouncemax;
	if (!*whole && want > HEADERS_MAX)
		want = HEADERS_MAX;
	if (fd < 0)
		return 0;
	size = lseek(fd, 0, SEEK_END);
	ok = size >= (off_t)(QF_HEAD_LEN + m->msglen) &&
	    stralloc_ready(orig, want + 1) &&
	    stralloc_ready(tail, (size_t)size - QF_HEAD_LEN - m->msglen + 1);
	if (ok) {
		tail->len = (size_t)size - QF_HEAD_LEN - m->msglen;
		ok = pread(fd, orig->s, want, QF_HEAD_LEN) == (ssize_t)want &&
		    pread(fd, tail->s, tail->len, QF_HEAD_LEN +
		    (off_t)m->msglen) == (ssize_t)tail->len;
		orig->len = want;
	}
	close(fd);
	return ok && qf_parse(tail->s, tail->len, q) == 1 && q->nrcpt == m->nrcpt;
}

/* inject the report (lib/inject.h) at the bounce level; 1 if it is
 * queued (its id into newqid) */
static int
inject(const stralloc *report, const char *to, int level, char *newqid)
{
	static struct inject q;		/* big: not on the stack */
	struct inject_opts o = { 0, 1, 1, 0, 60 };
	struct inject_result r;
	stralloc env = {0};
	int ok = 0;

	o.bounce = level;
	strcpy(newqid, "?");
	if (!stralloc_copys(&env, "F") || !stralloc_0(&env) ||
	    !stralloc_cats(&env, "T") || !stralloc_cats(&env, to) ||
	    !stralloc_0(&env) || !stralloc_0(&env)) {
		log_line("warning: out of memory for a bounce", NULL);
	} else if (inject_start(&q, &o) < 0) {
		log_line_sys("warning: cannot inject a bounce", NULL);
	} else {
		inject_write(&q, report->s, report->len);
		ok = inject_finish(&q, env.s, env.len, &r) == INJECT_OK;
		if (ok && r.qid[0] && strlen(r.qid) < QF_ID_MAX)
			strcpy(newqid, r.qid);
		if (!ok)
			log_line("warning: the queue refused a bounce: ",
			    r.text, NULL);
	}
	stralloc_free(&env);
	return ok;
}

static void
mark_bounced(struct msg *m)
{
	static stralloc rec;
	size_t i;

	rec.len = 0;
	for (i = 0; i < m->nrcpt; i++)
		if (m->r[i].state == 'D') {
			jentry(&rec, 'B', i, 0, 0);
			m->r[i].state = 'B';
		}
	msg_journal(m, &rec, 1);
}

/* a failure report of the 'D' recipients, or (delayed) a delay warning
 * about the deferred ('W') ones */
static int
report(struct msg *m, const char *to, int level, int delayed, char *newqid)
{
	stralloc orig = {0}, tail = {0}, out = {0}, from = {0};
	struct dsn_rcpt *r = calloc(m->nrcpt, sizeof *r);
	struct dsn_info in;
	struct qf q;
	unsigned long databytes;
	size_t i, n = 0;
	int whole, ok = 0;

	memset(&q, 0, sizeof q);
	if (!r || !read_original(m, &orig, &whole, &tail, &q) ||
	    !stralloc_copys(&from, cf.bouncefrom.s) || !stralloc_cats(&from, "@") ||
	    !stralloc_cats(&from, cf.me.s) || !stralloc_0(&from)) {
		log_line_qid(m->id, "warning: cannot read the message for its "
		    "bounce", NULL);
		goto out;
	}
	for (i = 0; i < m->nrcpt; i++)
		if (m->r[i].state == (delayed ? 'W' : 'D')) {
			r[n].addr = m->r[i].addr;
			r[n++].status = q.r[i].status;
		}
	in.me = cf.me.s;
	in.from = from.s;
	in.to = to;
	in.qid = m->id;
	in.sender = m->sender;
	in.arrival = m->arrival;
	in.now = now;
	/* never bigger than sluice-queue takes, or it is refused for ever */
	in.max = control_get_uint("databytes", &databytes) == 1 ?
	    databytes + QF_SLACK : 0;
	in.delayed = delayed;
	in.retry_until = m->arrival + cf.lifetime;
	ok = dsn_compose(&out, &in, r, n, orig.s, orig.len, whole) &&
	    inject(&out, to, level, newqid);
out:
	qf_free(&q);
	free(r);
	stralloc_free(&orig);
	stralloc_free(&tail);
	stralloc_free(&out);
	stralloc_free(&from);
	return ok;
}

void
bounce_try(struct msg *m)
{
	stralloc to = {0};
	char newqid[QF_ID_MAX];
	int level;

	if (m->bounce_due > now)
		return;
	if (m->level >= 2) {
		log_line_qid(m->id, "double bounce failed: dropped", NULL);
		mark_bounced(m);
		return;
	}
	if (m->level == 0 && m->sender[0]) {
		level = 1;
		if (!stralloc_copys(&to, m->sender) || !stralloc_0(&to))
			return;
	} else {
		level = 2;
		if (!stralloc_copys(&to, cf.doublebounceto.s) ||
		    (!memchr(to.s, '@', to.len) && (!stralloc_cats(&to, "@") ||
		    !stralloc_cats(&to, cf.me.s))) || !stralloc_0(&to))
			return;
	}
	if (report(m, to.s, level, 0, newqid)) {
		log_line_qid(m->id, level == 1 ? "bounce" : "double bounce",
		    " to=<", to.s, "> bounceqid=", newqid, NULL);
		mark_bounced(m);
		m->bounce_due = 0;
	} else {
		m->bounce_due = now + cf.rmin;
		log_line_qid(m->id, "warning: bounce failed; retrying later",
		    NULL);
	}
	stralloc_free(&to);
}

void
warn_try(struct msg *m)
{
	static stralloc rec;
	char newqid[QF_ID_MAX];
	size_t i;
	int deferred = 0;

	m->warn_due = 0;
	if (!cf.delaywarn || m->warned || m->level || !m->sender[0])
		return;
	for (i = 0; i < m->nrcpt && !deferred; i++)
		deferred = m->r[i].state == 'W';
	if (!deferred)
		return;
	if (sched_journal_blocked()) {	/* could not say it was sent */
		m->warn_due = now + cf.rmin;
		return;
	}
	if (now < m->arrival + cf.delaywarn) {
		m->warn_due = m->arrival + cf.delaywarn;
		return;
	}
	if (!report(m, m->sender, 1, 1, newqid)) {
		m->warn_due = now + cf.rmin;
		log_line_qid(m->id, "warning: delay warning failed; retrying "
		    "later", NULL);
		return;
	}
	rec.len = 0;
	jentry_msg(&rec, 'L');
	msg_journal(m, &rec, 1);
	m->warned = 1;
	log_line_qid(m->id, "delay warning to=<", m->sender, "> warnqid=",
	    newqid, NULL);
}
