/*
 * inject.h -- THE injection client: how every sluice program puts a
 * message into the queue (sluice-smtpd, sluice-sendmail, bounces of
 * sluice-send, forwards of sluice-local), and the wire protocol of the
 * injection service sluice-injectd that it speaks.
 *
 * Two ways in, one result:
 *  - the service (opts.service): the message is kept here (in memory up to
 *    INJECT_BUFSIZE, then in a memory file) until inject_finish, which
 *    connects to ROOT/run/inject.sock and sends it all at once, so an
 *    injector process is never held by a slow SMTP client.  When nothing
 *    listens there (the queue service is down, or a qmail-style setup
 *    without it), the same bytes go to the program instead;
 *  - the program (opts.prog, or BIN/sluice-queue next to our own binary),
 *    qmail-queue's protocol: it is started at inject_start, the message
 *    streams to its fd 0 as it comes, the envelope goes to its fd 1, the
 *    queue id comes back on fd 3 (SLUICE_QUEUEID_FD=3), its exit code is
 *    the result.  $QMAILQUEUE filters get our environment, plus
 *    SLUICE_DKIM=no when not signing and SLUICE_BOUNCE_LEVEL when set.
 *
 * The result (struct inject_result) is one of three meanings: INJECT_OK
 * with the queue id, INJECT_TEMP or INJECT_PERM, each with the
 * qmail-queue exit code (exitcodes.h; -1 when the injector crashed, was
 * killed, timed out or the connection was lost) and a line of text.
 * inject_status_of is the one place a code is classified: 0 ok, 11..40
 * permanent, anything else temporary.  A message whose fate is unknown
 * (the injector went away after it had everything) is INJECT_TEMP and is
 * never sent again by us: sending it again could queue it twice.
 *
 * Wire protocol (SOCK_STREAM unix socket, one message per connection):
 *   request  = header message NUL envelope
 *   header   = "INJECT/1 sign=" ("0" / "1") " bounce=" ("0" / "1" / "2") LF
 *              (exactly that, at most INJECT_HEADER_MAX octets)
 *   message  = the message, LF line ends; no NUL (it ends here) and no CR
 *              (refused, 31), at most databytes + 64 KiB
 *   envelope = "F" sender NUL *( "T" recipient NUL ) NUL
 *              (as qmail-queue's fd 1; at most QF_ENV_MAX octets)
 *   reply    = ( "ok " qid / 2DIGIT " " text ) LF
 *              one line of at most INJECT_REPLY_MAX octets, printable;
 *              2DIGIT is the qmail-queue exit code (never 00)
 * The reply "ok" comes only once the message file and its directory entry
 * are on disk.  A client that closes before the envelope's last NUL gets
 * nothing queued.  sign=0 is SLUICE_DKIM=no; bounce= is honoured only
 * for a peer (SO_PEERCRED) that is root or of the queue's group (as
 * sluice-queue honours SLUICE_BOUNCE_LEVEL), and the Received line's
 * "invoked by uid" is the peer's uid.  The service drops a client that
 * sends nothing for timeoutinject seconds, or takes longer than ten times
 * that for the whole request.
 */
#ifndef SLUICE_INJECT_H
#define SLUICE_INJECT_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

#define INJECT_SOCKET		"run/inject.sock"	/* in ROOT */
#define INJECT_HEADER_MAX	64
#define INJECT_REPLY_MAX	256
#define INJECT_QID_MAX		64
#define INJECT_BUFSIZE		65536

/* ---- the protocol's pure parts (injectproto.c; fuzzed) ---- */

struct inject_header {
	int sign;		/* 0 or 1 */
	int bounce;		/* 0, 1 or 2 */
};

/* s[0..len) without its LF.  0 ok, -1 not a valid header */
int inject_header_parse(const char *s, size_t len, struct inject_header *h);
/* the header with its LF into out (INJECT_HEADER_MAX); returns the length */
size_t inject_header_format(char *out, const struct inject_header *h);

enum inject_status { INJECT_OK, INJECT_TEMP, INJECT_PERM };

struct inject_result {
	enum inject_status status;
	int code;			/* qmail-queue exit code, -1 none */
	char qid[INJECT_QID_MAX + 1];	/* "" when not known */
	char text[INJECT_REPLY_MAX];	/* why, for logs; "" when ok */
};

/* the one classification of a qmail-queue exit code (-1: crashed) */
enum inject_status inject_status_of(int code);
/* r from an exit code and a text (copied, cut, made printable) */
void inject_result_set(struct inject_result *r, int code, const char *text);
/* a reply line s[0..len) (without LF) into r.  0 ok, -1 malformed */
int inject_reply_parse(const char *s, size_t len, struct inject_result *r);
/* "ok QID\n" (code 0, text the qid) or "CODE TEXT\n" into out
 * (INJECT_REPLY_MAX); returns the length */
size_t inject_reply_format(char *out, int code, const char *text);
/* a queue id as a program wrote it (letters, digits, . - _) into qid:
 * the part of s[0..len) up to the first other octet, at most
 * INJECT_QID_MAX; "" when none */
void inject_qid_take(char *qid, const char *s, size_t len);

/* ---- the client (inject.c) ---- */

struct inject_opts {
	const char *prog;	/* the program; 0: BIN/sluice-queue */
	int service;		/* try ROOT/run/inject.sock first */
	int sign;		/* 0: SLUICE_DKIM=no (qsign.h) */
	int bounce;		/* bounce level 0..2 (honoured for sluice-send) */
	unsigned int timeout;	/* seconds per wait (a full pipe, a reply) */
};

struct inject {
	struct inject_opts o;
	char prog[4200];
	int fail;		/* a refusal known before the end (code) */
	const char *failtext;
	/* the program */
	pid_t pid;
	int msgfd, envfd, idfd;
	int timedout;
	struct sigaction oldpipe;
	/* the service: what is kept until inject_finish */
	int spool;		/* memory file past buf, or -1 */
	unsigned long long total;
	size_t buflen;
	char buf[INJECT_BUFSIZE];
};

/* ready a message.  With opts->service nothing is started yet; else the
 * program is started now.  0 ok, -1 cannot (errno; r is not needed) */
int inject_start(struct inject *q, const struct inject_opts *opts);
/* more of the message (LF line ends) */
void inject_write(struct inject *q, const char *buf, size_t len);
/* the envelope (qmail-queue's, with its last NUL) ends the message; r
 * says what happened.  Returns r->status. */
enum inject_status inject_finish(struct inject *q, const char *env,
    size_t envlen, struct inject_result *r);
/* give the message up: nothing is queued */
void inject_abort(struct inject *q);

#endif
