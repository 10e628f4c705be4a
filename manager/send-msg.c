/*
 * send-msg.c -- sluice-send's messages in memory (see send.h).
 *
 * A message is loaded from mess/BB/ID: the head gives the message length,
 * the tail (envelope + journal) is read and parsed; the journal says which
 * recipients are done.  A torn last journal line is cut off before
 * anything is appended.  When every recipient is final and no job or unit
 * refers to the message, the file is unlinked.  Journal records that say
 * a recipient was delivered or failed are fdatasync'ed before the state
 * is acted on, so a delivered recipient is never delivered again.
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
#define HOLD_RETRY	5		/* seconds between journal retries */
/* compact a journal past COMPACT_MIN + COMPACT_PER_RCPT bytes per
 * recipient: a compacted journal takes at most about 1.1 KB per
 * recipient, so it at least halves, and no file's tail ever comes near
 * QF_TAIL_MAX (10,000 recipients: envelope 2.6 MB + journal < 25 MB) */
#define COMPACT_MIN	(64 * 1024)
#define COMPACT_PER_RCPT 2200

#define MSGID_HEAD 16384	/* header octets searched for a Message-ID */

static struct msg *hash[HASH_SIZE];
static unsigned long nmsgs, nunwritten, next_retry;

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
	if (m->unwritten.len) {
		log_line_qid(m->id, "warning: done: its held journal "
		    "records are not needed any more", NULL);
		nunwritten--;
	}
	stralloc_free(&m->unwritten);
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

/* cut a torn last journal line so the next record starts a line */
static void
cut_torn(const char *path, struct msg *m, size_t taillen, size_t good)
{
	int fd;

	if (good == taillen)
		return;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || ftruncate(fd, QF_HEAD_LEN + (off_t)m->msglen +
	    (off_t)good) || fsync(fd))
		log_line_sys("warning: ", m->id, " cannot cut a torn journal",
		    NULL);
	if (fd >= 0)
		close(fd);
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
	cut_torn(path, m, taillen, q.good_len);
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

static int
journal_write(struct msg *m, const char *rec, size_t len, int sync)
{
	static stralloc path;

	return path_of(&path, m->id) && qfile_append(path.s, rec, len, sync)
	    == 0 ? 0 : -1;
}

int
msg_journal(struct msg *m, const stralloc *rec, int sync)
{
	if (!m->unwritten.len && journal_write(m, rec->s, rec->len, sync) == 0)
		return 0;
	if (!m->unwritten.len) {
		if (!nunwritten)
			log_line_sys("warning: cannot write the journal of ",
			    m->id, ": records held in memory and the write "
			    "retried; no delivery starts until it works", NULL);
		nunwritten++;
		next_retry = now + HOLD_RETRY;
	}
	if (!stralloc_cat(&m->unwritten, rec))
		fatal_nomem(EX_SL_TEMP);
	m->unwritten_sync |= sync;
	return 1;
}

unsigned long
msg_unwritten(void)
{
	return nunwritten;
}

static void
retry_one(struct msg *m)
{
	if (!m->unwritten.len || journal_write(m, m->unwritten.s,
	    m->unwritten.len, m->unwritten_sync))
		return;
	m->unwritten.len = 0;
	m->unwritten_sync = 0;
	nunwritten--;
}

void
msg_retry_unwritten(void)
{
	if (!nunwritten || now < next_retry)
		return;
	msg_forall(retry_one);
	if (nunwritten)
		next_retry = now + HOLD_RETRY;
	else
		log_line("the journal can be written again: held records "
		    "written", NULL);
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
 * Rewrite mess/BB/ID with the journal reduced to the current state
 * (qf_compact): a temporary file in tmp/ gets HEAD, MESSAGE, ENVELOPE and
 * the compacted records, is fsync'ed and renamed over the old file, and
 * mess/BB is fsync'ed; only then may anything be appended again.  A
 * failure leaves the old file as it was.
 */
static void
msg_compact(struct msg *m, const char *path, off_t oldsize)
{
	static stralloc tmp, out;
	struct stat st;
	struct qf q;
	char *tail = 0, *env = 0;
	size_t taillen = 0;
	unsigned long msglen;
	int in, fd = -1, ok = 0;
	char n1[24], n2[24];

	in = open(path, O_RDONLY | O_CLOEXEC);
	if (in < 0 || fstat(in, &st) || qfile_read(in, &msglen, &tail,
	    &taillen) != 1 || msglen != m->msglen)
		goto done;
	env = malloc(taillen + 1);
	if (!env)
		goto done;
	memcpy(env, tail, taillen);
	out.len = 0;
	if (qf_parse(tail, taillen, &q) != 1)
		goto done;
	ok = q.nrcpt == m->nrcpt && stralloc_catb(&out, env, q.env_len) &&
	    qf_compact(&q, &out);
	qf_free(&q);
	if (!ok)
		goto done;
	ok = 0;
	if (!stralloc_copys(&tmp, "tmp/compact.") ||
	    !stralloc_cats(&tmp, m->id) || !stralloc_0(&tmp))
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
	if (rename(tmp.s, path)) {
		unlink(tmp.s);
		goto done;
	}
	if (sync_dir_of(path))
		log_line_sys("warning: ", m->id, " cannot sync its directory "
		    "after compaction", NULL);
	ok = 1;
	log_line_qid(m->id, "compacted the journal: ", ulong_str(n1,
	    (unsigned long)oldsize), " -> ", ulong_str(n2, (unsigned long)
	    (QF_HEAD_LEN + msglen + out.len)), " bytes", NULL);
done:
	if (!ok)
		log_line_sys("warning: cannot compact the journal of ", m->id,
		    NULL);
	if (in >= 0)
		close(in);
	free(tail);
	free(env);
}

void
msg_compact_maybe(struct msg *m)
{
	static stralloc path;
	struct stat st;
	off_t journal;

	if (m->inflight || m->unwritten.len || !path_of(&path, m->id) ||
	    stat(path.s, &st))
		return;
	journal = st.st_size - QF_HEAD_LEN - (off_t)m->msglen -
	    (off_t)m->envlen;
	if (journal > (off_t)COMPACT_MIN + (off_t)COMPACT_PER_RCPT *
	    (off_t)m->nrcpt)
		msg_compact(m, path.s, st.st_size);
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
	/* no bounce while the journal cannot say it was sent */
	if (!m->refs && !m->held && any_state(m, QS_FAILED) &&
	    !sched_journal_blocked())
		bounce_try(m);
	if (!m->refs && all_final(m)) {
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
