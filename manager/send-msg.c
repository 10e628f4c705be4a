/*
 * send-msg.c -- sluice-send's messages in memory (see send.h).
 *
 * A message is loaded from mess/BB/ID: the head gives the message length,
 * the tail (envelope + journal) is read and parsed; the journal says which
 * recipients are done.  A torn last journal line is cut off before
 * anything is appended.  The keeper writes every journal record: ours go
 * to it as requests (msg_journal), kept until it acknowledges them; when
 * every recipient is final, no job or unit refers to the message and no
 * request of it waits, the file is unlinked.  Journal records that say a
 * recipient was delivered or failed are fdatasync'ed before the state is
 * acted on, so a delivered recipient is never delivered again.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exitcodes.h"
#include "msgid.h"
#include "logmsg.h"
#include "../queue/qscan.h"
#include "send.h"
#include "sysutil.h"

#define HASH_SIZE	65536		/* buckets; chains stay short at 100k */
#define TMP_GRACE	(36 * 3600)	/* injections older than this are dead */
/* compact a journal past COMPACT_MIN + COMPACT_PER_RCPT bytes per
 * recipient: a compacted journal takes at most about 1.1 KB per
 * recipient, so it at least halves, and no file's tail ever comes near
 * QF_TAIL_MAX (10,000 recipients: envelope 2.6 MB + journal < 25 MB) */
#define COMPACT_MIN	(64 * 1024)
#define COMPACT_PER_RCPT 2200

#define MSGID_HEAD 16384	/* header octets searched for a Message-ID */

/* one journal request kept until the keeper acknowledges it */
struct jpend {
	struct jpend *next;
	int sync;
	size_t len;
	char entries[];
};

static struct msg *hash[HASH_SIZE];
static unsigned long nmsgs;

static unsigned
id_hash(const char *id)
{
	unsigned h = 5381;

	while (*id)
		h = h * 33 + (unsigned char)*id++;
	return h % HASH_SIZE;
}

struct msg *
msg_find(const char *id)
{
	struct msg *m;

	for (m = hash[id_hash(id)]; m; m = m->hnext)
		if (!strcmp(m->id, id))
			return m;
	return 0;
}

unsigned long
msg_count(void)
{
	return nmsgs;
}

void
msg_forall(void (*fn)(struct msg *))
{
	size_t i;
	struct msg *m, *next;

	for (i = 0; i < HASH_SIZE; i++)
		for (m = hash[i]; m; m = next) {
			next = m->hnext;
			fn(m);
		}
}

static void
msg_free(struct msg *m)
{
	struct msg **pp;

	for (pp = &hash[id_hash(m->id)]; *pp; pp = &(*pp)->hnext)
		if (*pp == m) {
			*pp = m->hnext;
			nmsgs--;
			break;
		}
	sched_drop(m);
	while (m->jhead) {
		struct jpend *j = m->jhead;

		m->jhead = j->next;
		free(j);
	}
	free(m->tail);
	free(m->r);
	free(m->msgid);
	free(m);
}

static int
path_of(stralloc *p, const char *id)
{
	if (!qf_mess_path(p, id)) {
		log_line("warning: out of memory for ", id, NULL);
		return 0;
	}
	return 1;
}

static void
lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* copy the parsed file into m's recipients */
static int
take_parsed(struct msg *m, struct qf *q)
{
	size_t i;

	m->r = calloc(q->nrcpt, sizeof *m->r);
	if (!m->r)
		return 0;
	m->nrcpt = q->nrcpt;
	m->sender = q->sender;
	m->arrival = q->arrival;
	m->level = q->level;
	m->held = q->held;
	m->warned = q->warned;
	for (i = 0; i < q->nrcpt; i++) {
		struct rcpt *r = &m->r[i];
		char *at = strrchr(q->r[i].addr, '@');

		r->addr = q->r[i].addr;
		r->domain = at ? at + 1 : (char *)"";
		lower(r->domain);
		r->attempts = q->r[i].attempts;
		r->state = q->r[i].state != QS_PENDING ? q->r[i].state :
		    QS_DUE;
		if (r->state == QS_DUE && r->attempts) {
			r->state = QS_WAITING;
			r->due = qf_retry_at(r->attempts, q->r[i].last,
			    cf.rmin, cf.rmax);
		}
	}
	return 1;
}

