/*
 * logparse.h -- read one line of a sluice log (as multilog wrote it) into
 * the facts sluice-report counts.  The line schema is HACKING.md "Log
 * lines":  [@TAI64N ]PROG: [qid=QID] [sid=SID] EVENT key=value ...
 */
#ifndef SLUICE_LOGPARSE_H
#define SLUICE_LOGPARSE_H

#include <stddef.h>

#define LOGREC_FIELD_MAX 256
#define LOGREC_REASON_MAX 100

enum logkind {
	LK_OTHER,		/* nothing counted */
	LK_QUEUED,		/* sluice-smtpd accepted a message: ip, user */
	LK_SENT,		/* a delivery line: domain */
	LK_DEFERRED,
	LK_BOUNCED,
	LK_REFUSED,		/* the SMTP server refused: reason, ip */
	LK_AUTHFAIL		/* a failed login (SMTP or POP3): ip */
};

struct logrec {
	enum logkind kind;
	unsigned long long when;	/* Unix seconds from TAI64N, 0 none */
	char ip[LOGREC_FIELD_MAX];
	char user[LOGREC_FIELD_MAX];	/* "" when not authenticated */
	char domain[LOGREC_FIELD_MAX];	/* recipient domain, lower case */
	char reason[LOGREC_REASON_MAX];	/* "550 5.1.1 ..." and the like */
};

/* Pure: parse line[0..len) (no LF).  Always fills r (kind LK_OTHER for
 * lines that count for nothing); returns r->kind. */
enum logkind logrec_parse(const char *line, size_t len, struct logrec *r);

#endif
