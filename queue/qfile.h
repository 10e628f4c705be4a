/*
 * qfile.h -- the queue file format and layout, shared by sluice-queue,
 * sluice-send and the queue tools.  See queue/README for the whole design.
 *
 * One file per message, mess/BB/ID, written once by sluice-queue and then
 * only appended to by sluice-send:
 *
 *   HEAD      32 bytes: "SLQ1 " + message length (26 digits) + "\n"
 *   MESSAGE   the message, LF line ends, starting with our Received line
 *   ENVELOPE  "A<arrival>\n" "N<bounce level>\n" "F<sender>\n"
 *             "T<rcpt>\n" (one per recipient) "E\n"
 *   JOURNAL   records appended by sluice-send, one line each:
 *             "K<i> <time> <dsn> <text>\n"  recipient i delivered
 *             "Z<i> <time> <dsn> <text>\n"  temporary failure (attempt)
 *             "D<i> <time> <dsn> <text>\n"  permanent failure, to bounce
 *             "B<i> <time>\n"              failure reported (bounced)
 *             "X<i> <time>\n"              cancelled by the administrator
 *             "A<i> <time> <n>\n"          n more failed attempts (written
 *                                          by compaction for n Z records)
 *             "H <time>\n"   message held by the administrator (no delivery)
 *             "R <time>\n"   message released (the last H or R counts)
 *             "L <time>\n"   delay warning sent to the sender (once)
 *
 * Compaction (qf_compact, done by sluice-send when a journal has grown)
 * rewrites the journal as the fewest records that give the same state:
 * per recipient the final K, D (with its text), B or X record; or for a
 * pending one with attempts an A record and its last Z record; then an
 * H record if the message is held and an L record if it was warned about.
 * A record counts only if it is a whole, well-formed line; a torn last
 * line (crash in the middle of an append) is ignored and cut off before
 * the next append.  The parser is a pure function over bytes.
 *
 * The queue id is "<13 hex digits: arrival seconds and microseconds>.<inode
 * in hex>"; the inode (unique among live files) picks the bucket BB, two
 * decimal digits, inode % QF_BUCKETS.
 */
#ifndef SLUICE_QFILE_H
#define SLUICE_QFILE_H

#include <stddef.h>
#include <stralloc.h>

#include "job.h"

#define QF_HEAD_LEN	32
#define QF_BUCKETS	64
#define QF_ID_MAX	40
#define QF_ADDR_MAX	256		/* longest envelope address */
#define QF_RCPT_MAX	10000		/* most recipients per message */
#define QF_ENV_MAX	(QF_RCPT_MAX * (QF_ADDR_MAX + 2) + 4096)
#define QF_TAIL_MAX	(64UL * 1024 * 1024)	/* envelope + journal */
#define QF_ATTEMPTS_MAX	100000		/* attempts counted per recipient */
/* sluice-queue takes a message of up to databytes + QF_SLACK bytes: room
 * for header fields added after databytes was checked (and a bounce is
 * cut to that size) */
#define QF_SLACK	65536UL

/* bounce levels (N line): 0 ordinary mail, 1 a bounce, 2 a double bounce */
#define QF_LEVEL_MAX	2

/*
 * A recipient's state: one vocabulary for the journal records, the job
 * results (job.h) and sluice-send's recipients in memory.  Each value is
 * the letter that stands for it on disk and in a result, so records are
 * written and read exactly as before (qf_record writes them, qf_parse and
 * qf_status_split read them).
 */
enum qf_state {
	QS_PENDING = 0,		/* no final record yet (struct qf_rcpt) */
	/* journal records and job results */
	QS_SENT = JOB_SENT,	/* 'K' delivered */
	QS_DEFERRED = JOB_DEFERRED,	/* 'Z' temporary failure: one attempt */
	QS_FAILED = JOB_FAILED,	/* 'D' permanent failure, to be reported */
	/* journal records only */
	QS_BOUNCED = 'B',	/* the failure was reported (or dropped) */
	QS_CANCELLED = 'X',	/* cancelled by the administrator */
	QS_ATTEMPTS = 'A',	/* n more failed attempts (compaction) */
	/* sluice-send's scheduler only, never written */
	QS_DUE = 'P',		/* to be delivered now */
	QS_QUEUED = 'Q',	/* waiting in a work unit */
	QS_RUNNING = 'I',	/* in a job */
	QS_WAITING = 'W'	/* deferred until its next attempt */
};