/* cut a torn last journal line so the next record starts a line: the
 * keeper does it ("T\0ID\0SIZE\0"), before any record of the message,
 * which is not known before this load, can be asked of it */
static void
cut_torn(struct msg *m, size_t taillen, size_t good)
{
	static stralloc pkt;
	char num[24];

	if (good == taillen)
		return;
	pkt.len = 0;
	if (!stralloc_copys(&pkt, "T") || !stralloc_0(&pkt) ||
	    !stralloc_cats(&pkt, m->id) || !stralloc_0(&pkt) ||
	    !stralloc_cats(&pkt, ulong_str(num, QF_HEAD_LEN + m->msglen +
	    good)) || !stralloc_0(&pkt))
		fatal_nomem(EX_SL_TEMP);
	sched_keeper_send(pkt.s, pkt.len);
	log_line_qid(m->id, "torn journal line removed", NULL);
}

/* a corrupt file (files appear in mess/ only whole, so never a half
 * written one) is renamed ID.bad: kept for the administrator, no longer
 * a queue id, so not reported again at every scan */
static void
set_aside(const char *path)
{
	stralloc bad = {0};

	if (stralloc_copys(&bad, path) && stralloc_cats(&bad, ".bad") &&
	    stralloc_0(&bad) && rename(path, bad.s) == 0)
		log_line("set aside as ", bad.s, NULL);
	stralloc_free(&bad);
}

/* the Message-ID from the message's first octets, for the log */
static void
msgid_read(int fd, struct msg *m)
{
	static char head[MSGID_HEAD];
	char id[MSGID_MAX];
	size_t want = m->msglen < sizeof head ? m->msglen : sizeof head;
	ssize_t n = pread(fd, head, want, QF_HEAD_LEN);

	if (n > 0 && msgid_find(head, (size_t)n, id))
		m->msgid = strdup(id);
}

static struct msg *
load_file(const char *id, const char *path)
{
	struct msg *m = calloc(1, sizeof *m);
	struct qf q;
	size_t taillen = 0;
	int fd, r;

	if (!m)
		return 0;
	memset(&q, 0, sizeof q);
	strcpy(m->id, id);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			log_line_sys("warning: cannot open ", path, NULL);
		free(m);
		return 0;
	}
	r = qfile_read(fd, &m->msglen, &m->tail, &taillen);
	if (r == 1)
		msgid_read(fd, m);
	close(fd);
	if (r == 1)
		r = qf_parse(m->tail, taillen, &q);
	if (r == 1 && !take_parsed(m, &q))
		r = -1;
	if (r != 1) {
		log_line(r == 0 ? "warning: malformed queue file " :
		    "warning: cannot load queue file ", path, NULL);
		if (r == 0)
			set_aside(path);
		qf_free(&q);
		free(m->tail);
		free(m);
		return 0;
	}
	cut_torn(m, taillen, q.good_len);
	m->envlen = q.env_len;
	qf_free(&q);
	return m;
}

int
msg_load(const char *id)
{
	static stralloc path;
	struct msg *m;
	unsigned h;
	char num[24], size[24];

	if (!qf_id_valid(id) || msg_find(id))
		return msg_find(id) != 0;
	if (!path_of(&path, id))
		return 0;
	m = load_file(id, path.s);
	if (!m)
		return 0;
	h = id_hash(id);
	m->hnext = hash[h];
	hash[h] = m;
	nmsgs++;
	log_line_qid(id, "new msg from=<", m->sender, "> rcpts=",
	    ulong_str(num, m->nrcpt), " size=", ulong_str(size, m->msglen),
	    m->msgid ? " msgid=" : "", m->msgid ? m->msgid : "", NULL);
	msg_compact_maybe(m);
	msg_check(m);
	return 1;
}

