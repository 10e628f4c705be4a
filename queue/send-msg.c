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

#include "logmsg.h"
#include "qscan.h"
#include "send.h"
#include "sysutil.h"

#define HASH_SIZE	65536		/* buckets; chains stay short at 100k */
#define TMP_GRACE	(36 * 3600)	/* injections older than this are dead */

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
	free(m->tail);
	free(m->r);
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
		r->state = q->r[i].state ? q->r[i].state : 'P';
		if (r->state == 'P' && r->attempts) {
			r->state = 'W';
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
	log_line(m->id, " torn journal line removed", NULL);
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
	qf_free(&q);
	return m;
}

int
msg_load(const char *id)
{
	static stralloc path;
	struct msg *m;
	unsigned h;
	char num[24];

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
	log_line("new msg ", id, " from <", m->sender, "> rcpts ",
	    ulong_str(num, m->nrcpt), NULL);
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

int
msg_journal(struct msg *m, const stralloc *rec, int sync)
{
	static stralloc path;
	int fd, ok;

	if (!path_of(&path, m->id))
		return -1;
	fd = open(path.s, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0) {
		log_line_sys("warning: ", m->id, " cannot open for journal",
		    NULL);
		return -1;
	}
	ok = write_all(fd, rec->s, rec->len) == 0 &&
	    (!sync || fdatasync(fd) == 0);
	if (!ok)
		log_line_sys("warning: ", m->id, " cannot write journal", NULL);
	close(fd);
	return ok ? 0 : -1;
}

static int
all_final(const struct msg *m)
{
	size_t i;

	for (i = 0; i < m->nrcpt; i++)
		if (!strchr("KBX", m->r[i].state))
			return 0;
	return 1;
}

static int
any_state(const struct msg *m, char state)
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
	log_line("end msg ", m->id, NULL);
	msg_free(m);
}

void
msg_check(struct msg *m)
{
	if (!m->refs && !m->held && any_state(m, 'D'))
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
	if (any_state(m, 'P'))
		sched_ready(m);
	sched_update(m);
}
