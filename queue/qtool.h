/*
 * qtool.h -- what the queue tools (sluice-qread, sluice-qstat) share:
 * entering the queue and loading one message for display.
 */
#ifndef SLUICE_QTOOL_H
#define SLUICE_QTOOL_H

#include <sys/stat.h>

#include "qfile.h"

struct qmsg {
	const char *id;
	unsigned long msglen;
	struct stat st;
	char *tail;
	struct qf q;
};

/* chdir to ROOT/queue or exit 111 with one line */
void qtool_enter(void);
/* 1 loaded (free with qtool_free), 0 gone or unreadable (reported) */
int qtool_load(const char *id, struct qmsg *m);
void qtool_free(struct qmsg *m);

#endif
