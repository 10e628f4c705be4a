/*
 * job.h -- the delivery job protocol between the queue manager
 * (sluice-send) and its delivery programs (sluice-local, sluice-remote).
 *
 * Transport: a SOCK_SEQPACKET socket (packet.h), so every packet is one whole job or
 * one whole result; the message itself is not copied but passed as an open
 * read-only descriptor (SCM_RIGHTS) attached to the job packet.  The
 * delivery program reads `length` bytes of the message from `offset`
 * (pread; the descriptor's position is shared and must not be relied on).
 * The message has LF line ends (as in qmail's queue).
 *
 * Job packet: fields separated by \0, in this order
 *   "J1"            protocol tag and version
 *   ID              decimal job number chosen by the manager (echoed back)
 *   QID             queue id (for log lines)
 *   KIND            "L" local or "R" remote
 *   SENDER          envelope sender, "" for the null sender
 *   ARRIVAL         unix time the message was queued (quota ageing, DSN)
 *   OFFSET LENGTH   where the message is in the descriptor
 *   DOMAIN          remote: the destination domain; local: ""
 *   RCPT...         one or more recipients (local jobs: exactly one)
 * Result packet: "R1" \0 ID \0 FIRST \0 then one field per recipient, in
 *   order, starting with recipient FIRST (0-based) of the job: a status
 *   letter, a DSN code, a space and text:
 *     "K2.0.0 delivered to ..."   done
 *     "Z4.2.2 mailbox full"       temporary failure, retry later
 *     "D5.1.1 no such user"       permanent failure, bounce
 *   text: printable ASCII, at most JOB_TEXT_MAX bytes (longer is cut).
 *   Remote results may start the text with "HOST[IP] said: " so bounces can
 *   name the remote MTA.
 *   A job's result may take several packets (job_result_send splits one
 *   that would pass JOB_PACKET_MAX; 1,000 statuses of 1,000 bytes would):
 *   each covers the next recipients, FIRST saying which.  The manager
 *   takes a status for a recipient of the job only once (a later one for
 *   the same recipient is ignored) and only from the socket the job went
 *   out on; the job is finished when every recipient has its status.
 *   Jobs are split by the manager so that a job packet never passes
 *   JOB_PACKET_MAX (a recipient is at most 256 bytes, so at least 400 fit).
 */
#ifndef SLUICE_JOB_H
#define SLUICE_JOB_H

#include <stddef.h>
#include <stralloc.h>

#define JOB_PACKET_MAX	(128 * 1024)
#define JOB_RCPT_MAX	1000
#define JOB_TEXT_MAX	1000
#define JOB_DSN_MAX	11		/* "d.ddd.ddd" is 9 */

/* KIND: the enum's values are the wire letters */
enum job_kind {
	JOB_KIND_NONE = 0,		/* never on the wire: not yet known */
	JOB_LOCAL = 'L',
	JOB_REMOTE = 'R'
};

/* a recipient's result, the status letter on the wire.  queue/qfile.h's
 * journal states QS_SENT, QS_DEFERRED, QS_FAILED are defined as these, so
 * a result and its journal record carry the same byte. */
enum job_status {
	JOB_NONE = 0,			/* never on the wire: no result yet */
	JOB_SENT = 'K',			/* delivered */
	JOB_DEFERRED = 'Z',		/* temporary failure, retry later */
	JOB_FAILED = 'D'		/* permanent failure, bounce */
};

struct job {
	unsigned long id;
	const char *qid;
	enum job_kind kind;		/* JOB_LOCAL or JOB_REMOTE */
	const char *sender;
	unsigned long arrival;
	unsigned long offset;
	unsigned long length;
	const char *domain;
	size_t nrcpt;
	const char *rcpt[JOB_RCPT_MAX];	/* pointers into the packet */
};

struct job_result {
	unsigned long id;
	size_t first;			/* index of the job's recipient status[0] is for */
	size_t n;
	const char *status[JOB_RCPT_MAX];	/* "K2.0.0 text" etc. */
};

/* encode j into out (out->s not NUL-terminated); 1 ok, 0 no memory or too big */
int job_encode(const struct job *j, stralloc *out);
/* bytes a job packet takes without its recipients; each recipient adds
 * strlen + 1 (the manager sizes jobs with this) */
size_t job_base_size(const struct job *j);
/* parse a job packet in place (buf is modified: it must stay alive while
 * j is used); 1 ok, 0 malformed */
int job_decode(char *buf, size_t len, struct job *j);

/* result encoding: start (FIRST 0), add one status per recipient, then
 * job_result_send; the whole result in out may be of any size */
int job_result_start(stralloc *out, unsigned long id);
/* status JOB_SENT, JOB_DEFERRED or JOB_FAILED, dsn like "5.1.1" (what
 * job_dsn_ok takes), text (sanitized, cut) */
int job_result_add(stralloc *out, enum job_status status, const char *dsn,
    const char *text, size_t textlen);
/* send a whole result (from job_result_start/add, FIRST 0) as one or more
 * packets of at most JOB_PACKET_MAX bytes; 0 ok, -1 error */
int job_result_send(int sock, const char *res, size_t len);
/* decode one result packet; 1 ok, 0 malformed (also when FIRST + n would
 * pass JOB_RCPT_MAX); a packet with no status is malformed.  Each status
 * is only checked to start with a status letter: job_status_split takes
 * one apart (so that one bad status costs its recipient, not the packet) */
int job_result_decode(char *buf, size_t len, struct job_result *r);
/* the one decoder of a status field "K2.0.0 text": its status, the DSN
 * code copied into dsn (JOB_DSN_MAX + 1 bytes) and the text (pointing
 * into st, "" none); 1 ok, 0 malformed */
int job_status_split(const char *st, enum job_status *status, char *dsn,
    const char **text);
/* 1 when s..s+len is "d.ddd.ddd" or "d.ddd.ddd text" (class 2, 4 or 5,
 * printable ASCII text): a status without its letter, as job results and
 * the queue's journal records carry it */
int job_dsn_ok(const char *s, size_t len);
/* the status a letter stands for; JOB_NONE when none */
enum job_status job_status_of(char c);

/* the spawner's idle packet, from a delivery worker to its parent (not
 * seen by the manager; spawner.h): "I1" \0 ID \0 KEY \0, the worker is
 * idle after job ID holding KEY (at most JOB_KEY_MAX bytes, "" nothing).
 * encode: the length written into out (JOB_IDLE_MAX bytes), 0 if key is
 * too long.  decode: 1 ok (*key points into buf), 0 malformed. */
#define JOB_KEY_MAX	255
#define JOB_IDLE_MAX	(3 + 21 + JOB_KEY_MAX + 1)
size_t job_idle_encode(char *out, unsigned long id, const char *key);
int job_idle_decode(const char *buf, size_t len, unsigned long *id,
    const char **key);

#endif
