/*
 * qtool.c -- see qtool.h.
 */
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stralloc.h>

#include "control.h"
#include "exitcodes.h"
#include "logmsg.h"
#include "qscan.h"
#include "qtool.h"

void
qtool_enter(void)
{
	stralloc q = {0};
	struct stat st;

	if (!instance_path(&q, "queue"))
		fatal_nomem(EX_SL_TEMP);
	if (chdir(q.s))
		fatal_sys(EX_SL_TEMP, "fatal: cannot enter ", q.s, NULL);
	/* no mess/ yet: nothing was ever queued, the tools show an empty queue */
	if (access("mess", R_OK | X_OK) && errno != ENOENT)
		fatal_sys(EX_SL_TEMP, "fatal: cannot read ", q.s, "/mess "
		    "(run me as root or in group sluiceq)", NULL);
	/* sluiceq can replace mess/: never read what a link leads to */
	if (lstat("mess", &st) == 0 && !S_ISDIR(st.st_mode))
		fatal(EX_SL_TEMP, "fatal: ", q.s, "/mess is not a directory "
		    "(a symbolic link?): refusing to read it", NULL);
	stralloc_free(&q);
}

int
qtool_load(const char *id, struct qmsg *m)
{
	stralloc path = {0};
	size_t taillen;
	int fd, r;

	memset(m, 0, sizeof *m);
	m->id = id;
	if (!qf_mess_path(&path, id))
		fatal_nomem(EX_SL_TEMP);
	/* not following a link, not blocking on a FIFO: whoever can write
	 * mess/ could have put either there */
	fd = open(path.s, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			log_line_sys("warning: cannot open ", path.s, NULL);
		stralloc_free(&path);
		return 0;
	}
	r = fstat(fd, &m->st) ? -1 : !S_ISREG(m->st.st_mode) ? 0 :
	    qfile_read(fd, &m->msglen, &m->tail, &taillen);
	close(fd);
	if (r == 1)
		r = qf_parse(m->tail, taillen, &m->q);
	if (r != 1) {
		log_line("warning: cannot read queue file ", path.s, NULL);
		qtool_free(m);
		stralloc_free(&path);
		return 0;
	}
	stralloc_free(&path);
	return 1;
}

void
qtool_free(struct qmsg *m)
{
	qf_free(&m->q);
	free(m->tail);
	m->tail = 0;
}

const char *
qtool_span(char *buf, unsigned long s)
{
	if (s >= 86400)
		snprintf(buf, 32, "%lud%luh", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, 32, "%luh%lum", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(buf, 32, "%lum%lus", s / 60, s % 60);
	else
		snprintf(buf, 32, "%lus", s);
	return buf;
}

void
qtool_retry_settings(unsigned long *rmin, unsigned long *rmax)
{
	*rmin = 300;
	*rmax = 14400;
	if (control_get_uint("retrymin", rmin) < 0 ||
	    control_get_uint("retrymax", rmax) < 0) {
		log_line("warning: bad retry settings; showing defaults", NULL);
		*rmin = 300;
		*rmax = 14400;
	}
}

static void
show_rcpt(const struct qf_rcpt *r, int held, unsigned long now,
    unsigned long rmin, unsigned long rmax)
{
	char b[32];
	const char *state = qf_state_name(r->state);

	if (!r->state && r->attempts)
		state = "deferred";
	printf("  %-9s <%s>", state, r->addr);
	if (!r->state && r->attempts && !held) {
		unsigned long at = qf_retry_at(r->attempts, r->last, rmin, rmax);

		printf(" attempts %u, next %s%s", r->attempts,
		    at > now ? "in " : "now", at > now ?
		    qtool_span(b, at - now) : "");
	} else if (!r->state && r->attempts)
		printf(" attempts %u", r->attempts);
	if (r->status && r->state != 'K')
		printf(": %s", r->status);
	putchar('\n');
}

void
qtool_show(const struct qmsg *m, unsigned long now, unsigned long rmin,
    unsigned long rmax)
{
	char b[32];
	size_t i;

	printf("%s  age %s  size %lu  from <%s>%s\n", m->id,
	    qtool_span(b, now > m->q.arrival ? now - m->q.arrival : 0),
	    m->msglen, m->q.sender, m->q.held ? "  held" : "");
	for (i = 0; i < m->q.nrcpt; i++)
		show_rcpt(&m->q.r[i], m->q.held, now, rmin, rmax);
}
