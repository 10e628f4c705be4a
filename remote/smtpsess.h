/*
 * smtpsess.h -- the state of one outbound SMTP connection, shared by the
 * connection and greeting half (smtpsess.c) and the mail transaction
 * half (smtptxn.c) of the SMTP client.  Private to remote/.
 */
#ifndef SLUICE_SMTPSESS_H
#define SLUICE_SMTPSESS_H

#include "netio.h"
#include "remote.h"
#include "smtpreply.h"

#define LINE_MAX_IN	2048	/* longer reply lines are malformed */
#define PIPE_WINDOW	100	/* RCPT commands written before reading */
#define CHUNK		65536
#define PEER_MAX	320

struct sess {
	struct delivery *d;
	const struct target *t;
	struct netio n;
	char peer[PEER_MAX];	/* "host[ip]" */
	char tls[128];
	struct ehlo_caps caps;
	int accepted[JOB_RCPT_MAX];
	size_t naccepted;
	const char *summary;		/* for the log line */
	int broken;			/* transport failed: no QUIT */
	int trusted;			/* TLS verified or pinned: credentials may go */
};

/* "HOST[IP] said: TEXT (in reply to WHAT)" into out */
void sess_said(struct sess *s, const struct smtp_reply *r, const char *what,
    char *out, size_t max);
/* record why this host failed: from its reply, or from a text */
void sess_fail_reply(struct sess *s, const struct smtp_reply *r,
    const char *what);
void sess_fail_text(struct sess *s, const char *dsn, const char *what,
    const char *detail);
/* read one reply (EHLO keywords into s->caps when ehlo); -1 on timeout,
 * EOF or garbage, recorded as a failure and s->broken set */
int sess_get_reply(struct sess *s, struct smtp_reply *r, int ehlo,
    const char *what);
/* a b c CR LF into the output buffer (b, c may be NULL); -1 on error */
int sess_send_line(struct sess *s, const char *a, const char *b,
    const char *c);
/* cmd arg, flush, read the reply; -1 on a transport failure */
int sess_command(struct sess *s, const char *cmd, const char *arg,
    struct smtp_reply *r, int ehlo, const char *what);

/* smtptxn.c.  Non-ASCII addresses to a peer without SMTPUTF8 bounce
 * (all of them when the sender is one): 1 go on, 0 nothing left to do */
int sess_utf8_fits(struct sess *s);
/* SIZE limit: 1 fits, 0 the recipients were bounced */
int sess_size_fits(struct sess *s);
/* MAIL and RCPTs: -1 next host, 0 go on to DATA, 1 done (none accepted) */
int sess_envelope(struct sess *s);
/* DATA, body, final reply: 0 the accepted recipients are decided,
 * -1 failed before the body was complete (next host) */
int sess_data(struct sess *s);
/* every recipient still to do gets this result */
void sess_set_pending(struct sess *s, enum job_status st, const char *dsn,
    const char *text);

#endif
