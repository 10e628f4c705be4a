/*
 * smtpd.h -- the state of one sluice-smtpd session, shared by its parts:
 *   main.c      setup: peer, settings, TLS context, privilege drop
 *   session.c   the command loop, the command table, HELO/EHLO, STARTTLS,
 *               and the small commands
 *   envelope.c  MAIL and RCPT, with the recipient and relay policy
 *   message.c   DATA and BDAT: stream the message to the queue program
 *   auth.c      AUTH PLAIN and LOGIN
 * One process serves one connection; everything here is per connection.
 */
#ifndef SLUICE_SMTPD_H
#define SLUICE_SMTPD_H

#include <stddef.h>
#include <stralloc.h>

#include "address.h"
#include "netio.h"

/* MODE_LOCAL: `sendmail -bs`, SMTP on stdin/stdout run by a local user as
 * that user: no TLS or AUTH, the envelope sender is always the caller
 * (LOGIN@me), every recipient is taken as the sendmail command takes it */
enum smtpd_mode { MODE_MX, MODE_SUBMISSION, MODE_SMTPS, MODE_LOCAL };

/* session states, as bits so the command table can list several */
#define ST_INIT		1	/* no HELO/EHLO yet (or again after STARTTLS) */
#define ST_READY	2	/* greeted, no transaction */
#define ST_MAIL		4	/* MAIL accepted, no recipient yet */
#define ST_RCPT		8	/* at least one recipient accepted */
#define ST_ANY		(ST_INIT | ST_READY | ST_MAIL | ST_RCPT)

/* a recipient as text: a parsed path (addr_format, at most ADDR_PATH_MAX
 * + 3 bytes) or "postmaster@" and me (<Postmaster> without a domain) */
#define ME_MAX		255
#define RCPT_TEXT_MAX	(sizeof "postmaster@" + ME_MAX)

struct smtpd_limits {
	unsigned long databytes;	/* largest message */
	unsigned long maxrcpt;		/* recipients per message */
	unsigned long timeout;		/* seconds per command and data read */
	unsigned long maxbad;		/* bad commands before we hang up */
	unsigned long maxauthfail;	/* failed logins before we hang up */
	unsigned long authdelay;	/* seconds before a failed login answer */
	unsigned long receivedauth;	/* name the login in Received */
	unsigned long greetdelay;	/* ms to wait for early talkers */
	unsigned long maxhops;		/* Received fields before a loop */
	unsigned long miltertimeout;	/* seconds per milter answer */
	/* across connections, counted by sluice-anvil (abuse.h) */
	unsigned long ratelimitauth;	/* messages per hour per login */
	unsigned long ratelimitip;	/* messages per hour per IP, port 25 */
	unsigned long maxconnip;	/* connections at once per IP, port 25 */
	unsigned long maxauthfailip;	/* failed logins per hour per IP */
	unsigned long greetpass;	/* s a client that waited skips it */
};

struct smtpd {
	struct netio io;
	enum smtpd_mode mode;
	int tls_offer;			/* a certificate is there: STARTTLS */
	int tls;
	char tlsinfo[128];
	char me[ME_MAX + 1];
	char ip[64], localip[64], localport[8];
	char localuser[64];		/* MODE_LOCAL: "LOGIN uid N" */
	char localsender[ADDR_PATH_MAX + 3];	/* MODE_LOCAL: LOGIN@me */
	char helo[256];
	int esmtp;
	int relayclient;		/* RELAYCLIENT or control/relay */
	int authed;
	char authuser[256];
	unsigned long authfail;
	unsigned long badcmds;
	unsigned long junk;		/* NOOP, RSET, VRFY, HELP so far */
	int state;
	int quit;			/* leave the command loop */
	const char *end;		/* why the session ended, for the log */
	/* the transaction */
	int utf8;			/* MAIL had SMTPUTF8 */
	int bdat;			/* a BDAT sequence is under way */
	char sender[ADDR_PATH_MAX + 3];
	char rcpt1[RCPT_TEXT_MAX];	/* the first recipient */
	unsigned long nrcpt;
	unsigned long msgsize;		/* MAIL SIZE=, or 0 */
	stralloc env;			/* qmail-queue envelope being built */
	/* configuration */
	struct smtpd_limits lim;
	stralloc delims;		/* recipientdelimiter, NUL-terminated */
	stralloc relaylist;		/* control/relay lines */
	stralloc milters;		/* control/milters, NUL-terminated */
	int milterfail_accept;		/* milterfail is accept */
	const char *queueprog;
	int greetpass;			/* in the greeting pass cache */
	int dnsbl_done;			/* DNSBL answered for this session */
	const char *dnsbl_reply;	/* its refusal, or NULL */
	stralloc dnsbl;			/* dnsbl zones, comma separated */
	/* counters for the session log line */
	unsigned long n_queued, n_refused;
};

/* one reply line, CRLF added */
void reply(struct smtpd *s, const char *line);
/* reply, and count a bad command; hangs up after lim.maxbad */
void reply_bad(struct smtpd *s, const char *line);
/* forget the transaction (RSET, after a message, after STARTTLS) */
void txn_reset(struct smtpd *s);
/* hang up with a 421 reply */
void hang_up(struct smtpd *s, const char *line, const char *why);

/* greeting (with the early-talker check), then the command loop */
void session_run(struct smtpd *s);
/* the command loop alone (the fuzz target starts here) */
void session_commands(struct smtpd *s);

/* drop a BDAT message under way (RSET, errors) */
void message_abort(struct smtpd *s);

void cmd_mail(struct smtpd *s, const char *arg, size_t len);
void cmd_rcpt(struct smtpd *s, const char *arg, size_t len);
void cmd_data(struct smtpd *s, const char *arg, size_t len);
void cmd_bdat(struct smtpd *s, const char *arg, size_t len);
void cmd_auth(struct smtpd *s, const char *arg, size_t len);

#endif