static void
scan_one(const char *id, void *ctx)
{
	if (!msg_find(id))
		msg_load(id);
}

void
msg_scan(void)
{
	qscan_ids(scan_one, 0);
}

void
tmp_clean(void)
{
	DIR *d = opendir("tmp");
	struct dirent *e;
	struct stat st;
	char path[300];

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || strlen(e->d_name) > 200)
			continue;
		strcpy(path, "tmp/");
		strcat(path, e->d_name);
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    (unsigned long)st.st_mtime + TMP_GRACE < now) {
			if (unlink(path) == 0)
				log_line("removed stale injection ", path, NULL);
			else
				log_line_sys("warning: cannot remove ", path,
				    NULL);
		}
	}
	closedir(d);
}

int
msg_open(struct msg *m)
{
	static stralloc path;

	if (!path_of(&path, m->id))
		return -1;
	return open(path.s, O_RDONLY | O_CLOEXEC);
}

static void
jentry_num(stralloc *e, unsigned long n)
{
	char num[24];

	if (!stralloc_cats(e, ulong_str(num, n)))
		fatal_nomem(EX_SL_TEMP);
}

void
jentry(stralloc *e, char kind, size_t idx, const char *dsn, const char *text)
{
	if (!stralloc_catb(e, &kind, 1))
		fatal_nomem(EX_SL_TEMP);
	jentry_num(e, idx);
	if (!stralloc_0(e))
		fatal_nomem(EX_SL_TEMP);
	jentry_num(e, now);
	if (!stralloc_0(e) || !stralloc_cats(e, dsn ? dsn : "") ||
	    !stralloc_0(e) || !stralloc_cats(e, dsn && text ? text : "") ||
	    !stralloc_0(e))
		fatal_nomem(EX_SL_TEMP);
}

void
jentry_msg(stralloc *e, char kind)
{
	if (!stralloc_catb(e, &kind, 1) || !stralloc_0(e))
		fatal_nomem(EX_SL_TEMP);
	jentry_num(e, now);
	if (!stralloc_0(e) || !stralloc_0(e) || !stralloc_0(e))
		fatal_nomem(EX_SL_TEMP);
}

/* "W<sync>\0ID\0END\0" + entries, or "V..." sent again: END is where the
 * keeper looks for it in the journal (written before its ack was lost?) */
static void
jpend_send(struct msg *m, const struct jpend *j, int again)
{
	static stralloc pkt;
	char num[24];

	pkt.len = 0;
	if (!stralloc_copys(&pkt, again ? "V" : "W") ||
	    !stralloc_cats(&pkt, j->sync ? "1" : "0") || !stralloc_0(&pkt) ||
	    !stralloc_cats(&pkt, m->id) || !stralloc_0(&pkt) ||
	    !stralloc_cats(&pkt, ulong_str(num, m->jend)) ||
	    !stralloc_0(&pkt) || !stralloc_catb(&pkt, j->entries, j->len))
		fatal_nomem(EX_SL_TEMP);
	sched_keeper_send(pkt.s, pkt.len);
}

static void
jpend_add(struct msg *m, const char *entries, size_t len, int sync)
{
	struct jpend *j = malloc(sizeof *j + len);

	if (!j)
		fatal_nomem(EX_SL_TEMP);
	j->next = 0;
	j->sync = sync;
	j->len = len;
	memcpy(j->entries, entries, len);
	if (m->jtail)
		m->jtail->next = j;
	else
		m->jhead = j;
	m->jtail = j;
	jpend_send(m, j, 0);
}

/* entries of 4 NUL-terminated fields, at most JOURNAL_REQ_MAX bytes of
 * them a request (a cancellation of 10,000 recipients takes several) */
