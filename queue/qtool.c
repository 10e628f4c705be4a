/*
 * qtool.c -- see qtool.h.
 */
#include <errno.h>
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
