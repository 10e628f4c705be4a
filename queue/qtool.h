/*
 * qtool.h -- what the queue tools (sluice-qread, sluice-qstat,
 * sluice-qctl, sluice-qcat) share: entering the queue, loading one
 * message, showing it the way sluice-qread does, and the usage rule
 * (a bad command line: one usage line on stderr, exit 1, nothing done).
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

/* print m as sluice-qread lists it: a line with id, age, size, sender
 * (and "held"), then one line per recipient.  rmin, rmax: the retry
 * settings, for "next in ..." */
void qtool_show(const struct qmsg *m, unsigned long now, unsigned long rmin,
    unsigned long rmax);
/* the retry settings (defaults, with a warning, when unreadable) */
void qtool_retry_settings(unsigned long *rmin, unsigned long *rmax);
/* one duration as 2m13s, 4h10m, 3d2h into buf (32 bytes) */
const char *qtool_span(char *buf, unsigned long s);

#endif