struct qf_rcpt {
	char *addr;
	enum qf_state state;	/* PENDING, or SENT, FAILED, BOUNCED,
				 * CANCELLED */
	unsigned attempts;	/* Z records seen */
	unsigned long last;	/* time of the last record */
	char *status;		/* "dsn text" of the last K/Z/D record, or 0 */
};

struct qf {
	unsigned long arrival;
	int level;
	char *sender;
	size_t nrcpt;
	struct qf_rcpt *r;	/* malloc'd, nrcpt entries */
	size_t good_len;	/* bytes of the tail up to the last whole line */
	size_t env_len;		/* bytes of the envelope (up to "E\n") */
	int held;		/* the last H/R record was H */
	int warned;		/* an L record was seen */
};

/* HEAD: 1 ok and *msglen set, 0 malformed */
int qf_head_parse(const char *head, size_t len, unsigned long *msglen);
void qf_head_format(char *head, unsigned long msglen);	/* QF_HEAD_LEN bytes */

/* Parse the tail (envelope + journal) in place: newlines become NULs and
 * the pointers in q point into buf.  1 ok, 0 malformed envelope, -1 no
 * memory.  Free with qf_free. */
int qf_parse(char *buf, size_t len, struct qf *q);
void qf_free(struct qf *q);
/* apply the whole journal lines at the start of buf (newlines become
 * NULs; statuses point into buf) to a parsed q; returns the bytes used */
size_t qf_apply_journal(struct qf *q, char *buf, size_t len);

/* append the compacted journal of q (parsed) to out; 1 ok, 0 no memory */
int qf_compact(const struct qf *q, stralloc *out);

/* append one recipient's journal record (SENT, DEFERRED, FAILED with a
 * dsn and text; BOUNCED, CANCELLED with dsn 0) to out; text is sanitized
 * and cut */
int qf_record(stralloc *out, enum qf_state kind, size_t idx,
    unsigned long when, const char *dsn, const char *text, size_t textlen);

/* append a message record ('H', 'R' or 'L': no recipient index) */
int qf_msg_record(stralloc *out, char kind, unsigned long when);

/* An administrator's trigger line (sluice-qctl -> sluice-send), in place:
 * "C ID" or "C ID DOMAIN", C one of X (delete), D (bounce), F (flush),
 * H (hold), R (release); DOMAIN lower case, printable, at most 255
 * bytes.  1 and the parts set (pointing into line), 0 not such a line. */
int qf_command_parse(char *line, char *cmd, char **id, char **domain);

/* split a job result status ("K2.0.0 text", job.h) into its kind (SENT,
 * DEFERRED or FAILED), DSN code (dsn holds 16 bytes) and text; 1 ok,
 * 0 malformed.  job_status_split decodes it; this is the one place a
 * job.h status becomes a queue state. */
int qf_status_split(const char *st, enum qf_state *kind, char *dsn,
    const char **text);

/* append a decimal number (libowfat's stralloc_catulong0(sa, n, 0)
 * appends NUL bytes with this libowfat) */
int qf_catnum(stralloc *sa, unsigned long v);

/* ids and paths */
int qf_id_valid(const char *id);
unsigned qf_id_bucket(const char *id);	/* id must be valid */
void qf_id_make(char *id, unsigned long sec, unsigned long usec,
    unsigned long long ino);		/* id: QF_ID_MAX bytes */
/* "mess/BB/ID" relative to the queue directory, NUL-terminated */
int qf_mess_path(stralloc *sa, const char *id);

/* when a recipient with `attempts` failures, the last at `last`, is due */
unsigned long qf_retry_at(unsigned attempts, unsigned long last,
    unsigned long rmin, unsigned long rmax);

/* printable state name for the tools */
const char *qf_state_name(enum qf_state state);

#endif
