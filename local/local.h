/*
 * local.h -- the pieces of sluice-local and the state one delivery
 * carries through them.
 *
 * One delivery = one job = one recipient.  The recipient may expand
 * (aliases, the per-user file) into several Maildir deliveries, programs
 * and forwards.  Maildirs and programs are done in order as they are
 * found; forwards are collected and injected once, at the end, only if
 * nothing failed temporarily (so a retry never forwards twice).  The
 * outcome is the worst of all parts: any temporary failure stops the
 * run and gives Z; a permanent failure of one part is remembered (D) but
 * the other parts are still delivered.  Maildir copies are written with
 * a key made of the queue id and the recipient (maildir_open_keyed), so
 * the retry of a job does not copy into a Maildir again what is still in
 * its new/; programs are run again, as with qmail.
 */
#ifndef SLUICE_LOCAL_LOCAL_H
#define SLUICE_LOCAL_LOCAL_H

#include <stddef.h>
#include <stralloc.h>

#include "job.h"
#include "maildir.h"
#include "userdb.h"

#define ALIAS_DEPTH_MAX	10	/* nested alias expansions */
#define FORWARD_MAX	1000	/* addresses injected by one delivery */
#define HDR_SCAN_MAX	(1024 * 1024)	/* header bytes read for loop checks */

struct ldelivery {
	const struct job *job;
	int msgfd;
	const char *rcpt;	/* the job's recipient, as queued */
	const char *sender;	/* sanitized (deliver.c) */
	stralloc senderbuf;
	const char *delims;	/* recipientdelimiter */
	stralloc hdr;		/* the message header, for loop checks */
	stralloc rpline;	/* "Return-Path: <SENDER>\n" */
	stralloc dtline;	/* "Delivered-To: RCPT\n" */
	stralloc fwd;		/* forward targets, each NUL-terminated */
	stralloc seen;		/* Maildirs delivered to, each NUL-terminated */
	char mdkey[MAILDIR_KEY_MAX + 1];	/* "" or the key that makes a
					   repeated Maildir delivery a no-op */
	const char *qkey;	/* users.cdb key of the user being delivered
				   to (its quota note), or 0 */
	size_t nfwd;
	const char *chain[ALIAS_DEPTH_MAX + 2];	/* addresses being expanded */
	size_t depth;
	size_t done;		/* parts delivered */
	enum job_status status;	/* JOB_SENT, or the worst failure so far */
	char dsn[8];
	stralloc text;		/* reason of the first failure of that kind */
	stralloc where;		/* what was delivered, for the K text */
};

/* record a failure (JOB_DEFERRED or JOB_FAILED); deferred outranks
 * failed; the first text of the worst kind is kept.  text is NUL-terminated parts, then NULL. */
void ld_fail(struct ldelivery *d, enum job_status status, const char *dsn,
    ...);
/* note one successful part for the K text */
void ld_done(struct ldelivery *d, const char *what);
/* 1 if the run must stop (a temporary failure happened) */
int ld_stopped(const struct ldelivery *d);

/* expand address (local@domain, domain local) at the current depth */
void expand_address(struct ldelivery *d, const char *addr);

/* deliver to a resolved virtual user (per-user file or Maildir) */
void deliver_user(struct ldelivery *d, const char *addr,
    const struct resolved *r);

/* message copy helpers (msgcopy.c): read the job's message */
/* call fn on each chunk of the message; 0 ok, -1 error (errno) */
int msg_each(struct ldelivery *d, int (*fn)(void *, const char *, size_t),
    void *arg);
/* write the whole message to fd (blocking); 0 ok, -1 error (errno) */
int msg_to_fd(struct ldelivery *d, int fd);
/* read the header into d->hdr (up to HDR_SCAN_MAX); 0 ok, -1 error */
int msg_read_header(struct ldelivery *d);

/* mdeliver.c: Return-Path, Delivered-To and the message into a Maildir;
 * quota applies when quota > 0 (maildirsize in quotadir) */
void maildir_deliver(struct ldelivery *d, const char *maildir,
    const char *quotadir, unsigned long quota);

/* create a Maildir and any missing parent directories (mode 0700);
 * 0 ok, -1 error (errno) */
int maildir_ensure(const char *maildir);

/* quota.c: 1 over quota, 0 fits, -1 error (errno); *used: the bytes
 * in the mailbox before this message */
int quota_over(const char *maildir, unsigned long quota,
    unsigned long msgsize, unsigned long *used);
/* what a Maildir holds, read-only: from maildirsize when it parses
 * (1, with the quota it names), else by a scan (0, *quota 0); -1 error */
int quota_usage(const char *maildir, unsigned long *quota,
    unsigned long *bytes, unsigned long *count);
/* record a delivered message of size bytes (errors make the file be
 * recalculated next time) */
void quota_add(const char *maildir, unsigned long size);

/* quotawarn.c: after a delivery (full: deferred for the quota) into the
 * mailbox of user key with `used` bytes now: the quota note for the RCPT
 * check, and the 90 % warning into inbox once per crossing */
void quota_note(const char *key, const char *inbox, unsigned long used,
    unsigned long quota, int full);

/* forward.c: queue an address for forwarding; inject them all */
void forward_add(struct ldelivery *d, const char *addr);
void forward_flush(struct ldelivery *d);

/* program.c: run |command for the user; 1 go on, 0 stop (exit 99) */
int program_deliver(struct ldelivery *d, const char *cmd, const char *home,
    const char *addr, const char *ext);

/* deliver.c: the spawner's deliver function */
void deliver_local(const struct job *j, int msgfd, stralloc *res);

#endif