void
msg_journal(struct msg *m, const stralloc *entries, int sync)
{
	size_t start = 0, pos = 0;

	while (pos < entries->len) {
		size_t e = pos;
		int f;

		for (f = 0; f < 4 && e < entries->len; f++)
			e += strlen(entries->s + e) + 1;
		if (e - start > JOURNAL_REQ_MAX && pos > start) {
			jpend_add(m, entries->s + start, pos - start, sync);
			start = pos;
		}
		pos = e;
	}
	if (pos > start)
		jpend_add(m, entries->s + start, pos - start, sync);
}

void
msg_journal_acked(const char *id, unsigned long end)
{
	struct msg *m = msg_find(id);
	struct jpend *j;

	if (!m || !(j = m->jhead)) {
		log_line("warning: journal acknowledgement for ", id,
		    " that waits for none ignored", NULL);
		return;
	}
	m->jhead = j->next;
	if (!m->jhead)
		m->jtail = 0;
	free(j);
	m->jend = end;
	if (!m->jhead && !m->refs)
		msg_check(m);		/* done: it may be removed now */
}

static void
resend_one(struct msg *m)
{
	struct jpend *j;

	for (j = m->jhead; j; j = j->next)
		jpend_send(m, j, 1);
}

void
msg_journal_resend(void)
{
	msg_forall(resend_one);
}

void
msg_compact_maybe(struct msg *m)
{
	static stralloc path, pkt;
	struct stat st;
	off_t journal;

	if (m->inflight || m->jhead || !path_of(&path, m->id) ||
	    stat(path.s, &st))
		return;
	journal = st.st_size - QF_HEAD_LEN - (off_t)m->msglen -
	    (off_t)m->envlen;
	if (journal <= (off_t)COMPACT_MIN + (off_t)COMPACT_PER_RCPT *
	    (off_t)m->nrcpt)
		return;
	pkt.len = 0;
	if (!stralloc_copys(&pkt, "C") || !stralloc_0(&pkt) ||
	    !stralloc_cats(&pkt, m->id) || !stralloc_0(&pkt))
		fatal_nomem(EX_SL_TEMP);
	sched_keeper_send(pkt.s, pkt.len);
	m->jend = 0;			/* offsets change */
}

static int
all_final(const struct msg *m)
{
	size_t i;

	for (i = 0; i < m->nrcpt; i++)
		if (m->r[i].state != QS_SENT && m->r[i].state != QS_BOUNCED &&
		    m->r[i].state != QS_CANCELLED)
			return 0;
	return 1;
}

static int
any_state(const struct msg *m, enum qf_state state)
{
	size_t i;

	for (i = 0; i < m->nrcpt; i++)
		if (m->r[i].state == state)
			return 1;
	return 0;
}

static void
finish(struct msg *m)
{
	static stralloc path;

	if (path_of(&path, m->id) && unlink(path.s) && errno != ENOENT) {
		log_line_sys("warning: cannot remove ", path.s, NULL);
		sched_drop(m);
		return;	/* stays in memory, done; retried at restart */
	}
	log_line_qid(m->id, "end msg", NULL);
	msg_free(m);
}

void
msg_check(struct msg *m)
{
	/* no bounce while the journal cannot say it was sent, nor before
	 * the failures it reports (read back from the journal: give-ups,
	 * an administrator's bounce) are written */
	if (!m->refs && !m->held && any_state(m, QS_FAILED) &&
	    !sched_journal_blocked() && !m->jhead)
		bounce_try(m);
	if (!m->refs && all_final(m)) {
		if (m->jhead) {		/* its last records are not acknowledged:
					 * msg_journal_acked checks again */
			sched_drop(m);
			return;
		}
		finish(m);
		return;
	}
	if (m->held) {		/* nothing starts until it is released */
		sched_drop(m);
		return;
	}
	warn_try(m);
	if (any_state(m, QS_DUE))
		sched_ready(m);
	sched_update(m);
}
