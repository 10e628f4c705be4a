/*
 * remote.h -- the state of one remote delivery (one message, the
 * recipients at one domain), shared by the router (deliver.c) and the
 * SMTP client (smtpsess.c).
 */
#ifndef SLUICE_REMOTE_H
#define SLUICE_REMOTE_H

#include <openssl/ssl.h>
#include "job.h"
#include "netaddr.h"
#include "remoteauth.h"
#include "route.h"

#define DSN_MAX 12

struct rcptstate {
	enum job_status status;		/* JOB_NONE still to do, or a result */
	char dsn[DSN_MAX];
	char text[JOB_TEXT_MAX + 1];
};

struct delivery {
	const struct job *j;
	int msgfd;
	unsigned long size;		/* with CR LF line ends (SIZE=) */
	int eightbit;			/* the message has 8-bit bytes */
	int utf8addr;			/* an address has non-ASCII bytes */
	const char *me;			/* HELO name */
	unsigned int timeout;		/* timeoutremote */
	unsigned int timeoutconnect;
	/* connection reuse (0 off): remotecachetime, remotereusecount,
	 * remotereusetime */
	unsigned long cachetime, reusecount, reusetime;
	int tls_verify;			/* route option tls=verify (or cafile=) */
	const struct route *route;	/* the static route, or NULL */
	const struct credentials *cred;	/* smarthost login, or NULL */
	SSL_CTX *tls_ctx;		/* made on first use */
	struct rcptstate *r;		/* j->nrcpt of them */
	/* why the last host failed, for recipients nobody took */
	int anytemp;			/* some host failed temporarily */
	char lastdsn[DSN_MAX];
	char lasterr[JOB_TEXT_MAX + 1];
};

struct target {
	const char *host;		/* name (for SNI, verification, logs) */
	struct ipaddr ip;
	unsigned int port;
};

enum attempt { ATTEMPT_DONE, ATTEMPT_NEXT, ATTEMPT_PLAIN };

/* one SMTP connection to t: decides what it can about each pending
 * recipient.  ATTEMPT_NEXT: try the next host (d->lasterr says why);
 * ATTEMPT_PLAIN: STARTTLS failed, try this host again without it
 * (no_tls set).  Logs one line. */
enum attempt smtp_attempt(struct delivery *d, const struct target *t,
    int no_tls);
/* the same over an already connected descriptor fd (closed when done;
 * -1 with errno set: the connection failed).  For the fuzz target. */
enum attempt smtp_attempt_fd(struct delivery *d, const struct target *t,
    int fd, int no_tls);

/* connection reuse (smtpsess.c): after a job the worker may keep its
 * connection (RSET on reuse) for the next job to the same destination.
 * smtp_reuse: when the kept connection is to one of the first host's
 * addresses among t[0..n), with the same route options, credentials and
 * HELO name, and still answers RSET, deliver over it (the result as
 * smtp_attempt's); otherwise it is closed and -1 comes back with nothing
 * recorded against the recipients. */
int smtp_reuse(struct delivery *d, const struct target *t, size_t n);
/* the spawner's hooks (spawner.h): the kept connection's domain ("" none),
 * its descriptor (-1), and its expiry (stop: close it now) */
const char *conn_held(void);
int conn_held_fd(void);
long conn_tick(int stop);

/* set a recipient's result (text cut to JOB_TEXT_MAX) */
void rcpt_set(struct rcptstate *r, enum job_status status, const char *dsn,
    const char *text);
/* remember why a host failed */
void delivery_fail(struct delivery *d, int temp, const char *dsn,
    const char *text);
/* how many recipients are still to do */
size_t delivery_pending(const struct delivery *d);
/* every recipient still to do gets status/dsn and the text a b c (b, c
 * may be NULL); logged once */
void delivery_give_up(struct delivery *d, enum job_status status,
    const char *dsn, const char *a, const char *b, const char *c);

#endif
