/*
 * dsn.h -- compose an RFC 3464 delivery status notification.
 *
 * multipart/report; report-type=delivery-status with three parts: a plain
 * text explanation, message/delivery-status (Reporting-MTA, Arrival-Date,
 * then per recipient Final-Recipient, Action (failed, or delayed for a
 * delay warning, with Will-Retry-Until), Status, Remote-MTA when the
 * status text names one ("HOST[IP] said: ..."), Diagnostic-Code), and the
 * original headers as text/rfc822-headers (or the whole original as
 * message/rfc822 when it is at most `maxbytes` bytes).  Lines end in LF,
 * as everything in the queue.  Pure apart from reading the original.
 *
 * A report is never bigger than info->max (when not 0; sluice-send gives
 * what sluice-queue accepts): what is too big is cut, as RFC 3464 allows,
 * and the text says so.  First the whole original gives way to its
 * headers, then the headers are cut at a line end, and last (only with
 * thousands of recipients) the per-recipient parts list as many as fit
 * and the text counts the others.  CR and NUL octets of the original are
 * left out, so the report is always something sluice-queue accepts.
 */
#ifndef SLUICE_DSN_H
#define SLUICE_DSN_H

#include <stddef.h>
#include <stralloc.h>

struct dsn_rcpt {
	const char *addr;
	const char *status;	/* "5.1.1 text" (journal form) or 0 */
};

struct dsn_info {
	const char *me;		/* Reporting-MTA */
	const char *from;	/* From: address of the report */
	const char *to;		/* who gets it */
	const char *qid;	/* the original's queue id */
	const char *sender;	/* the original's envelope sender */
	unsigned long arrival;
	unsigned long now;
	size_t max;		/* largest report in bytes; 0: no limit */
	int delayed;		/* a delay warning (Action: delayed), not a
				   failure report */
	unsigned long retry_until;	/* delayed: Will-Retry-Until, or 0 */
};

/* orig[0..origlen): the original message (or its first part; headers
 * are cut at the first empty line).  whole: orig is the entire message
 * and may be attached as message/rfc822.  1 ok, 0 out of memory. */
int dsn_compose(stralloc *out, const struct dsn_info *info,
    const struct dsn_rcpt *r, size_t n, const char *orig, size_t origlen,
    int whole);

#endif
