/*
 * send.h -- the pieces of sluice-send, the queue manager.
 *
 * send-main.c   signals, trigger FIFO, the poll loop, settings
 * send-msg.c    messages in memory: load by id, scan, journal, finish
 * send-sched.c  timers (a heap of messages), work units, concurrency,
 *               starting jobs and taking their results
 * send-keeper.c the process that owns the delivery sockets, journals
 *               every result before the scheduler hears of it, and is
 *               the one writer of the journals (the scheduler's records
 *               and compactions are requests to it)
 * send-bounce.c RFC 3464 bounces injected through sluice-queue
 *
 * Recipient states in memory (enum qf_state, qfile.h): QS_DUE due now,
 * QS_QUEUED waiting in a work unit, QS_RUNNING in a job, QS_WAITING
 * deferred until r->due, and the final or journaled ones QS_SENT,
 * QS_FAILED (bounce pending), QS_BOUNCED, QS_CANCELLED.  Their values
 * are the journal's letters ('K', 'D', ...).
 */
#ifndef SLUICE_SEND_H
#define SLUICE_SEND_H

#include <stddef.h>
#include <sys/types.h>
#include <stralloc.h>

#include "job.h"
#include "../queue/qfile.h"

/* a scheduler -> keeper request: header of indices, then a job packet */
#define KEEPER_REQ_MAX	(JOB_PACKET_MAX + JOB_RCPT_MAX * 32 + 64)
/* entries of one journal request ("W"), a little less than the above */
#define JOURNAL_REQ_MAX	65536

struct dom;

struct rcpt {
	char *addr;			/* in msg->tail */
	char *domain;			/* lower-cased, after the last '@' */
	enum qf_state state : 8;	/* never QS_PENDING; 8 bits keep a
					 * recipient at 32 bytes */
	enum job_kind kind;		/* JOB_LOCAL, JOB_REMOTE, or
					 * JOB_KIND_NONE not yet known */
	char cmd;			/* admin: 'X' cancel, 'D' bounce, 0 */
	unsigned attempts;
	unsigned long due;		/* 'W': next attempt */
};

struct msg {
	struct msg *hnext;		/* id hash chain */
	char id[QF_ID_MAX];
	char *tail;			/* envelope + journal, parsed in place */
	char *sender;
	unsigned long arrival;
	unsigned long msglen;
	int level;			/* bounce level (qfile.h) */
	size_t nrcpt;
	struct rcpt *r;
	size_t heapidx;			/* 1-based index in the timer heap, 0 none */
	unsigned long due;		/* heap key */
	unsigned long bounce_due;	/* retry a failed bounce injection */
	unsigned refs;			/* units queued + jobs running */
	unsigned inflight;		/* jobs running */
	char cmd;			/* admin: 'X' delete, 'D' bounce now, 0 */
	int held;			/* on hold: nothing starts (H record) */
	int warned;			/* delay warning sent (L record) */
	unsigned long warn_due;		/* when to send it, or 0 */
	struct jpend *jhead, *jtail;	/* journal requests the keeper has
					 * not acknowledged yet, in order */
	unsigned long jend;		/* journal size at the last ack, or 0
					 * (not known: after load, compaction) */
	size_t envlen;			/* bytes of the envelope in the file */
	struct dom *mark;		/* grouping pass (send-sched.c) */
	char *msgid;			/* Message-ID for the log, or NULL */
};

struct config {
	unsigned long climit, rlimit, dlimit;
	unsigned long lifetime, rmin, rmax;
	unsigned long bouncemax;
	unsigned long delaywarn;	/* seconds before a delay warning, 0 off */
	stralloc me, bouncefrom, doublebounceto;
};

extern struct config cf;
extern unsigned long now;		/* time(0), refreshed each loop */
extern int stopping;

/* send-msg.c */
struct msg *msg_find(const char *id);
int msg_load(const char *id);		/* 1 loaded/known, 0 skipped */
void msg_scan(void);			/* load every message not known yet */
void tmp_clean(void);			/* remove stale injections */
/* The keeper alone writes the journal.  The scheduler asks it with
 * entries (jentry: one record each) in a "W" request (send-keeper.c);
 * the request is kept until the keeper acknowledges it written (and
 * fdatasync'ed when sync), and sent again ("V") to a new keeper if this
 * one dies first.  A message is not removed while a request of it waits
 * for its acknowledgement. */
void jentry(stralloc *e, char kind, size_t idx, const char *dsn,
    const char *text);
void jentry_msg(stralloc *e, char kind);	/* 'H', 'R', 'L' */
void msg_journal(struct msg *m, const stralloc *entries, int sync);
void msg_journal_acked(const char *id, unsigned long end);
void msg_journal_resend(void);		/* to a new keeper */
/* ask the keeper to rewrite the file's journal to the current state
 * when it has grown (temporary file, fsync, rename): no job of m may be
 * running and no request of it be unacknowledged */
void msg_compact_maybe(struct msg *m);
int msg_open(struct msg *m);		/* read-only fd of the file */
void msg_check(struct msg *m);		/* finish, bounce or schedule */
void msg_forall(void (*fn)(struct msg *));
unsigned long msg_count(void);

/* send-sched.c */
void sched_init(int keeper_sock);
void sched_update(struct msg *m);	/* recompute due, fix the heap */
void sched_drop(struct msg *m);		/* out of the heap */
void sched_timers(void);		/* make due recipients ready */
void sched_ready(struct msg *m);	/* queue work units for 'P' rcpts */
void sched_dispatch(void);		/* start jobs within the limits */
int sched_result(int sock);		/* 1 ok, 0 peer closed */
long sched_timeout(void);		/* ms until the next timer, or -1 */
unsigned sched_inflight(void);
void sched_flush(void);			/* every deferred recipient due now */
/* administrator command on one message (trigger line "C ID [DOMAIN]"):
 * 'X' delete, 'D' bounce, 'F' flush, 'H' hold, 'R' release; domain
 * (lower case) limits X and F to the recipients at that domain, or 0 */
void sched_command(char cmd, const char *id, const char *domain);
int sched_journal_blocked(void);	/* the keeper cannot write ("J0") */
void sched_keeper_send(const char *pkt, size_t len);
/* a new keeper (keeper_start(, 1)) takes over: every running job is
 * handed to it, then "G" lets it read their results */
void sched_rekeeper(int keeper_sock);

/* send-keeper.c: fork the keeper of fd 3 and 4 (the caller keeps them,
 * to fork a new keeper if this one dies); *sock is our end; its pid.
 * adopt: it takes over from a dead keeper and reads no result before
 * the scheduler has handed it every running job (sched_rekeeper) */
pid_t keeper_start(int *sock, int adopt);

/* send-bounce.c */
void bounce_try(struct msg *m);
/* delay warning (RFC 3464 Action: delayed) once, after delaywarning;
 * sets m->warn_due to the next time to look (0: nothing to wait for) */
void warn_try(struct msg *m);

#endif
