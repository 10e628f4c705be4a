/*
 * milter.h -- sluice-smtpd's milter client (Sendmail milter protocol 6).
 *
 * When `milters` is set, smtpd keeps the message it receives in an
 * anonymous memory file (memfd) instead of streaming it to the queue
 * program, and before it answers the DATA it offers the message to each
 * filter in turn: connect (client address), HELO, MAIL, every RCPT, the
 * header fields (our Received field first), the body with CRLF line ends,
 * end of message.  Each filter sees the message as the ones before it left
 * it.  Honoured: reject, tempfail and custom 4xx/5xx replies, discard,
 * accept, add, insert, change and delete header fields, replace the body,
 * quarantine (logged).  Recipient and sender changes are not offered.
 * Only then does the message go to the queue (where DKIM signing happens,
 * after every filter).
 *
 * Every wait is bounded (`timeoutmilter` per answer; at most
 * MILTER_PROGRESS_MAX "progress" answers), every packet too
 * (MILTER_PACKET_MAX); a filter that cannot be reached, stalls, sends
 * garbage, too much, or an edit we did not offer has "failed": with
 * `milterfail` tempfail the message gets 451 4.7.1, with accept the
 * filter is skipped (its edits dropped).  Nothing a filter sends can end
 * the header section early or add a line of its own (milterproto.c).
 *
 * Runs inside sluice-smtpd as sluiced: unix: sockets must be reachable by
 * that user.
 */
#ifndef SLUICE_MILTER_H
#define SLUICE_MILTER_H

#include <stddef.h>

#define MILTER_PROGRESS_MAX 100
#define MILTER_HDR_MAX (1024 * 1024)	/* header section offered */

struct milter_session {
	const char *specs;		/* control/milters, comma-separated */
	int fail_accept;		/* milterfail is "accept" */
	unsigned long timeout;		/* seconds per answer */
	unsigned long maxbody;		/* largest replacement body */
	const char *ip, *helo, *me;
	const char *authuser;		/* "" when not authenticated */
	const char *tlsversion;		/* "" without TLS */
	const char *env;		/* "Fsender\0Trcpt\0...\0" */
	size_t envlen;
};

enum milter_verdict {
	MILTER_PASS,		/* queue *fd (edited, maybe a new memfd) */
	MILTER_REJECT,		/* reply holds the 4xx/5xx line */
	MILTER_DISCARD		/* answer 250, queue nothing */
};

/* run every filter over the message in *fd (a memfd, LF line ends, size
 * octets).  On MILTER_PASS *fd may have been replaced (the old one is
 * closed).  reply (at least 520 octets) gets the refusal; the log gets a
 * line per filter that did something or failed. */
enum milter_verdict milter_filter(const struct milter_session *ms, int *fd,
    unsigned long size, char *reply);

#endif
